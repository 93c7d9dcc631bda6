"""The REST adapter (Litestar): thin controllers over the services."""
