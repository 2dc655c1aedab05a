"""The API explorer at /api/docs: Swagger UI from our own static files (pinned in
package-lock.json, vendored by scripts/vendor_browser_assets.sh), so it works offline and under
the same Content-Security-Policy as every page: no CDN, no inline script."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from healthcode.web.access import Caller, public
from healthcode.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/api/docs", response_class=HTMLResponse)
def api_docs(
    request: Request, _: Annotated[Caller, Depends(public("API explorer"))]
) -> HTMLResponse:
    return render(request, "api_docs.html")
