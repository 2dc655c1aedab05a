"""One entry for every foreign certificate: the text's prefix chooses the format's verifier.

Each verifier has the signature of `verify_foreign` and answers a `ForeignVerdict`; a text with a
prefix no format claims is not a verdict but an `UnknownFormat` error, because nothing about it
could be checked, not even which checks apply (the CLI exits 2, the API answers 422).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Final

from healthcode.foreign import dcc, nzcp, shc
from healthcode.foreign.trust import TrustMaterial
from healthcode.foreign.verdicts import ForeignVerdict

Verifier = Callable[[str, TrustMaterial, datetime], ForeignVerdict]

# Prefixes as each specification writes them: QR alphanumeric mode is upper case (HC1:), the
# SMART Health Card's numeric mode keeps its lower-case URI scheme (shc:/).
VERIFIERS: Final[Mapping[str, Verifier]] = {
    dcc.PREFIX: dcc.verify_dcc,
    shc.PREFIX: shc.verify_shc,
    nzcp.PREFIX: nzcp.verify_nzcp,
}


class UnknownFormat(ValueError):  # noqa: N818 - raised as a verdict: `raise UnknownFormat`
    """A text that starts with none of the known prefixes; the message names them, in both
    languages, and never repeats the text (it may be anything a traveller's phone showed)."""

    def __init__(self) -> None:
        known = ", ".join(VERIFIERS)
        self.zh = f"无法识别的证书格式：应以 {known} 开头"
        self.en = f"not a known certificate format: it should start with {known}"
        super().__init__(self.en)


def verify_foreign(text: str, trust: TrustMaterial, at: datetime) -> ForeignVerdict:
    """The verdict on `text` at `at`, against `trust` only (no network)."""
    scanned = text.strip()
    for prefix, verifier in VERIFIERS.items():
        if scanned.startswith(prefix):
            return verifier(scanned, trust, at)
    raise UnknownFormat
