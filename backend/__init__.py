"""The Featherweight web service (FastAPI app under backend.app)."""
