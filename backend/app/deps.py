"""FastAPI dependencies as Annotated aliases; tests swap them with `app.dependency_overrides`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import HTTPConnection

from backend.app.config import Settings, get_settings
from backend.app.state import Service
from featherweight.asr.base import Engine


def get_service(connection: HTTPConnection) -> Service:
    """The shared objects the lifespan made at start-up."""
    service: Service = connection.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]


def get_engine(service: ServiceDep) -> Engine:
    """The engine selected at start-up."""
    return service.engine


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[Engine, Depends(get_engine)]
