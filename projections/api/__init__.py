"""The read-side HTTP API: roles and tokens (``access``), what each role may read (``policy``), the
views' SQL (``views``), answers as JSON, CSV or Parquet (``formats``), the audit log (``audit``) and
the FastAPI application that puts them together (``app``)."""
