"""Where a checkpoint learns which keys to believe: this installation's database, or lists.

Online, `DatabaseTrust` reads this issuer's own keys and the lists the gateway mode holds, and can
say what colour a holder of one of its own codes has now. Offline, `ListTrust` holds trust lists
(an issuer's own, or a gateway's combined list) that verified under a root given out of band.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from healthcode.domain.rules import Colour
from healthcode.services.codes.colours import current_colour, holder_of
from healthcode.services.codes.signing import own_key
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import Rejection
from healthcode.tokens.gateway_lists import GATEWAY_LIST_TYPE, verify_gateway_list
from healthcode.tokens.jwk import JwkError, public_jwk, public_key_from_jwk
from healthcode.tokens.jws import JwsError, protected_header
from healthcode.tokens.keys import KeyPurpose, TrustedKey, issuer_problem
from healthcode.tokens.trust_lists import TrustList, TrustListError, verify_trust_list

# Key ids and subjects are base64url of 8 and 16 random bytes; nothing else is looked up.
_KID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SUBJECT = re.compile(r"[A-Za-z0-9_-]{1,32}")


@dataclass(frozen=True, slots=True)
class CurrentState:
    colour: Colour
    flags: tuple[str, ...]


class TrustSource(Protocol):
    @property
    def home_issuer(self) -> str | None:
        """The issuer of the checkpoint's own province: codes of any other are recognised (S1)."""

    def find_key(self, issuer: str, kid: str) -> TrustedKey | Rejection:
        """The code-signing key `kid` of `issuer`, or why there is none to trust."""

    def list_age_seconds(self, issuer: str | None, now: datetime) -> int | None:
        """How old what is known of `issuer`'s keys is (of every issuer's, for None); None: live."""

    def current_state(self, issuer: str, subject: str) -> CurrentState | None:
        """The holder's colour now, when this source can know it (online, own codes)."""


class ListTrust:
    """Trust lists held by an offline checkpoint; the newest list of each issuer counts.

    Revocations are pooled across every list given: an older list never undoes a revocation.
    """

    def __init__(self, lists: Iterable[TrustList], home_issuer: str | None = None) -> None:
        self._home_issuer = home_issuer
        self._lists: dict[str, TrustList] = {}
        self._revoked: dict[str, set[str]] = {}
        for listed in lists:
            held = self._lists.get(listed.issuer)
            if held is None or listed.issued_at > held.issued_at:
                self._lists[listed.issuer] = listed
            self._revoked.setdefault(listed.issuer, set()).update(listed.revoked)
        # Looked up on every scan: each list's code keys by key id, parsed once, at hand.
        self._code_keys = {issuer: _code_keys(listed) for issuer, listed in self._lists.items()}

    @classmethod
    def from_documents(
        cls,
        documents: Sequence[object],
        roots: Sequence[Mapping[str, object]],
        home_issuer: str | None = None,
    ) -> ListTrust:
        """Verify each document (trust list or gateway list) under the root that signed it."""
        lists: list[TrustList] = []
        for index, document in enumerate(documents):
            try:
                lists.extend(verify_any_list(document, roots))
            except TrustListError as error:
                raise TrustListError(f"list {index + 1}: {error}") from None
        return cls(lists, home_issuer)

    @property
    def home_issuer(self) -> str | None:
        return self._home_issuer

    @property
    def issuers(self) -> tuple[str, ...]:
        return tuple(sorted(self._lists))

    def find_key(self, issuer: str, kid: str) -> TrustedKey | Rejection:
        listed = self._lists.get(issuer)
        if listed is None:
            return Rejection.ISSUER_NOT_TRUSTED
        if kid in self._revoked[issuer]:
            return Rejection.REVOKED
        return self._code_keys[issuer].get(kid, Rejection.UNKNOWN_KEY)

    def list_age_seconds(self, issuer: str | None, now: datetime) -> int | None:
        listed = self._lists.get(issuer) if issuer is not None else None
        issued = [listed.issued_at] if listed else [held.issued_at for held in self._lists.values()]
        return round((now - min(issued)).total_seconds()) if issued else None

    def current_state(self, issuer: str, subject: str) -> CurrentState | None:
        return None


def verify_any_list(document: object, roots: Sequence[Mapping[str, object]]) -> list[TrustList]:
    """The lists in a trust list or gateway list, verified under whichever root signed it."""
    try:
        header = protected_header(document)
    except JwsError as error:
        raise TrustListError(str(error)) from None
    try:
        # A root JWK may omit its kid: it is recomputed from the key, never taken on trust.
        known = [public_jwk(public_key_from_jwk(root)) for root in roots]
    except JwkError as error:
        raise TrustListError(f"a root key: {error}") from None
    root = next((root for root in known if root["kid"] == header["kid"]), None)
    if root is None:
        raise TrustListError(f"signed by key {header['kid']}, which is not among the given roots")
    if header["typ"] == GATEWAY_LIST_TYPE:
        return list(verify_gateway_list(document, root).lists)
    return [verify_trust_list(document, root)]


