"""Interoperability on loopback (issue #4 acceptance, S1, S4): two provinces and a gateway.

Jiangsu (CN-32) and Zhejiang (CN-33) each have their own data directory, SQLite database and
keyring; a third installation runs the gateway. Everything goes through the real `healthcode`
command as a subprocess. The provinces' trust lists are served over HTTP on 127.0.0.1 and fetched
by the gateway; the Zhejiang checkpoint then holds nothing but the gateway's combined list and root.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from builders import march, resident_id

T0 = march(20)
JIANGSU_RESIDENT = resident_id(region="320102", seq="231")
ZHEJIANG_RESIDENT = resident_id(region="330106", seq="331")


class Installation:
    def __init__(self, root: Path, name: str, issuer: str) -> None:
        self.data_dir = root / name
        self.issuer = issuer
        self.data_dir.mkdir()

    def run(self, *args: str, minutes: float = 0) -> str:
        """The command's standard output; any failure fails the test with its standard error."""
        result = self.attempt(*args, minutes=minutes)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def attempt(self, *args: str, minutes: float = 0) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "HEALTHCODE_DATA_DIR": str(self.data_dir),
            "HEALTHCODE_ISSUER": self.issuer,
            "HEALTHCODE_CLOCK": (T0 + timedelta(minutes=minutes)).isoformat(),
        }
        environment.pop("HEALTHCODE_DATABASE_URL", None)  # each its own embedded SQLite file
        return subprocess.run(  # noqa: S603 - our own command, with the test's own arguments
            [sys.executable, "-m", "healthcode", *args],
            capture_output=True, text=True, check=False, timeout=120, env=environment,
        )  # fmt: skip

    def start(self, resident: str, name: str) -> None:
        events = self.data_dir / "events.jsonl"
        record = {
            "event_id": f"{self.issuer}-1", "source": "health", "type": "vaccination",
            "occurred_at": "2021-03-05T10:00:00+08:00",
            "person": {"id_type": "resident_id", "id_number": resident, "name": name},
            "dose": 1, "product": "新冠病毒灭活疫苗(Vero细胞)",
        }  # fmt: skip
        events.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
        for command in (["keys", "init"], ["db", "upgrade"], ["import", "events", str(events)]):
            self.run(*command)

    def publish(self, folder: Path, *, minutes: float = 0) -> None:
        """Put this issuer's signed list where the web server serves it."""
        self.run("trust-list", "--out", str(folder / f"{self.issuer}.json"), minutes=minutes)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A folder served over HTTP on an ephemeral loopback port, and its base URL."""
    folder = tmp_path / "www"
    folder.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield folder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def verdict(output: str) -> dict[str, Any]:
    return dict(json.loads(output))


def test_jiangsu_code_verified_offline_in_zhejiang_through_the_gateway_until_revoked__S1_S4(
    tmp_path: Path, served: tuple[Path, str]
) -> None:
    folder, base_url = served
    jiangsu = Installation(tmp_path, "jiangsu", "CN-32")
    zhejiang = Installation(tmp_path, "zhejiang", "CN-33")
    gateway = Installation(tmp_path, "gateway", "CN")
    jiangsu.start(JIANGSU_RESIDENT, "王小明")
    zhejiang.start(ZHEJIANG_RESIDENT, "徐明")
    gateway.run("db", "upgrade")
    gateway.run("keys", "init")

    # Each province gives the gateway its root key out of band, then publishes its list.
    for province in (jiangsu, zhejiang):
        root = tmp_path / f"{province.issuer}-root.json"
        root.write_text(province.run("trust-list", "root"), encoding="utf-8")
        gateway.run("gateway", "register", province.issuer, str(root))
        province.publish(folder)
        gateway.run("gateway", "submit", "--from", f"{base_url}/{province.issuer}.json")
    combined, gateway_root = tmp_path / "combined.json", tmp_path / "gateway-root.json"
    gateway.run("gateway", "list", "--out", str(combined))
    gateway.run("trust-list", "root", "--out", str(gateway_root))

    issue = ["code", "issue", "--id-type", "resident_id", "--id-number"]
    issued = json.loads(jiangsu.run(*issue, JIANGSU_RESIDENT, "--json"))
    home = zhejiang.run(*issue, ZHEJIANG_RESIDENT).strip()

    def check(text: str, minutes: float) -> dict[str, Any]:
        return verdict(
            zhejiang.run(
                "verify", text, "--venue", "traffic_checkpoint", "--area-risk", "medium",
                "--trust-list", str(combined), "--trust-root", str(gateway_root), "--json",
                minutes=minutes,
            )
        )  # fmt: skip

    recognised = check(issued["text"], minutes=0.5)
    assert (recognised["decision"], recognised["clauses"]) == ("allow", ["M5", "S1"])
    assert (recognised["issuer"], recognised["color"], recognised["masked_name"]) == (
        "CN-32",
        "green",
        "王*明",
    )
    assert recognised["trust_list_age_seconds"] == 30  # Jiangsu's list, issued at T0
    domestic = check(home, minutes=0.5)
    assert (domestic["decision"], domestic["clauses"], domestic["issuer"]) == (
        "allow",
        ["M5"],
        "CN-33",
    )
    # Online, Zhejiang's own database knows no Jiangsu key: that is what the gateway is for.
    online = verdict(
        zhejiang.run("verify", issued["text"], "--venue", "station", "--area-risk", "medium")
    )
    assert (online["decision"], online["rejection"]) == ("deny", "issuer_not_trusted")

    # Jiangsu revokes its key; the gateway fetches the new list; the checkpoint takes the new
    # combined list, and the same code now fails, pointing to the alternatives of S4.
    jiangsu.run("keys", "revoke", issued["kid"], "--reason", "key exposed", minutes=1)
    jiangsu.publish(folder, minutes=1)
    gateway.run("gateway", "submit", "--from", f"{base_url}/CN-32.json", minutes=1.5)
    gateway.run("gateway", "list", "--out", str(combined), minutes=1.5)
    refused = check(issued["text"], minutes=2)
    assert (refused["decision"], refused["rejection"], refused["clauses"]) == (
        "deny",
        "revoked",
        ["S4"],
    )
    assert "paper code" in refused["reason"]["en"]
    assert check(home, minutes=2)["decision"] == "allow"  # Zhejiang's codes are untouched

    # A replayed older list cannot bring the revoked key back.
    older = tmp_path / "older.json"
    older.write_text(jiangsu.run("trust-list"), encoding="utf-8")  # at T0: before the revocation
    replay = gateway.attempt("gateway", "submit", str(older), minutes=3)
    assert replay.returncode == 2
    assert "before the one held" in replay.stderr
