"""The web service (FastAPI); the library it uses lives in src/service_template."""
