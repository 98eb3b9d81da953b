"""Service settings from environment variables (and an optional .env file)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting the service reads; the environment variable is the field name in capitals."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    greeting_name: str = "world"
    render_git_commit: str | None = None  # set by Render: the deployed commit


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests replace them with `app.dependency_overrides`."""
    return Settings()


SettingsDep = Annotated[Settings, Depends(get_settings)]
