"""The ingest gateway: partner systems (council, housing, fire service...) send records over HTTP.

``client`` is what a partner needs to sign a request (standard library only); ``app`` is the FastAPI
service, built around a Publisher so that tests run it on the in-memory one. docs/gateway.md explains
the protocol; docs/gateway-openapi.json is its OpenAPI document.
"""
