"""A FastAPI app with one route: the cold-start figure's second baseline.

The time to its first answer is uvicorn's start-up plus importing FastAPI (pydantic,
starlette), which the service cannot avoid; the rest of the service's start-up is its own.
"""

from __future__ import annotations

from fastapi import FastAPI

app = FastAPI()


@app.get("/health")
async def health() -> dict[str, str]:
    """Report that the process is up."""
    return {"status": "ok"}
