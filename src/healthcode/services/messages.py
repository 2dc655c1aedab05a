"""Messages to residents (sign-in codes, appeal answers) through a pluggable sender.

A sender delivers inside the unit of work: a message that was never committed was never sent.
The outbox sender is the development one: it keeps messages (sealed) for the demo's outbox page.
A production SMS gateway implements the same protocol.
"""

from __future__ import annotations

from typing import Protocol

from healthcode.db.sessions_store import OutboxMessage
from healthcode.domain.identity import mask_phone
from healthcode.domain.text import Bilingual
from healthcode.services.runtime import UnitOfWork


class MessageSender(Protocol):
    def send(self, uow: UnitOfWork, phone: str, text: Bilingual) -> None: ...


class NoSender:
    """No way to reach residents is configured: asking for a text fails, and nothing is kept."""

    def send(self, uow: UnitOfWork, phone: str, text: Bilingual) -> None:
        raise SenderUnavailableError


class SenderUnavailableError(RuntimeError):
    """No message sender is configured (HEALTHCODE_MESSAGE_SENDER)."""


def sender_for(name: str) -> MessageSender:
    return OutboxSender() if name == "outbox" else NoSender()


class OutboxSender:
    """Keeps each message in the outbox table, for the development outbox page."""

    def send(self, uow: UnitOfWork, phone: str, text: Bilingual) -> None:
        store = uow.outbox
        body = f"{text.zh}\n{text.en}"
        store.add(uow.runtime.vault.blind_index("phone", phone), mask_phone(phone), body, uow.now)

    def read(self, uow: UnitOfWork, limit: int = 50) -> list[OutboxMessage]:
        """The latest messages, newest first, for the development outbox page; audited."""
        uow.audit("outbox.read")
        return uow.outbox.latest(limit)
