"""Issuing a code (A8, D2): the stored colour, signed under a fresh pseudonym, short-lived.

Each code gets a new random subject, so two codes of one person cannot be linked by anyone who
lacks this database; `code_subjects` is the only link back. Holders of passports and permits get
the international version (A8), residents the domestic one.

A phone code is reused while it is in the first half of its validity and still says what would be
signed now (colour, flags, version, masked name, key): a resident refreshing the page gets the
same code without a signature or a database write (ADR 0019); after that, a fresh pseudonym.
"""

from __future__ import annotations

import json
import secrets
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from healthcode.db.code_subjects_store import CodeSubject
from healthcode.db.people import StoredPerson
from healthcode.db.shared_state import LocalState, SharedStateDownError
from healthcode.db.states import StoredState
from healthcode.domain.facts import PersonKey
from healthcode.domain.identity import IdType
from healthcode.domain.rules import Colour
from healthcode.services.audit_targets import person_target
from healthcode.services.codes.colours import remember_subject
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import CodeClaims, CodeVersion, Medium, issue_token
from healthcode.tokens.base64url import b64url_encode

SUBJECT_BYTES = 16
# A person stored without a name still gets a code; the checkpoint then sees no name at all.
NO_NAME = "*"
NO_STATE = "this person has no evaluated colour yet: record their facts first"
# With Redis, the codes this process handed out are also kept here, sealed as in Redis (ADR 0022);
# without it the shared state is this process's memory already.
_HELD_HERE: Final = LocalState()


class CodeIssueError(ValueError):
    """A code that cannot be issued; the message is one line and names no personal data."""


@dataclass(frozen=True, slots=True)
class IssuedCode:
    text: str  # the QR text, HZ1:…
    expires_at: datetime
    masked_name: str
    colour: Colour
    version: CodeVersion
    medium: Medium
    kid: str
    issued_at: datetime


def issue_code(uow: UnitOfWork, key: PersonKey, *, paper: bool = False) -> IssuedCode:
    """A signed code from the person's stored colour; CodeIssueError if there is none.

    A refusal is audited too; it stays in the log if the caller commits before re-raising.
    """
    target = person_target(uow, key)
    person, state = _person_and_state(uow, key, target)
    applied = uow.applications.current_version(person.id)
    return _issued(uow, target, person, state, applied, paper=paper)


def issue_code_read(
    uow: UnitOfWork,
    key: PersonKey,
    person: StoredPerson,
    state: StoredState | None,
    applied_version: str | None,
    *,
    paper: bool = False,
) -> IssuedCode:
    """`issue_code` for a person read already (a household link's one statement, ADR 0022): their
    record, stored state and the version of their latest application, read in this unit of work."""
    target = person_target(uow, key)
    if state is None:
        uow.audit("code.issue", target, outcome="no_state")
        raise CodeIssueError(NO_STATE)
    return _issued(uow, target, person, state, applied_version, paper=paper)


def _issued(
    uow: UnitOfWork,
    target: str,
    person: StoredPerson,
    state: StoredState,
    applied_version: str | None,
    *,
    paper: bool,
) -> IssuedCode:
    signing_key = active_signing_key(uow)
    medium = Medium.PAPER if paper else Medium.PHONE
    claims = _claims(uow, signing_key.issuer, person, state, applied_version, medium)
    reused = None if paper else _reusable(uow, person.id, claims, signing_key.kid)
    detail = f"kid={signing_key.kid} medium={claims.medium} version={claims.version}"
    if reused is not None:
        uow.audit("code.issue", target, detail=f"{detail} reused")
        return reused
    text = issue_token(claims, signing_key.kid_bytes, signing_key.private_key)
    subject = CodeSubject(
        claims.subject,
        person.id,
        signing_key.kid,
        claims.medium.value,
        claims.version.value,
        claims.issued_at,
        claims.expires_at,
    )
    uow.code_subjects.add(subject)
    uow.audit("code.issue", target, detail=detail)
    issued = IssuedCode(
        text,
        claims.expires_at,
        claims.masked_name,
        claims.colour,
        claims.version,
        claims.medium,
        signing_key.kid,
        claims.issued_at,
    )
    if not paper:
        uow.after_commit(lambda: _remember(uow, person.id, issued, subject, claims.flags))
    return issued


def _reusable(uow: UnitOfWork, person_id: str, claims: CodeClaims, kid: str) -> IssuedCode | None:
    """The phone code issued to the person earlier in its window, if it says what `claims` do.

    With Redis, this process's own copy is looked at first: a copy is handed out only if it says
    what would be signed now, so one another process has since replaced is still a true code, and
    a refresh served from it costs no Redis round trip (ADR 0022). A copy that no longer says it
    sends the look-up on to Redis, where another process may hold the new one.
    """
    key = _shown_key(person_id)
    shared = uow.runtime.shared
    if shared.shared_across_processes:
        (here,) = _HELD_HERE.get_many([key])
        reused = None if here is None else _if_current(uow, person_id, here, claims, kid)
        if reused is not None:
            return reused
    try:
        (sealed,) = shared.get_many([key])
    except SharedStateDownError:
        return None
    reused = None if sealed is None else _if_current(uow, person_id, sealed, claims, kid)
    if reused is not None and sealed is not None and shared.shared_across_processes:
        _HELD_HERE.put(key, sealed, _seconds_left(uow, reused))
    return reused


