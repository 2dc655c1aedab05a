"""Static files under fingerprinted names, cacheable for a year (issue #13).

Every page names its scripts and styles under `/static/<fingerprint>/…`, the fingerprint being a
hash of the whole static folder: a release that changes any file changes every name, so a
browser (or a proxy in front of the servers) may keep each one for a year without asking again,
and at a peak the servers spend nothing on files phones already hold. Scripts import each other
by relative paths, so a module and everything it imports come under the same fingerprint. The
plain `/static/…` names still answer, revalidated on each use (`no-cache`, with an ETag).
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Final

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC: Final = Path(__file__).parent / "static"
FINGERPRINTED: Final = "public, max-age=31536000, immutable"
REVALIDATED: Final = "no-cache"


@cache
def fingerprint(folder: Path = STATIC) -> str:
    """12 hex digits of SHA-256 over every file's relative path and content, in path order."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def static_root() -> str:
    """Where pages take their assets from: `/static/<fingerprint>`."""
    return f"/static/{fingerprint()}"


class CachedStaticFiles(StaticFiles):
    """Static files with the caching their name allows."""

    def __init__(self, *, directory: Path, cache_control: str) -> None:
        super().__init__(directory=directory)
        self._cache_control = cache_control

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            response.headers["cache-control"] = self._cache_control
        return response
