"""`healthcode foreign verify` as a border desk runs it (A8, S1, S5): real processes, real files,
a member state's real certificate from the shared vectors (tests/conformance/dcc)."""

from __future__ import annotations

import base64
import json
import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest
from cryptography.hazmat.primitives import serialization
from test_cli import healthcode

from foreign_builders import DURING, VACCINATION, claims, cose, dcc, dsc, hc1
from healthcode.foreign.verdicts import CHECKS

VECTOR: Final = json.loads(
    (
        Path(__file__).parents[1] / "conformance" / "dcc" / "DE" / "2DCode" / "raw" / "1.json"
    ).read_text(encoding="utf-8")
)
TEXT: Final = VECTOR["PREFIX"]
AT: Final = VECTOR["TESTCTX"]["VALIDATIONCLOCK"]  # 2021-06-01T20:00:00+02:00
LATER: Final = "2023-06-01T12:00:00+00:00"
HOLDER_SURNAME: Final = VECTOR["JSON"]["nam"]["fn"]


@pytest.fixture(scope="module")
def dsc_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("trust") / "de-dsc.der"
    path.write_bytes(base64.b64decode(VECTOR["TESTCTX"]["CERTIFICATE"]))
    return path


def test_a_valid_certificate_prints_the_verdict_and_exits_0__A8_S5(dsc_file: Path) -> None:
    result = healthcode("foreign", "verify", TEXT, "--trust", str(dsc_file), "--at", AT, "--json")
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert set(shown) == {"format", "valid", "checks", "reasons", "facts"}
    assert shown["format"] == "eu-dcc"
    assert shown["valid"] is True
    assert shown["checks"] == dict.fromkeys(CHECKS, True)
    (fact,) = shown["facts"]
    assert (fact["kind"], fact["country"]) == ("vaccination", "DE")
    assert HOLDER_SURNAME not in result.stdout  # masked, as on every screen (D2)


def test_standard_input_and_an_expired_certificate_exit_1__S1(dsc_file: Path) -> None:
    result = healthcode(
        "foreign", "verify", "-", "--trust", str(dsc_file), "--at", LATER, stdin=TEXT
    )
    assert result.returncode == 1, result.stderr
    shown = json.loads(result.stdout)
    assert shown["checks"]["expiry"] is False
    assert {reason["code"] for reason in shown["reasons"]} == {"expired", "signer-expired"}
    assert all(reason["zh"] and reason["en"] for reason in shown["reasons"])
    assert shown["facts"] == []


def test_trust_from_several_files_and_an_unknown_signer__S1(dsc_file: Path, tmp_path: Path) -> None:
    other = dsc()
    pem = tmp_path / "other.pem"
    pem.write_bytes(other.public_bytes(serialization.Encoding.PEM))
    mine = hc1(cose(claims(dcc(v=[VACCINATION])), other))
    at = DURING.isoformat()
    both = ("--trust", str(dsc_file), "--trust", str(pem))
    assert healthcode("foreign", "verify", mine, *both, "--at", at).returncode == 0
    alone = healthcode("foreign", "verify", mine, "--trust", str(dsc_file), "--at", at)
    assert alone.returncode == 1
    assert json.loads(alone.stdout)["reasons"][0]["code"] == "unknown-key"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["HZ1:ABC"], "not a known certificate format"),
        ([TEXT, "--at", "2021-06-01T20:00:00"], "--at"),
        ([TEXT, "--trust", "/nonexistent/dsc.pem"], "/nonexistent/dsc.pem"),
        (["-"], "TEXT: empty"),
    ],
)
def test_unusable_input_is_one_line_and_exit_2__S1(
    dsc_file: Path, args: list[str], message: str
) -> None:
    trust = [] if "--trust" in args else ["--trust", str(dsc_file)]
    result = healthcode("foreign", "verify", *args, *trust, stdin="")
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_no_trust_file_is_refused__S1() -> None:
    result = healthcode("foreign", "verify", TEXT, "--at", AT)
    assert result.returncode == 2
    assert "--trust" in result.stderr


def test_a_broken_trust_file_is_located__S1(tmp_path: Path) -> None:
    broken = tmp_path / "list.json"
    broken.write_text('[{"certificateType": "DSC", "rawData": "@@"}]', "utf-8")
    result = healthcode("foreign", "verify", TEXT, "--trust", str(broken), "--at", AT)
    assert result.returncode == 2
    assert f"{broken}: entry 0: rawData is not a base64 DER certificate" in result.stderr


def test_on_a_terminal_the_verdict_reads_in_both_languages__A8(dsc_file: Path) -> None:
    """A real pseudo-terminal: without --json a person reads lines, Chinese then English."""
    controller, terminal = pty.openpty()
    command = ["foreign", "verify", TEXT, "--trust", str(dsc_file), "--at", LATER]
    process = subprocess.run(  # noqa: S603 - our own command
        [sys.executable, "-m", "healthcode", *command],
        stdout=terminal,
        stderr=subprocess.PIPE,
        check=False,
        timeout=60,
    )
    os.close(terminal)
    shown = b""
    while True:
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal's other end is closed: everything was read
            break
        if not chunk:
            break
        shown += chunk
    os.close(controller)
    text = shown.decode("utf-8")
    assert process.returncode == 1
    assert text.startswith("欧盟数字新冠证书 / EU Digital COVID Certificate: 无效 / not valid")
    assert "有效期 / expiry: 未通过 / failed" in text
    assert "证书已过期 / the certificate has expired" in text
