"""The FastAPI application: `uvicorn backend.app.main:app`."""
