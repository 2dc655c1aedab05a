"""The EU member states' DCC test vectors (copied in dcc/), each judged as its EXPECTEDRESULTS say.

One test per expected result of every vector file, so pytest's summary counts the results judged.
The procedure is the one in dcc/README.md: each flag names one step of the chain, run on the
vector's fields with `healthcode.foreign.dcc`, its TESTCTX.CERTIFICATE as the only trust material
and its VALIDATIONCLOCK as the instant; `true` means the step must succeed, `false` that it must
fail. A flag whose step needs a field the vector does not carry is skipped, saying which (the
README: "if some of the EXPECTEDRESULT values are not present, the steps can be skipped").
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import pytest
import zxingcpp
from PIL import Image, UnidentifiedImageError

from healthcode.foreign.dcc import (
    DccLayerError,
    decode_base45,
    inflate_layer,
    json_form,
    read_claims,
    read_sign1,
    schema_problem,
    unprefix,
    verify_cose,
    verify_dcc,
)
from healthcode.foreign.trust import TrustMaterial, read_trust
from healthcode.foreign.verdicts import ForeignVerdict
from healthcode.tokens.cose import decode_cbor
from healthcode.tokens.errors import TokenError

VECTORS: Final = Path(__file__).parent / "dcc"
QR_ONLY: Final = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


@dataclass(frozen=True)
class Vector:
    name: str
    content: dict[str, Any]

    @property
    def context(self) -> dict[str, Any]:
        return dict(self.content.get("TESTCTX", {}))

    def field(self, name: str) -> Any:
        if name not in self.content:
            pytest.skip(f"{self.name} carries no {name} for this step")
        return self.content[name]

    def verdict(self) -> ForeignVerdict:
        """The whole verification, from the innermost layer the vector carries."""
        context = self.context
        certificate = context.get("CERTIFICATE")
        trust = read_trust(base64.b64decode(certificate), "TESTCTX") if certificate else None
        at = datetime.fromisoformat(context["VALIDATIONCLOCK"])
        if "COSE" in self.content:
            return verify_cose(bytes.fromhex(self.content["COSE"]), trust or TrustMaterial(), at)
        return verify_dcc(self.field("PREFIX"), trust or TrustMaterial(), at)

    def decoded_certificate(self) -> Mapping[str, object]:
        """The DCC payload from the innermost layer carried; DccLayerError if a layer fails."""
        if "COSE" in self.content:
            cose = bytes.fromhex(self.content["COSE"])
        else:
            cose = inflate_layer(decode_base45(unprefix(self.field("PREFIX"))))
        return read_claims(read_sign1(cose).payload).certificate


def _load() -> list[Vector]:
    return [
        Vector(str(path.relative_to(VECTORS)), json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(VECTORS.glob("*/2DCode/raw/*.json"))
    ]


def _cbor_certificate(vector: Vector) -> object:
    """The vector's CBOR field, a DCC payload alone or inside its CWT claims, as JSON."""
    data = bytes.fromhex(vector.field("CBOR"))
    item = decode_cbor(data, allow_indefinite=True)
    if isinstance(item, Mapping) and -260 in item:
        return read_claims(data).certificate
    return json_form(item)


def _succeeds(step: Callable[[], bool]) -> bool:
    """Whether a step of the chain ran and its result matched; a layer refusing it is a no."""
    try:
        return step()
    except (DccLayerError, TokenError):
        return False


def valid_object(vector: Vector) -> bool:
    return schema_problem(vector.field("JSON")) is None


def schema_validation(vector: Vector) -> bool:
    return vector.verdict().checks["schema"] is True


def decode(vector: Vector) -> bool:
    """The payload inside COSE decodes, matches the CBOR field and the JSON (README test 6)."""

    def step() -> bool:
        inside = vector.decoded_certificate()
        matches_cbor = "CBOR" not in vector.content or _cbor_certificate(vector) == inside
        matches_json = "JSON" not in vector.content or vector.content["JSON"] == inside
        return matches_cbor and matches_json

    return _succeeds(step)


