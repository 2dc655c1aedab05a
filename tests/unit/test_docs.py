"""The docs stay true to the tree: every clause of the notice is traced, every cited file exists.

`docs/requirements.md` names code relative to `src/healthcode/` and tests relative to `tests/`;
`docs/architecture.md` names code relative to `src/healthcode/`. A module moved without its docs
fails here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[2]
DOCS: Final = ROOT / "docs"
# `services/runtime.py`, `unit/test_rules.py::test_…`, `static/checkpoint/` (a folder).
CITED: Final = re.compile(
    r"`((?:[a-z_0-9]+/)+(?:[a-z_0-9]+\.(?:py|yaml|csv|html|js))?)(?:::[^`]*)?`"
)


def clause_ids() -> list[str]:
    return re.findall(r"^- \*\*([A-Z]\d+)\b", (DOCS / "clauses.md").read_text(), re.M)


def missing_paths(doc: Path) -> list[str]:
    bases = (ROOT / "src" / "healthcode", ROOT / "tests", ROOT / "src" / "healthcode" / "web", ROOT)
    return [
        cited
        for cited in CITED.findall(doc.read_text())
        if not any((base / cited).exists() for base in bases)
    ]


def test_every_clause_of_the_notice_has_a_row_in_the_matrix() -> None:
    matrix = (DOCS / "requirements.md").read_text()
    ids = clause_ids()

    assert len(ids) >= 20
    assert [clause for clause in ids if f"| {clause} |" not in matrix] == []


def test_every_file_the_docs_cite_exists() -> None:
    assert missing_paths(DOCS / "requirements.md") == []
    assert missing_paths(DOCS / "architecture.md") == []


def test_the_path_check_catches_a_moved_module(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("see `services/runtime.py` and `codes/issuing.py::issue_code`\n")

    assert missing_paths(doc) == ["codes/issuing.py"]
