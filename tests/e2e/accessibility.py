"""axe-core (npm, pinned in package-lock.json; vendored by scripts/vendor_browser_assets.sh into
tests/e2e/vendor/) run inside a page of the real browser.

The pages' Content-Security-Policy admits no injected script, so the browser contexts that run
axe are opened with `bypass_csp=True`: the policy itself is held by tests/web/test_headers.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final

from playwright.sync_api import Page

from e2e.browser import REPO

AXE: Final = REPO / "tests" / "e2e" / "vendor" / "axe-core" / "axe.min.js"
# Serious and critical violations fail; so do the moderate rules issue #14 named as found.
FAILING_IMPACTS: Final = frozenset({"serious", "critical"})
ALSO_FAILING: Final = frozenset({"page-has-heading-one", "landmark-unique"})


def axe_script() -> Path:
    if not AXE.exists():
        raise AssertionError(f"{AXE} is missing: `make install` vendors axe-core from npm")
    return AXE


def violations(page: Page) -> list[dict[str, Any]]:
    """The violations that fail: rule id, impact and the first offending elements."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=axe_script())
    results: dict[str, Any] = page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    failing = []
    for violation in results["violations"]:
        if violation["impact"] in FAILING_IMPACTS or violation["id"] in ALSO_FAILING:
            targets = [node["target"] for node in violation["nodes"][:3]]
            failing.append({"id": violation["id"], "impact": violation["impact"], "at": targets})
    return failing
