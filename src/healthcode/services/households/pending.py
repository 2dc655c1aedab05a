"""Bindings not yet proven (issue #11): asked for, then completed by a code sent to the phone on
record or by staff who saw the identity document.

A pending binding is made the same way whatever the register said: a reference, a code and its
keyed hash are computed every time; the code is texted only when the name matched and there is a
phone on record, and only its hash is kept. So the answer's shape and work are the same for an
unknown document, a wrong name and a known person (ADR 0009). Codes follow sign-in codes: keyed
hashes, five attempts, a short expiry, a cap on texts per phone.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from healthcode.db.pending_links_store import NewPendingLink, PendingLink
from healthcode.domain.facts import PersonKey
from healthcode.domain.register import normalised_name
from healthcode.services.households.notices import binding_code_message
from healthcode.services.households.refusals import CONFIRMATION_FAILED, NOT_PENDING
from healthcode.services.messages import MessageSender, SenderUnavailableError
from healthcode.services.refusals import Refused
from healthcode.services.runtime import UnitOfWork

CODE_VALIDITY: Final = timedelta(minutes=30)  # long enough to phone a parent and ask
CODE_ATTEMPTS: Final = 5
# A stranger must not be able to flood someone's phone with binding requests.
CODES_PER_HOUR: Final = 3
# Long enough to walk to a service point with the document.
PENDING_VALIDITY: Final = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class PendingBinding:
    """What the applicant is told: a reference, never whether a code went anywhere."""

    reference: str
    relationship: str
    expires_at: datetime


def start_pending(
    uow: UnitOfWork,
    sender: MessageSender | None,
    account_id: str,
    request: dict[str, Any],
    key: PersonKey,
    recipient: str | None,
) -> PendingBinding:
    """Keep the request; text a code to `recipient` (the phone on record) when there is one."""
    store = uow.pending_links
    reference = secrets.token_hex(5).upper()
    code = f"{secrets.randbelow(10**6):06d}"
    code_index = _code_index(uow, reference, code)
    recipient_index = uow.residents.phone_index(recipient or reference)
    sent = recipient is not None and _sent(uow, sender, recipient, recipient_index, code)
    relationship = str(request["relationship"])
    store.add(
        NewPendingLink(
            reference=reference,
            account_id=account_id,
            id_index=uow.people.index_of(key),
            relationship=relationship,
            request=request,
            recipient_index=recipient_index if sent else None,
            code_index=code_index if sent else None,
            code_expires_at=uow.now + CODE_VALIDITY if sent else None,
            created_at=uow.now,
            expires_at=uow.now + PENDING_VALIDITY,
        )
    )
    outcome = "sent" if sent else "none"
    detail = f"account={account_id} relationship={relationship} code={outcome}"
    uow.audit("household.pending", f"pending:{reference}", detail=detail)
    return PendingBinding(reference, relationship, uow.now + PENDING_VALIDITY)


def _sent(
    uow: UnitOfWork, sender: MessageSender | None, phone: str, index: bytes, code: str
) -> bool:
    if sender is None:
        return False
    if uow.pending_links.codes_sent_since(index, uow.now - timedelta(hours=1)) >= CODES_PER_HOUR:
        return False
    try:
        sender.send(uow, phone, binding_code_message(code))
    except SenderUnavailableError:
        return False  # the staff path still completes it; the answer must not differ
    return True


def checked_by_code(uow: UnitOfWork, account_id: str, reference: str, code: str) -> PendingLink:
    """The pending binding of this account that `code` completes; else CONFIRMATION_FAILED."""
    store = uow.pending_links
    pending = store.open(reference.strip().upper(), uow.now)
    wanted = _code_index(uow, reference.strip().upper(), code.strip())
    usable = (
        pending is not None
        and pending.account_id == account_id
        and pending.code_index is not None
        and pending.code_expires_at is not None
        and pending.code_expires_at > uow.now
        and pending.attempts < CODE_ATTEMPTS
    )
    if pending is None or not usable or not hmac.compare_digest(pending.code_index or b"", wanted):
        if pending is not None and pending.account_id == account_id:
            store.count_attempt(pending.id)
        uow.audit("household.confirm", f"pending:{reference[:16]}", outcome="refused")
        raise Refused(CONFIRMATION_FAILED)
    return pending


def checked_in_person(uow: UnitOfWork, reference: str, key: PersonKey, name: str) -> PendingLink:
    """The pending binding `reference` if it is for this document and this name (as staff read
    them off the document in front of them); else NOT_PENDING."""
    pending = uow.pending_links.open(reference.strip().upper(), uow.now)
    asked = None if pending is None else str(pending.request.get("name", ""))
    if (
        pending is None
        or not hmac.compare_digest(pending.id_index, uow.people.index_of(key))
        or normalised_name(asked or "") != normalised_name(name)
    ):
        uow.audit("household.check-in-person", f"pending:{reference[:16]}", outcome="refused")
        raise Refused(NOT_PENDING)
    return pending


def purge_pending(uow: UnitOfWork) -> int:
    """D2: a binding that ended (expired or completed) keeps nothing of its request; the link, if
    made, records how it was proven, and the audit log the rest."""
    purged = uow.pending_links.purge_ended(uow.now)
    if purged:  # the round runs every half minute: an empty purge is not worth an entry
        uow.audit("household.pending-purge", detail=f"purged={purged}")
    return purged


def _code_index(uow: UnitOfWork, reference: str, code: str) -> bytes:
    return uow.runtime.vault.blind_index("binding-code", f"{reference}:{code}")
