"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from backend.app.deps import EngineDep, ServiceDep

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ok", "degraded"]
    engine: str
    version: str
    detail: str | None = None


@router.get("/live")
async def live() -> Liveness:
    """Report that the process is up."""
    return Liveness()


@router.get("/health", response_model_exclude_none=True)
async def health(service: ServiceDep, engine: EngineDep) -> Readiness:
    """Report readiness: 200 always, `degraded` when the engine's recent calls failed."""
    # A Space that is down keeps 200: restarting this instance cannot fix someone else's Space.
    state = await service.monitor.check(engine)
    return Readiness(
        status="ok" if state.ok else "degraded",
        engine=engine.name,
        version=service.version,
        detail=state.detail or None,
    )
