"""Benchmark: EU DCCs verified per second on one core, against the bare signature check (issue #15).

    .venv/bin/python bench/foreign_dcc.py [--seconds 1.0] [--repeat 3] [--cpu 0]

Two member-state certificates from the shared vectors (tests/conformance/dcc): DE/1 (ES256) and
common/CO1 (PS256, RSA 2048). For each, `verify_dcc` on the whole `HC1:` text (prefix, Base45,
zlib, COSE, CWT, signature, times, schema, key usage, facts) against the floor of `cryptography`
verifying the same signature over the same Sig_structure, measured in the same run, taking turns
`--repeat` times; each figure is the median. The ratio is the claim, not the absolute rates.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import sys
import time
import zlib
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from healthcode.foreign.dcc import DccSign1, read_sign1, verify_dcc
from healthcode.foreign.trust import TrustMaterial, read_trust
from healthcode.tokens.base45 import b45decode
from healthcode.tokens.cose import to_be_signed

VECTORS = Path(__file__).parents[1] / "tests" / "conformance" / "dcc"


def rate(work: Callable[[], object], seconds: float) -> float:
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(20):
            work()
        done += 20
    return done / elapsed


def signature_floor(message: DccSign1, key: object) -> Callable[[], object]:
    """`cryptography` verifying the certificate's signature over its Sig_structure, nothing else."""
    signed = to_be_signed(message.protected_bytes, message.payload)
    if isinstance(key, ec.EllipticCurvePublicKey):
        r, s = (int.from_bytes(message.signature[i : i + 32], "big") for i in (0, 32))
        der = encode_dss_signature(r, s)
        return lambda: key.verify(der, signed, ec.ECDSA(hashes.SHA256()))
    if not isinstance(key, rsa.RSAPublicKey):
        raise SystemExit(f"no floor for a {type(key).__name__}")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return lambda: key.verify(message.signature, signed, pss, hashes.SHA256())


def whole_verification(text: str, trust: TrustMaterial, at: datetime) -> Callable[[], object]:
    return lambda: verify_dcc(text, trust, at)


def cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    found = []
    for name in ("DE/2DCode/raw/1.json", "common/2DCode/raw/CO1.json"):
        vector = json.loads((VECTORS / name).read_text("utf-8"))
        trust = read_trust(base64.b64decode(vector["TESTCTX"]["CERTIFICATE"]), name)
        at = datetime.fromisoformat(vector["TESTCTX"]["VALIDATIONCLOCK"])
        text = vector["PREFIX"]
        message = read_sign1(zlib.decompress(b45decode(text[4:])))
        key = trust.dcc_keys[message.kid or b""].public_key
        if not verify_dcc(text, trust, at).valid:
            raise SystemExit(f"{name} does not verify: the benchmark would measure a refusal")
        found.append((name, whole_verification(text, trust, at), signature_floor(message, key)))
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", type=int, default=0)
    options = parser.parse_args()
    os.sched_setaffinity(0, {options.cpu})
    measured = cases()
    rates: dict[tuple[str, str], list[float]] = {}
    for _ in range(options.repeat):
        for name, whole, floor in measured:
            rates.setdefault((name, "verify_dcc"), []).append(rate(whole, options.seconds))
            rates.setdefault((name, "floor"), []).append(rate(floor, options.seconds))
    print(f"Python {sys.version.split()[0]}, one CPU, median of {options.repeat} turns\n")
    print("| certificate | verify_dcc per second | bare signature check per second | ratio |")
    print("|---|---:|---:|---:|")
    for name, _, _ in measured:
        whole_rate = statistics.median(rates[(name, "verify_dcc")])
        floor_rate = statistics.median(rates[(name, "floor")])
        print(
            f"| {name} | {whole_rate:,.0f} | {floor_rate:,.0f} | {floor_rate / whole_rate:.1f}× |"
        )


if __name__ == "__main__":
    main()
