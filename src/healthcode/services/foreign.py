"""Foreign certificates verified for border and checkpoint staff (issue #15; A8, S1, S5).

The trust material is the installation's: every file under `Settings.foreign_trust_dir`, read
again only when the folder's listing changes (a file added, removed or rewritten), so an operator
updates trust by copying files and a verification never waits on the disk otherwise. Each
verification is audited with the format and the verdict's codes only: never the holder's name,
birth date, certificate identifier or statement (D2).
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from pathlib import Path
from typing import Final

from healthcode.domain.text import Bilingual
from healthcode.foreign.trust import TrustFileError, TrustMaterial, load_trust_dir
from healthcode.foreign.verdicts import ForeignVerdict
from healthcode.foreign.verify import UnknownFormat, verify_foreign
from healthcode.services.limits import hold_staff
from healthcode.services.refusals import Refusal, Refused
from healthcode.services.runtime import UnitOfWork

AUDIT_ACTION: Final = "foreign.verify"
log = logging.getLogger("healthcode.foreign")

_Listing = tuple[tuple[str, int, int], ...]


class ForeignTrust:
    """The trust material of one folder, reloaded when its listing changes; thread-safe."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._lock = threading.Lock()
        self._listing: _Listing | None = None
        self._material = TrustMaterial()

    def current(self) -> TrustMaterial:
        """The folder's material now; `Refused` (503) while a file in it cannot be read."""
        listing = self._list()
        with self._lock:
            if listing != self._listing:
                try:
                    self._material = load_trust_dir(self.directory)
                except TrustFileError as error:
                    # The operator's file, not the caller's input: which file and where goes to
                    # the server's log (public key material, no personal data), not to the caller.
                    log.warning("foreign trust file unreadable: %s", error)
                    raise Refused(TRUST_UNAVAILABLE) from None
                self._listing = listing
            return self._material

    def _list(self) -> _Listing:
        if not self.directory.is_dir():
            return ()
        entries = []
        for path in sorted(self.directory.iterdir()):
            if path.is_file() and not path.name.startswith("."):
                status = path.stat()
                entries.append((path.name, status.st_size, status.st_mtime_ns))
        return tuple(entries)


def verify_foreign_certificate(
    uow: UnitOfWork, text: str, trust: TrustMaterial, at: datetime | None = None
) -> ForeignVerdict:
    """The verdict on a scanned foreign certificate at `at` (default: now), audited."""
    hold_staff(uow, "verify", AUDIT_ACTION, None)
    instant = at or uow.now
    try:
        verdict = verify_foreign(text, trust, instant)
    except UnknownFormat as error:
        uow.audit(AUDIT_ACTION, None, "refused", "unknown format")
        raise Refused(unknown_format(error)) from None
    reasons = ",".join(reason.code for reason in verdict.reasons) or "-"
    outcome = "valid" if verdict.valid else "invalid"
    uow.audit(AUDIT_ACTION, f"format:{verdict.format}", outcome, f"reasons={reasons}")
    return verdict


def unknown_format(error: UnknownFormat) -> Refusal:
    """The refusal of a text no verifier claims, naming the prefixes that are known."""
    return Refusal(422, "unknown_format", Bilingual(error.zh, error.en), "text")


TRUST_UNAVAILABLE: Final = Refusal(
    503,
    "foreign_trust_unavailable",
    Bilingual(
        "境外证书的信任材料暂不可用，请联系管理员",
        "The trust material for foreign certificates is unavailable; tell the administrator",
    ),
)
