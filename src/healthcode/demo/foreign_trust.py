"""The demo's foreign trust: the public example issuers of the NZ COVID Pass and SMART Health Cards
specifications, and a sample certificate of each, so that a checker can try a foreign certificate.

The files are the package's (`samples/foreign-trust/`, `samples/foreign-examples/`, with their
origin and licences in `samples/foreign-examples/ORIGIN.md`). A file already in the data directory
is left as it is: an operator's own trust is never overwritten.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Final

SAMPLES: Final = resources.files("healthcode") / "samples"
EXAMPLES_DIR: Final = Path("demo") / "foreign-examples"


def install_demo_trust(trust_dir: Path, data_dir: Path) -> list[str]:
    """Copy the demo's trust files into `trust_dir` and its sample certificates under
    `data_dir`; the names of the files copied (none on a second run)."""
    copied = _copy(SAMPLES / "foreign-trust", trust_dir)
    _copy(SAMPLES / "foreign-examples", data_dir / EXAMPLES_DIR)
    return copied


def _copy(source: Traversable, target: Path) -> list[str]:
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for item in sorted(source.iterdir(), key=lambda entry: entry.name):
        destination = target / item.name
        if item.is_file() and not destination.exists():
            destination.write_bytes(item.read_bytes())
            copied.append(item.name)
    return copied
