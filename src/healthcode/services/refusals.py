"""One way to refuse: a use case that understands a request and will not do it raises `Refused`.

`Refused` carries a `Refusal`: a stable code for apps, the HTTP status the web answers with, a
bilingual text naming no personal data, and the field at fault when there is one. The unit of work
commits on it (the refusal's audit entry is kept) where any other exception rolls back, so a use
case refuses only before it writes anything but its audit entry. The edges translate it once:
the web into SPEC §4's error (`web/errors.py`), the CLI into one line and exit status 2.

Input a use case cannot read at all (a malformed department file, a key that does not parse)
raises the module's own `…Error(ValueError)` instead, which names the field, never its value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from healthcode.domain.text import Bilingual


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    text: Bilingual
    field: str | None = None
    retry_after: int | None = None  # seconds until the same request may succeed (a 429)


class Refused(Exception):  # noqa: N818 - it is raised as a verb: `raise Refused(NOT_FOUND)`
    """A request understood and refused; `refusal` is what the caller is told."""

    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.code)
        self.refusal = refusal


NOT_FOUND: Final = Refusal(404, "not_found", Bilingual("找不到该资源。", "Not found."))
FORBIDDEN: Final = Refusal(
    403, "forbidden", Bilingual("您无权进行此操作。", "You are not allowed to do this.")
)
INVALID_INPUT: Final = Bilingual(
    "输入有误，请检查后重试。", "The input is not valid; check it and try again."
)


def invalid_input(field: str | None) -> Refusal:
    """Input that fails a check the request's schema could not express; names the field only."""
    return Refusal(422, "invalid_input", INVALID_INPUT, field)
