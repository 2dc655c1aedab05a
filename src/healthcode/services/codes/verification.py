"""Verifying a code at a checkpoint (M3, M5, S1, S2, S4): is it genuine, and may its holder enter?

Read the token, find its key among the trusted ones, check signature and time, then apply the venue
policy to its colour and flags. Another province's or the national platform's green code counts
like a domestic green (S1). A code that fails is a `deny` that says why and that the alternatives of
S4 remain: the code is never the only credential. Nothing here raises on any input text.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from healthcode.domain.areas import RiskLevel
from healthcode.domain.rules import Colour
from healthcode.domain.text import Bilingual
from healthcode.domain.timezones import display_instant
from healthcode.domain.venues import Purpose, Venue, VenueDecision, VenuePolicy, Verdict
from healthcode.rulesets import default_venue_policy
from healthcode.services.codes.trust import TrustSource
from healthcode.tokens import (
    CodeVersion,
    Medium,
    Rejection,
    TokenError,
    UnverifiedToken,
    check_token,
    read_token,
)
from healthcode.tokens.base64url import b64url_encode
from healthcode.tokens.codec import DEFAULT_LEEWAY
from healthcode.tokens.keys import issuer_problem

# Rejections after which the signature was checked: the code's claims are genuine and may be shown.
_SIGNED: frozenset[Rejection | None] = frozenset([None, Rejection.EXPIRED, Rejection.NOT_YET_VALID])


@dataclass(frozen=True, slots=True)
class Verification:
    decision: VenueDecision
    issuer: str | None = None
    colour: Colour | None = None
    masked_name: str | None = None
    expires_at: datetime | None = None
    version: CodeVersion | None = None
    medium: Medium | None = None
    rejection: Rejection | None = None
    trust_list_age_seconds: int | None = None
    current_colour: Colour | None = None  # online only, when it differs from the code's
    flags: tuple[str, ...] = ()  # the flags that decided: the current ones online

    def as_json(self) -> dict[str, Any]:
        """SPEC §2's decision shape, and what the code says (only what its signature proves)."""
        return {
            **self.decision.as_json(),
            "issuer": self.issuer,
            "color": None if self.colour is None else self.colour.value,
            "masked_name": self.masked_name,
            "expires_at": display_instant(self.expires_at),
            "version": None if self.version is None else self.version.value,
            "medium": None if self.medium is None else self.medium.value,
            "rejection": None if self.rejection is None else self.rejection.value,
            "trust_list_age_seconds": self.trust_list_age_seconds,
            "current_color": None if self.current_colour is None else self.current_colour.value,
        }


def verify_code(
    text: str,
    *,
    trust: TrustSource,
    venue: Venue,
    area_risk: RiskLevel,
    now: datetime,
    purpose: Purpose | None = None,
    policy: VenuePolicy | None = None,
) -> Verification:
    rules = policy or default_venue_policy()
    try:
        token = read_token(text)
    except TokenError as error:
        return _refused(error.rejection, None, trust, venue, area_risk, now, rules)
    rejection = _rejection(token, trust, now)
    if rejection is not None:
        return _refused(rejection, token, trust, venue, area_risk, now, rules)
    claims = token.claims
    current = trust.current_state(token.issuer, claims.subject)
    # Online, the colour the holder has now decides: it may have changed since the code was issued.
    colour, flags = (
        (claims.colour, claims.flags) if current is None else (current.colour, current.flags)
    )
    decision = rules.check(colour, venue, area_risk, frozenset(flags), purpose)
    if decision.verdict is Verdict.ALLOW and _recognised(token, trust):
        decision = VenueDecision(
            decision.verdict, (*decision.clauses, "S1"), decision.reason, decision.entry
        )
    return _verification(
        decision,
        token,
        None,
        trust.list_age_seconds(token.issuer, now),
        current_colour=None if current is None or current.colour is claims.colour else colour,
        flags=tuple(flags),
    )