def verify(vector: Vector) -> bool:
    checks = vector.verdict().checks
    return checks["decode"] is True and checks["signature"] is True


def expiration_check(vector: Vector) -> bool:
    return vector.verdict().checks["expiry"] is True


def key_usage(vector: Vector) -> bool:
    return vector.verdict().checks["key_usage"] is True


def unprefixed(vector: Vector) -> bool:
    prefixed = vector.field("PREFIX")
    return _succeeds(lambda: unprefix(prefixed) == vector.field("BASE45"))


def base45_decode(vector: Vector) -> bool:
    """BASE45 decodes to COMPRESSED; a vector without COMPRESSED: to the zlib of its COSE."""
    text = vector.field("BASE45")
    if "COMPRESSED" in vector.content:
        compressed = bytes.fromhex(vector.content["COMPRESSED"])
        return _succeeds(lambda: decode_base45(text) == compressed)
    cose = bytes.fromhex(vector.field("COSE"))
    return _succeeds(lambda: inflate_layer(decode_base45(text)) == cose)


def compression(vector: Vector) -> bool:
    compressed = bytes.fromhex(vector.field("COMPRESSED"))
    expected = bytes.fromhex(vector.field("COSE"))
    return _succeeds(lambda: inflate_layer(compressed) == expected)


def picture_decode(vector: Vector) -> bool:
    png = base64.b64decode(vector.field("2DCODE"))
    prefixed = vector.field("PREFIX")
    try:
        image = Image.open(io.BytesIO(png))
        image.load()
    except UnidentifiedImageError:
        return False
    return [symbol.text for symbol in zxingcpp.read_barcodes(image, formats=QR_ONLY)] == [prefixed]


def valid_json(vector: Vector) -> bool:
    """The whole chain from PREFIX decodes to the JSON (README test 7)."""
    prefixed = vector.field("PREFIX")
    expected: object = vector.field("JSON")

    def step() -> bool:
        cose = inflate_layer(decode_base45(unprefix(prefixed)))
        return read_claims(read_sign1(cose).payload).certificate == expected

    return _succeeds(step)


def encode(vector: Vector) -> bool:
    """The CBOR field and the JSON are the same certificate (README note 2: decode, compare)."""
    expected = vector.field("JSON")
    return _succeeds(lambda: _cbor_certificate(vector) == expected)


JUDGES: Final[Mapping[str, Callable[[Vector], bool]]] = {
    "EXPECTEDVALIDOBJECT": valid_object,
    "EXPECTEDSCHEMAVALIDATION": schema_validation,
    "EXPECTEDENCODE": encode,
    "EXPECTEDDECODE": decode,
    "EXPECTEDVERIFY": verify,
    "EXPECTEDCOMPRESSION": compression,
    "EXPECTEDKEYUSAGE": key_usage,
    "EXPECTEDUNPREFIX": unprefixed,
    "EXPECTEDVALIDJSON": valid_json,
    "EXPECTEDB45DECODE": base45_decode,
    "EXPECTEDPICTUREDECODE": picture_decode,
    "EXPECTEDEXPIRATIONCHECK": expiration_check,
}
ALL_VECTORS: Final = _load()
EXPECTATIONS: Final = [
    pytest.param(vector, flag, expected, id=f"{vector.name}:{flag.removeprefix('EXPECTED')}")
    for vector in ALL_VECTORS
    for flag, expected in sorted(vector.content["EXPECTEDRESULTS"].items())
]


def test_the_shared_sample_is_all_here() -> None:
    assert len(ALL_VECTORS) == 71
    assert len(EXPECTATIONS) == 330


def test_every_expected_result_is_one_this_runner_judges() -> None:
    flags = {flag for vector in ALL_VECTORS for flag in vector.content["EXPECTEDRESULTS"]}
    assert flags <= JUDGES.keys()


@pytest.mark.parametrize(("vector", "flag", "expected"), EXPECTATIONS)
def test_vector(vector: Vector, flag: str, expected: bool) -> None:
    assert JUDGES[flag](vector) is expected
