"""What every database command needs: settings from the environment, the runtime, the actor."""

from __future__ import annotations

from datetime import datetime

from healthcode.cli.errors import BadInputError
from healthcode.clock import clock_for
from healthcode.security.keyring import KeyringError
from healthcode.services.runtime import Actor, Runtime, open_runtime, operator_name
from healthcode.settings import Settings, SettingsError


def settings() -> Settings:
    try:
        return Settings.from_environment()
    except SettingsError as error:
        raise BadInputError(str(error)) from None


def runtime() -> Runtime:
    try:
        return open_runtime(settings())
    except KeyringError as error:
        # The keyring's own message says what to do: create one, or that it was destroyed (D1).
        raise BadInputError(str(error)) from None


def clock_now(settings: Settings) -> datetime:
    return clock_for(settings).now()


def actor(role: str, purpose: str) -> Actor:
    """The person at the terminal, as the audit log will name them (HEALTHCODE_ACTOR or login)."""
    return Actor(operator_name(), role, purpose)
