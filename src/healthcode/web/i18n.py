"""Which language a person reads: Chinese first, English on request (and for the international
version). The choice is an explicit `?lang=`, then the `lang` cookie, then Accept-Language."""

from __future__ import annotations

from typing import Final, Literal

from starlette.requests import Request

from healthcode.domain.text import Bilingual

Language = Literal["zh", "en"]
COOKIE: Final = "lang"
LANGUAGES: Final = frozenset({"zh", "en"})


def language(request: Request) -> Language:
    chosen = request.query_params.get("lang") or request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return "en" if chosen == "en" else "zh"
    accepted = request.headers.get("accept-language", "").lower()
    first = accepted.split(",")[0].strip()
    return "en" if first.startswith("en") else "zh"


def pick(text: Bilingual, lang: Language) -> str:
    return text.en if lang == "en" else text.zh
