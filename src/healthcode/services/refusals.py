"""A use case's refusal, returned rather than raised so that the transaction auditing it commits.

One shape for every use case that refuses this way (households, appeals): a stable code for apps,
the HTTP status the web layer answers with, a bilingual text naming no personal data, and the field
at fault when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthcode.domain.text import Bilingual


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    text: Bilingual
    field: str | None = None
