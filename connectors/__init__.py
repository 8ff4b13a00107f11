"""Connectors: read partner records, validate, strip personal data, place, and publish events."""
