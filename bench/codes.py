"""Benchmark: codes issued and verified per second on one core, against bare `cryptography` ES256.

    .venv/bin/python bench/codes.py [--seconds 1.5] [--repeat 3] [--cpu 0]

Pins the process to one CPU, then takes turns `--repeat` times over every measurement, so a noisy
spell on the shared machine hits all of them; each figure is the median. The floors are the bare
`cryptography` ES256 sign and verify of a real token's COSE Sig_structure, measured in the same
run: the ratios to them are the claim, not the absolute rates. Last, the sizes of real tokens and
the QR versions they need at level Q. Everything is printed as Markdown for bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.clock import FrozenClock
from healthcode.db.engine import connect
from healthcode.db.migrate import upgrade
from healthcode.domain.areas import RiskLevel
from healthcode.domain.facts import Fact, Person, Source, Vaccination
from healthcode.domain.identity import IdType, resident_id_check_digit
from healthcode.domain.rules import Colour
from healthcode.domain.timezones import CHINA_TIME
from healthcode.domain.venues import Venue
from healthcode.security.keyring import generate_keyring
from healthcode.security.vault import Vault
from healthcode.services.codes.issuing import issue_code
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.codes.trust import DatabaseTrust, ListTrust
from healthcode.services.codes.trust_lists import publish_trust_list
from healthcode.services.codes.verification import verify_code
from healthcode.services.facts import record_facts
from healthcode.services.runtime import Actor, Runtime
from healthcode.settings import Settings
from healthcode.tokens import (
    PREFIX,
    CodeClaims,
    CodeVersion,
    Medium,
    check_token,
    issue_token,
    qr_version,
    read_token,
)
from healthcode.tokens.base45 import b45decode
from healthcode.tokens.jwk import public_jwk
from healthcode.tokens.keys import KeyPurpose
from healthcode.tokens.trust_lists import verify_trust_list

NOW = datetime(2021, 3, 20, 12, tzinfo=CHINA_TIME)
FIRST17 = "33010619800101123"
PERSON = Person(IdType.RESIDENT_ID, FIRST17 + resident_id_check_digit(FIRST17), "张小三")
ACTOR = Actor("bench", "checkpoint", "benchmark")


def rate(action: Callable[[], object], seconds: float) -> float:
    """Calls per second of `action`, run in batches until `seconds` have passed."""
    calls, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(50):
            action()
        calls += 50
    return calls / elapsed


def runtime_in(folder: Path) -> Runtime:
    """SQLite in WAL with synchronous=FULL, as the embedded default runs; a fixed clock."""
    settings = Settings(data_dir=folder, database_url=f"sqlite:///{folder / 'bench.db'}")
    engine = connect(settings.database_url)
    upgrade(engine)
    vault = Vault(generate_keyring(NOW))
    runtime = Runtime(settings, engine, vault, FrozenClock(NOW), vault.blind_index("a", "b"))
    with runtime.unit_of_work(ACTOR) as uow:
        record_facts(uow, [Fact("v-1", Source.HEALTH, PERSON, NOW, Vaccination(1, "灭活疫苗"))])
    return runtime


def measurements(runtime: Runtime) -> dict[str, Callable[[], object]]:
    with runtime.unit_of_work(ACTOR) as uow:
        text = issue_code(uow, PERSON.key).text
        document = publish_trust_list(uow)
        root = public_jwk(active_signing_key(uow, KeyPurpose.TRUST_LIST).public_key)
        key = active_signing_key(uow)
    trust = ListTrust([verify_trust_list(document, root)], home_issuer="CN-33")
    token = read_token(text)
    public_key = key.public_key
    # The COSE Sig_structure (RFC 9052 §4.4): exactly the bytes a token's signature covers.
    signed = cbor2.dumps(["Signature1", token.sign1.protected_bytes, b"", token.sign1.payload])
    der = key.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
    claims = token.claims

    def issue_service() -> None:
        with runtime.unit_of_work(ACTOR) as uow:
            issue_code(uow, PERSON.key)

    def verify_online() -> None:
        with runtime.unit_of_work(ACTOR) as uow:
            verify_code(
                text, trust=DatabaseTrust(uow), venue=Venue.MALL, area_risk=RiskLevel.MEDIUM,
                now=uow.now,
            )  # fmt: skip

    return {
        "bare `cryptography` ES256 sign": lambda: key.private_key.sign(
            signed, ec.ECDSA(hashes.SHA256())
        ),
        "`tokens.issue_token` (claims → QR text)": lambda: issue_token(
            claims, key.kid_bytes, key.private_key
        ),
        "`issue_code` (SQLite, one transaction each)": issue_service,
        "bare `cryptography` ES256 verify": lambda: public_key.verify(
            der, signed, ec.ECDSA(hashes.SHA256())
        ),
        "`tokens.check_token` alone (token already read)": lambda: check_token(
            token, public_key, NOW
        ),
        "`read_token` + `check_token`": lambda: check_token(read_token(text), public_key, NOW),
        "`verify_code` offline (trust list)": lambda: verify_code(
            text, trust=trust, venue=Venue.MALL, area_risk=RiskLevel.MEDIUM, now=NOW
        ),
        "`verify_code` online (SQLite, one transaction each)": verify_online,
    }


def sizes() -> list[tuple[str, int, int, int]]:
    """Real-size tokens: (what, COSE bytes, characters, QR version at level Q)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cases = [
        ("domestic, green, no flag, 张*三", (), CodeVersion.DOMESTIC, "张*三"),
        ("domestic, green, health_monitoring, 欧**明", ("health_monitoring",),
         CodeVersion.DOMESTIC, "欧**明"),
        ("international, yellow, two flags, J*** S****",
         ("health_monitoring", "travel_from_risk_area"), CodeVersion.INTERNATIONAL, "J*** S****"),
    ]  # fmt: skip
    rows = []
    for what, flags, version, name in cases:
        claims = CodeClaims(
            "CN-33", "q0Yk3n8XbT2mWcR5vLp9Ha", NOW, NOW + timedelta(minutes=5), Colour.GREEN,
            flags, version, name, Medium.PHONE,
        )  # fmt: skip
        text = issue_token(claims, bytes(8), key)
        cose = zlib.decompress(b45decode(text.removeprefix(PREFIX)))
        assert cbor2.loads(cose).tag == 18  # noqa: S101 - a benchmark's own sanity check
        rows.append((what, len(cose), len(text), qr_version(text)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="per measurement and turn")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0, help="the one CPU to run on")
    args = parser.parse_args()
    os.sched_setaffinity(0, {args.cpu})
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_in(Path(folder))
        actions = measurements(runtime)
        rates: dict[str, list[float]] = {name: [] for name in actions}
        for _ in range(args.repeat):
            for name, action in actions.items():
                rates[name].append(rate(action, args.seconds))
        runtime.engine.dispose()
    medians = {name: statistics.median(values) for name, values in rates.items()}
    print_report(args, medians, rates)


def print_report(
    args: argparse.Namespace, medians: dict[str, float], rates: dict[str, list[float]]
) -> None:
    sign = medians["bare `cryptography` ES256 sign"]
    verify = medians["bare `cryptography` ES256 verify"]
    print(
        f"Python {platform.python_version()}, {platform.machine()}, pinned to CPU {args.cpu} "
        f"of {os.cpu_count()}; {args.repeat} turns of {args.seconds} s, median.\n"
    )
    print("| measurement | per second (median) | min – max | ÷ bare ES256 (same run) |")
    print("|---|--:|--:|--:|")
    for name, value in medians.items():
        floor = sign if "sign" in name or "issue" in name else verify
        low, high = min(rates[name]), max(rates[name])
        print(f"| {name} | {value:,.0f} | {low:,.0f} – {high:,.0f} | {value / floor:.2f} |")
    print("\n| real token | COSE bytes | characters | QR version (level Q) |")
    print("|---|--:|--:|--:|")
    for what, cose, characters, version in sizes():
        print(f"| {what} | {cose} | {characters} | {version} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