def _if_current(
    uow: UnitOfWork, person_id: str, sealed: bytes, claims: CodeClaims, kid: str
) -> IssuedCode | None:
    """The held code `sealed` if it is in the first half of its window and says what `claims` do."""
    try:
        held = json.loads(uow.runtime.vault.open(sealed, _shown_context(person_id)))
        issued_at = datetime.fromisoformat(held["issued_at"])
        expires_at = datetime.fromisoformat(held["expires_at"])
        said = (held["colour"], tuple(held["flags"]), held["version"], held["name"], held["kid"])
        text = str(held["text"])
    except (ValueError, TypeError, KeyError):
        return None  # not what this installation sealed: a fresh code
    wanted = (claims.colour.value, claims.flags, claims.version.value, claims.masked_name, kid)
    half_way = issued_at + (expires_at - issued_at) / 2
    if said != wanted or not issued_at <= uow.now < half_way:
        return None
    return IssuedCode(
        text,
        expires_at,
        claims.masked_name,
        claims.colour,
        claims.version,
        claims.medium,
        kid,
        issued_at,
    )


def _seconds_left(uow: UnitOfWork, issued: IssuedCode) -> float:
    """How long a held code may still be handed out: until half its validity (at least 1 ms)."""
    half_way = issued.issued_at + (issued.expires_at - issued.issued_at) / 2
    return max(0.001, (half_way - uow.now).total_seconds())


def _remember(
    uow: UnitOfWork,
    person_id: str,
    issued: IssuedCode,
    subject: CodeSubject,
    flags: tuple[str, ...],
) -> None:
    """After the commit: the code for the person's next refreshes, its pseudonym for checkpoints."""
    remember_subject(uow, subject)
    held = {
        "text": issued.text,
        "issued_at": issued.issued_at.isoformat(),
        "expires_at": issued.expires_at.isoformat(),
        "colour": issued.colour.value,
        "flags": list(flags),
        "version": issued.version.value,
        "name": issued.masked_name,
        "kid": issued.kid,
    }
    sealed = uow.runtime.vault.seal(json.dumps(held).encode(), _shown_context(person_id))
    seconds = (issued.expires_at - issued.issued_at).total_seconds() / 2
    if uow.runtime.shared.shared_across_processes:
        _HELD_HERE.put(_shown_key(person_id), sealed, seconds)
    with suppress(SharedStateDownError):  # the next refresh then issues a fresh code
        uow.runtime.shared.put(_shown_key(person_id), sealed, seconds)


def _shown_key(person_id: str) -> str:
    return f"shown:{person_id}"


def _shown_context(person_id: str) -> str:
    return f"shown_code:{person_id}"


def _person_and_state(
    uow: UnitOfWork, key: PersonKey, target: str
) -> tuple[StoredPerson, StoredState]:
    person = uow.people.find(key)
    if person is None:
        uow.audit("code.issue", target, outcome="not_found")
        raise CodeIssueError("no such person: a code is issued only to someone on record")
    state = uow.states.get_many([person.id]).get(person.id)
    if state is None:
        uow.audit("code.issue", target, outcome="no_state")
        raise CodeIssueError(NO_STATE)
    return person, state


def _claims(
    uow: UnitOfWork,
    issuer: str,
    person: StoredPerson,
    state: StoredState,
    applied_version: str | None,
    medium: Medium,
) -> CodeClaims:
    settings = uow.runtime.settings
    validity = settings.paper_code_validity if medium is Medium.PAPER else settings.code_validity
    # NumericDate is whole seconds: the stored expiry is the one the token carries.
    issued_at = uow.now.replace(microsecond=0)
    return CodeClaims(
        issuer=issuer,
        subject=b64url_encode(secrets.token_bytes(SUBJECT_BYTES)),
        issued_at=issued_at,
        expires_at=issued_at + validity,
        colour=Colour(state.colour),
        flags=tuple(str(flag) for flag in state.decision.get("flags") or ()),
        version=_version(applied_version, person),
        masked_name=person.name_masked or NO_NAME,
        medium=medium,
    )


def _version(applied: str | None, person: StoredPerson) -> CodeVersion:
    """The version the person applied for; without an application, by document (A8): passports
    and permits hold the international version, resident IDs the domestic one."""
    if applied is not None:
        return CodeVersion(applied)
    if person.id_type is IdType.RESIDENT_ID:
        return CodeVersion.DOMESTIC
    return CodeVersion.INTERNATIONAL
