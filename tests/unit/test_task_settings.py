"""Task broker settings (ADR 0012): unset means in-process; a bad value is named, not echoed."""

from __future__ import annotations

import pytest

from healthcode.settings import DEFAULT_TASK_NAMESPACE, Settings, SettingsError


def test_without_a_broker_partitions_stay_in_process() -> None:
    settings = Settings.from_environment({})

    assert settings.task_broker_url is None
    assert settings.task_namespace == DEFAULT_TASK_NAMESPACE


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "rediss://:secret@queue.example:6380/2", "unix:///run/r.sock"],
)
def test_a_redis_url_is_taken_as_given(url: str) -> None:
    settings = Settings.from_environment({"HEALTHCODE_TASK_BROKER_URL": url})

    assert settings.task_broker_url == url


def test_another_broker_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_environment({"HEALTHCODE_TASK_BROKER_URL": "amqp://guest:hunter2@host/"})

    assert "HEALTHCODE_TASK_BROKER_URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("test-1a2b.partitions_x", True),
        ("", True),
        ("has space", False),
        ("a:b", False),
        ("x" * 65, False),
    ],
)
def test_the_namespace_is_a_plain_key_prefix(text: str, accepted: bool) -> None:
    environ = {"HEALTHCODE_TASK_NAMESPACE": text}
    if accepted:
        assert Settings.from_environment(environ).task_namespace == (text or DEFAULT_TASK_NAMESPACE)
    else:
        with pytest.raises(SettingsError, match="HEALTHCODE_TASK_NAMESPACE"):
            Settings.from_environment(environ)
