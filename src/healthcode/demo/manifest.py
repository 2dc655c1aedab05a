"""What demo a data directory holds: its seed, its instant and how many persons (`demo.json`).

Every demo fact is dated relative to the instant it was generated for, and facts are idempotent by
`(source, event_id)` only while their content stays the same. Running the demo again must
therefore regenerate for the same instant, not for the time of the second run: this file keeps it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

MANIFEST_FILE: Final = "demo.json"


class ManifestError(ValueError):
    """The manifest is unreadable; the message is one line."""


@dataclass(frozen=True, slots=True)
class Manifest:
    seed: int
    at: datetime
    persons: int


def read_manifest(data_dir: Path) -> Manifest | None:
    path = data_dir / MANIFEST_FILE
    if not path.exists():
        return None
    try:
        fields = json.loads(path.read_text(encoding="utf-8"))
        return Manifest(int(fields["seed"]), _instant(fields["at"]), int(fields["persons"]))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{path}: unreadable ({type(error).__name__})") from None


def write_manifest(data_dir: Path, manifest: Manifest) -> None:
    """Written before loading starts, so that a run stopped half-way is finished the same way."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fields = {"seed": manifest.seed, "at": manifest.at.isoformat(), "persons": manifest.persons}
    partial = data_dir / f"{MANIFEST_FILE}.part"
    partial.write_text(json.dumps(fields, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, data_dir / MANIFEST_FILE)


def _instant(text: object) -> datetime:
    value = datetime.fromisoformat(str(text))
    if value.tzinfo is None:
        raise ValueError("no offset")
    return value