class DatabaseTrust:
    """Online verification against this installation's database, inside one unit of work."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow
        self._received: dict[str, TrustList | None] = {}

    @property
    def home_issuer(self) -> str | None:
        return self._uow.runtime.settings.issuer

    def find_key(self, issuer: str, kid: str) -> TrustedKey | Rejection:
        # Names no issuer can have never reach the database (PostgreSQL refuses NUL in text).
        if issuer_problem(issuer) is not None:
            return Rejection.ISSUER_NOT_TRUSTED
        if not _KID.fullmatch(kid):
            return Rejection.UNKNOWN_KEY
        if issuer == self.home_issuer:
            return self._own_key(kid)
        listed = self._held_list(issuer)
        if listed is None:
            return Rejection.ISSUER_NOT_TRUSTED
        if kid in listed.revoked:
            return Rejection.REVOKED
        return _code_key(listed, kid)

    def _own_key(self, kid: str) -> TrustedKey | Rejection:
        def found() -> TrustedKey | Rejection:
            stored = self._uow.signing_keys.get(kid)
            if (
                stored is None
                or stored.issuer != self.home_issuer
                or stored.purpose != KeyPurpose.CODE
            ):
                return Rejection.UNKNOWN_KEY
            return own_key(self._uow, stored)

        # Reused a few seconds in this process (ADR 0019): parsing costs more than the check.
        return self._uow.runtime.memo.get(("own", kid), found)

    def list_age_seconds(self, issuer: str | None, now: datetime) -> int | None:
        # This issuer's own keys are read live, and it holds no list of its own (gateway.py
        # refuses to register it): no database read for every scan of a home code.
        if issuer is None or issuer == self.home_issuer:
            return None
        listed = self._held_list(issuer)
        return None if listed is None else round((now - listed.issued_at).total_seconds())

    def current_state(self, issuer: str, subject: str) -> CurrentState | None:
        if issuer != self.home_issuer or not _SUBJECT.fullmatch(subject):
            return None
        person_id = holder_of(self._uow, subject)
        if person_id is None:
            return None
        current = current_colour(self._uow, person_id)
        # Reading a person's colour is a read of personal data: audited with the declared purpose.
        self._uow.audit("code.read", f"code_subject:{subject}", detail="online verification")
        if current is None:
            return None
        return CurrentState(current.colour, current.flags)

    def _held_list(self, issuer: str) -> TrustList | None:
        if issuer_problem(issuer) is not None:
            return None
        if issuer not in self._received:
            self._received[issuer] = self._memo_list(issuer)
        return self._received[issuer]

    def _memo_list(self, issuer: str) -> TrustList | None:
        """The held list, verified, reused a few seconds in this process (ADR 0023): verifying
        it costs more than the code's own check. Kept for registered issuers only, so codes
        naming made-up issuers fill nothing; a registration or a list received forgets it."""

        def read() -> TrustList | None:
            registered = self._uow.trusted_issuers.get(issuer)
            if registered is None:
                raise _NotRegisteredError
            document = registered.trust_list
            return None if document is None else _believed(document, registered.root_jwk)

        try:
            return self._uow.runtime.memo.get((HELD_LIST_MEMO, issuer), read)
        except _NotRegisteredError:
            return None


HELD_LIST_MEMO = "held_list"


class _NotRegisteredError(Exception):
    """No issuer of that name is registered: nothing to keep in the memo."""


def forget_held_list(uow: UnitOfWork, issuer: str) -> None:
    """Once `uow` commits, this process reads `issuer`'s held list afresh."""
    memo = uow.runtime.memo
    uow.after_commit(lambda: memo.forget((HELD_LIST_MEMO, issuer)))


def _believed(document: object, root_jwk: object) -> TrustList | None:
    """A held list verified again on use: one edited in the database is not believed."""
    try:
        return verify_trust_list(document, root_jwk)
    except TrustListError:
        return None


def _code_key(listed: TrustList, kid: str) -> TrustedKey | Rejection:
    key = listed.key(kid)
    if key is None or key.purpose is not KeyPurpose.CODE:
        return Rejection.UNKNOWN_KEY
    return key


def _code_keys(listed: TrustList) -> dict[str, TrustedKey]:
    """The list's code keys by key id, as `_code_key` finds them: the first key of an id decides."""
    first: dict[str, TrustedKey] = {}
    for key in listed.keys:
        first.setdefault(key.kid, key)
    return {kid: key for kid, key in first.items() if key.purpose is KeyPurpose.CODE}
