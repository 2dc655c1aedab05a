"""The app each server worker process builds for itself: settings from the environment, its own
runtime (so its own PostgreSQL connection pool and Redis client), nothing shared in memory."""

from __future__ import annotations

from fastapi import FastAPI

from healthcode.settings import Settings
from healthcode.web.app import create_app


def app_from_environment() -> FastAPI:
    """Uvicorn's factory for `healthcode serve --workers N` (each worker calls it once)."""
    return create_app(Settings.from_environment())
