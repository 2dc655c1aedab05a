"""Server-rendered pages: Jinja2 templates that read Chinese first, English on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from healthcode.domain.text import Bilingual
from healthcode.web.i18n import COOKIE, LANGUAGES, language
from healthcode.web.static_files import static_root

TEMPLATES = Path(__file__).parent / "templates"


def templates() -> Jinja2Templates:
    pages = Jinja2Templates(directory=TEMPLATES)
    # `{{ static }}/css/app.css`: assets under the fingerprinted names (web/static_files.py).
    pages.env.globals["static"] = static_root()
    return pages


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render `name` in the reader's language; `t(zh, en)` and `tb(Bilingual)` pick the text."""
    lang = language(request)

    def t(zh: str, en: str) -> str:
        return en if lang == "en" else zh

    def tb(text: Bilingual | dict[str, str] | None) -> str:
        if text is None:
            return ""
        if isinstance(text, Bilingual):
            return t(text.zh, text.en)
        return t(text.get("zh", ""), text.get("en", ""))

    page: Jinja2Templates = request.app.state.templates
    values = {"lang": lang, "t": t, "tb": tb, "switch_language": _switch(request, lang), **context}
    response = page.TemplateResponse(request, name, values, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        # The choice made with the switch sticks for the next pages.
        response.set_cookie(COOKIE, lang, max_age=365 * 86400, samesite="lax")
    return response


def _switch(request: Request, lang: str) -> str:
    """The language switch's link: this page's query (a sign-in's `next`) kept, `lang` flipped."""
    kept = [(key, value) for key, value in request.query_params.multi_items() if key != "lang"]
    return "?" + urlencode([*kept, ("lang", "zh" if lang == "en" else "en")])
