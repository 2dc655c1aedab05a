"""Whether a SMART Health Card's issuer has revoked it (SHC spec, "Revocation").

An issuer that may revoke cards says so in its key: the JWK carries `crlVersion` (an integer from
1), and the issuer publishes, for that key, a revocation list `{"kid", "method": "rid", "ctr",
"rids"}` whose `ctr` is that version. A card names its revocation id in `vc.rid` (base64url, at
most 24 characters); an entry `rid` revokes every card with that id, an entry `rid.timestamp`
(seconds since the epoch) only the cards issued before it (`nbf` earlier than the timestamp).

Held offline, a list can be missing, of another version than the key, or broken; then nothing
tells whether a card of that key is revoked, so the key may not vouch for any card (`key_usage`
fails, saying why). A revoked card fails `expiry`: its issuer ended its validity early.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from healthcode.foreign.reasons import reason
from healthcode.foreign.trust import ShcRevocationList
from healthcode.foreign.verdicts import CheckName, Reason

MAX_RID_CHARS: Final = 24
_BASE64URL: Final = re.compile(r"[A-Za-z0-9_-]+")
_SECONDS: Final = re.compile(r"[0-9]+")

Finding = tuple[CheckName, Reason]


def revocation_findings(
    key: Mapping[str, object],
    listed: ShcRevocationList | None,
    claims: Mapping[str, object],
) -> list[Finding]:
    """Why the card with `claims`, signed with `key`, is refused for revocation; empty when the
    key declares no revocation list, or the card is not on its list."""
    version = key.get("crlVersion")
    if version is None:
        return []
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        return [("key_usage", reason("revocation-list-invalid", "crlVersion"))]
    if listed is None:
        return [("key_usage", reason("revocation-list-missing"))]
    if listed.ctr != version:
        detail = f"ctr {listed.ctr}, crlVersion {version}"
        return [("key_usage", reason("revocation-list-version", detail))]
    problems = list_problems(listed)
    if problems:
        return [("key_usage", reason("revocation-list-invalid", problem)) for problem in problems]
    return [("expiry", reason("revoked"))] if is_revoked(listed, claims) else []


def list_problems(listed: ShcRevocationList) -> list[str]:
    """What is wrong with a list, entry by entry (no entry's content: a rid names a card)."""
    problems = [] if listed.method == "rid" else ["method is not rid"]
    first_at: dict[str, int] = {}
    for index, entry in enumerate(listed.rids):
        rid, _, timestamp = entry.partition(".")
        if not rid_is_valid(rid):
            problems.append(f"rids entry {index}: not base64url of at most {MAX_RID_CHARS}")
        elif "." in timestamp or (timestamp and not _SECONDS.fullmatch(timestamp)):
            problems.append(f"rids entry {index}: the timestamp is not seconds")
        elif rid in first_at:
            problems.append(f"rids entry {index}: repeats entry {first_at[rid]}")
        else:
            first_at[rid] = index
    return problems


def rid_is_valid(rid: str) -> bool:
    return len(rid) <= MAX_RID_CHARS and _BASE64URL.fullmatch(rid) is not None


def is_revoked(listed: ShcRevocationList, claims: Mapping[str, object]) -> bool:
    """Whether a sound list revokes the card: its rid listed bare, or with a timestamp after the
    card's `nbf` (a card without `nbf` cannot show it was issued later)."""
    vc = claims.get("vc")
    rid = vc.get("rid") if isinstance(vc, Mapping) else None
    if not isinstance(rid, str):
        return False
    nbf = claims.get("nbf")
    issued = nbf if isinstance(nbf, int | float) and not isinstance(nbf, bool) else None
    for entry in listed.rids:
        listed_rid, dot, timestamp = entry.partition(".")
        if listed_rid != rid:
            continue
        if not dot or issued is None or issued < int(timestamp):
            return True
    return False