def _rejection(token: UnverifiedToken, trust: TrustSource, now: datetime) -> Rejection | None:
    """Why a read token is not genuine and valid now: trust first, then signature and times."""
    # A name no issuer can have is refused before it reaches a look-up (or a database).
    if issuer_problem(token.issuer) is not None:
        return Rejection.ISSUER_NOT_TRUSTED
    found = trust.find_key(token.issuer, _kid_text(token.kid))
    if isinstance(found, Rejection):
        return found
    return check_token(token, found.public_key, now) or found.rejection_at(now, DEFAULT_LEEWAY)


@lru_cache(maxsize=256)
def _kid_text(kid: bytes) -> str:
    """A key id as trust sources name it; a checkpoint sees a handful of keys, over and over."""
    return b64url_encode(kid)


def _recognised(token: UnverifiedToken, trust: TrustSource) -> bool:
    """Mutual recognition (S1): another issuer's code, or the inbound (international) version."""
    return token.issuer != trust.home_issuer or token.claims.version is CodeVersion.INTERNATIONAL


def _refused(
    rejection: Rejection,
    token: UnverifiedToken | None,
    trust: TrustSource,
    venue: Venue,
    area_risk: RiskLevel,
    now: datetime,
    policy: VenuePolicy,
) -> Verification:
    # Where codes are not checked (S2), a bad code changes nothing: no condition on top (D1).
    checked = policy.checks_codes(venue, area_risk)
    decision = _alternatives(rejection) if checked else policy.not_checked()
    age = trust.list_age_seconds(None if token is None else token.issuer, now)
    return _verification(decision, token, rejection, age)


def _verification(
    decision: VenueDecision,
    token: UnverifiedToken | None,
    rejection: Rejection | None,
    age: int | None,
    current_colour: Colour | None = None,
    flags: tuple[str, ...] = (),
) -> Verification:
    if token is None:
        return Verification(decision, rejection=rejection, trust_list_age_seconds=age)
    if rejection not in _SIGNED:
        # Unverified claims are never shown as facts: only whom the code claims to come from.
        return Verification(decision, token.issuer, rejection=rejection, trust_list_age_seconds=age)
    claims = token.claims
    return Verification(
        decision,
        issuer=claims.issuer,
        colour=claims.colour,
        masked_name=claims.masked_name,
        expires_at=claims.expires_at,
        version=claims.version,
        medium=claims.medium,
        rejection=rejection,
        trust_list_age_seconds=age,
        current_colour=current_colour,
        flags=flags,
    )


def _alternatives(rejection: Rejection) -> VenueDecision:
    why = _WHY[rejection]
    reason = Bilingual(
        zh=f"健康码无效（{why.zh}）。可凭其他凭证通行：7日内核酸检测阴性证明、纸质健康码、"
        "有效身份证件登记、社区或医疗机构出具的纸质证明，通信行程卡可作辅助",
        en=f"The code is not accepted: {why.en}. The person may still pass with other proof: "
        "a negative nucleic-acid test from the last 7 days, a paper code, registration with a "
        "valid identity document, or a paper certificate from their community or a medical "
        "institution; a telecom itinerary card helps as auxiliary proof",
    )
    return VenueDecision(Verdict.DENY, ("S4",), reason, None)


_UNREADABLE = Bilingual("无法识读", "it cannot be read")
_WHY: dict[Rejection, Bilingual] = {
    Rejection.BAD_PREFIX: Bilingual("不是健康码", "it is not a health code"),
    Rejection.BAD_ENCODING: _UNREADABLE,
    Rejection.BAD_COMPRESSION: _UNREADABLE,
    Rejection.BAD_STRUCTURE: _UNREADABLE,
    Rejection.ISSUER_NOT_TRUSTED: Bilingual(
        "签发地不在信任列表中", "its issuer is not on the trust list"
    ),
    Rejection.UNKNOWN_KEY: Bilingual("签发密钥不在信任列表中", "its key is not on the trust list"),
    Rejection.REVOKED: Bilingual("签发密钥已吊销", "its signing key has been revoked"),
    Rejection.BAD_SIGNATURE: Bilingual("签名无效", "its signature is not valid"),
    Rejection.EXPIRED: Bilingual("已过期", "it has expired"),
    Rejection.NOT_YET_VALID: Bilingual("尚未生效", "it is not valid yet"),
}
