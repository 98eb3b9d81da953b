"""The FastAPI service: `uvicorn backend.app.main:app`."""
