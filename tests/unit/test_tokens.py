"""The code on the wire (SPEC §3): Base45, COSE_Sign1 with ES256, CWT claims, `HZ1:` text, QR."""

import base64
import struct
import zlib
from dataclasses import fields, replace
from datetime import datetime, timedelta
from typing import cast

import cbor2
import pytest
import zxingcpp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)
from hypothesis import assume, given
from hypothesis import strategies as st

from builders import march, resident_id
from healthcode.domain.rules import Colour
from healthcode.tokens import (
    PREFIX,
    CodeClaims,
    CodeVersion,
    Medium,
    Rejection,
    TokenError,
    check_token,
    issue_token,
    qr_png,
    qr_svg,
    qr_version,
    read_token,
)
from healthcode.tokens.base45 import ALPHABET, b45decode, b45encode
from healthcode.tokens.claims import decode_claims, encode_claims
from healthcode.tokens.cose import P256_ORDER, Sign1, parse_sign1, verify_sign1
from healthcode.tokens.qr import MASK

QR_ONLY = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)

KEY = ec.generate_private_key(ec.SECP256R1())
PUBLIC_KEY = KEY.public_key()
OTHER_KEY = ec.generate_private_key(ec.SECP256R1())
KID = bytes.fromhex("0123456789abcdef")
ISSUED = march(20)
ISSUED_SECONDS = int(ISSUED.timestamp())
CLAIMS = CodeClaims(
    issuer="CN-33",
    subject="q0Yk3n8XbT2mWcR5vLp9Ha",  # 128 random bits, base64url: the size of a real pseudonym
    issued_at=ISSUED,
    expires_at=ISSUED + timedelta(minutes=5),
    colour=Colour.YELLOW,
    flags=("health_monitoring", "travel_from_risk_area"),
    version=CodeVersion.DOMESTIC,
    masked_name="张*三",
    medium=Medium.PHONE,
)
TOKEN = issue_token(CLAIMS, KID, KEY)
COSE = zlib.decompress(b45decode(TOKEN.removeprefix(PREFIX)))
READ_FAILURES = {
    Rejection.BAD_PREFIX,
    Rejection.BAD_ENCODING,
    Rejection.BAD_COMPRESSION,
    Rejection.BAD_STRUCTURE,
}


def outcome(text: str, key: ec.EllipticCurvePublicKey = PUBLIC_KEY) -> Rejection | None:
    """What a checkpoint holding `key` concludes about `text` at issue time."""
    try:
        token = read_token(text)
    except TokenError as error:
        return error.rejection
    return check_token(token, key, ISSUED)


def wire(cose: bytes) -> str:
    return PREFIX + b45encode(zlib.compress(cose, 9))


def cose_sign1(protected: object, unprotected: object, payload: object, *, tag: int = 18) -> bytes:
    """A COSE_Sign1 built here independently of `cose.sign1`, validly signed over any headers.

    `protected` is a header map, or the bytes of one when a test needs CBOR that cbor2 won't write.
    """
    protected_bytes = protected if isinstance(protected, bytes) else cbor2.dumps(protected)
    to_be_signed = cbor2.dumps(["Signature1", protected_bytes, b"", payload])
    r, s = decode_dss_signature(KEY.sign(to_be_signed, ec.ECDSA(hashes.SHA256())))
    # Independently of `cose.low_s`: of the two valid signatures, the one verifiers accept.
    s = min(s, P256_ORDER - s)
    signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return cbor2.dumps(cbor2.CBORTag(tag, [protected_bytes, unprotected, payload, signature]))


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"AB", "BB8"),
        (b"Hello!!", "%69 VD92EX0"),
        (b"base-45", "UJCLQE7W581"),
        (b"ietf!", "QED8WEX0"),
        (b"", ""),
    ],
)
def test_base45_matches_rfc9285_vectors__S1(data: bytes, text: str) -> None:
    assert b45encode(data) == text
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 16 + 16*45 + 32*45² = 65536: over two bytes
        "::",  # 44 + 44*45 = 2024: over the one byte a final pair holds
        "A",  # one character encodes nothing
        "BB8A",
        "bb8",  # lower case is not in the alphabet
        "BB=",
        "BB8\n",
        "张三A",
    ],
)
def test_base45_refuses_invalid_text__S1(text: str) -> None:
    with pytest.raises(TokenError) as refused:
        b45decode(text)
    assert refused.value.rejection == Rejection.BAD_ENCODING


@given(data=st.binary(max_size=512))
def test_base45_round_trips_any_bytes__S1(data: bytes) -> None:
    text = b45encode(data)
    assert set(text) <= set(ALPHABET)
    assert b45decode(text) == data


@pytest.mark.parametrize(
    "claims",
    [
        CLAIMS,
        replace(CLAIMS, colour=Colour.GREEN, flags=()),
        replace(
            CLAIMS,
            colour=Colour.RED,
            version=CodeVersion.INTERNATIONAL,
            masked_name="J*** S****",
            medium=Medium.PAPER,
            expires_at=ISSUED + timedelta(days=7),
        ),
    ],
)
def test_issued_token_reads_back_and_verifies__S1(claims: CodeClaims) -> None:
    text = issue_token(claims, KID, KEY)
    token = read_token(text)
    assert text.startswith(PREFIX)
    assert set(text) <= set(ALPHABET)
    assert (token.kid, token.issuer, token.claims) == (KID, "CN-33", claims)
    assert check_token(token, PUBLIC_KEY, ISSUED) is None


def test_cose_sign1_layout_follows_rfc9052__S1() -> None:
    message = cbor2.loads(COSE)
    protected, unprotected, payload, signature = message.value
    assert message.tag == 18
    assert cbor2.loads(protected) == {1: -7, 4: KID}
    assert unprotected == {}
    assert decode_claims(payload) == CLAIMS
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", payload])
    der = encode_dss_signature(int.from_bytes(signature[:32]), int.from_bytes(signature[32:]))
    PUBLIC_KEY.verify(der, to_be_signed, ec.ECDSA(hashes.SHA256()))


def test_verifies_the_cose_working_group_es256_example__S1() -> None:
    """cose-wg/Examples sign1-tests/sign-pass-03 (RFC 9052 C.2.1's message, untagged).

    Its kid is in the unprotected header, so only the signature layer can take it as it is. Its
    s is in the high half, which we refuse (one signature per message): its low-S twin verifies.
    """

    def coordinate(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "="))

    key = ec.EllipticCurvePublicNumbers(
        coordinate("usWxHK2PmfnHKwXPS54m0kTcGJ90UiglWiGahtagnv8"),
        coordinate("IBOL-C3BttVivg-lSreASjpkttcsz-1rb7btKLv8EX4"),
        ec.SECP256R1(),
    ).public_key()
    signature = bytes.fromhex(
        "EAE868ECC176883766C5DC5BA5B8DCA25DAB3C2E56A551CE5705B793914348E1"
        "9F43D6C6BA654472DA301B645B293C9BA939295B97C4BDB847782BFF384C5794"
    )
    example = cbor2.dumps(
        cbor2.CBORTag(18, [bytes.fromhex("a10126"), {4: b"11"}, b"This is the content.", signature])
    )
    published = Sign1(bytes.fromhex("a10126"), b"11", -7, b"This is the content.", signature)
    assert not verify_sign1(published, key)
    s = int.from_bytes(signature[32:], "big")
    sign1 = replace(published, signature=signature[:32] + (P256_ORDER - s).to_bytes(32, "big"))
    assert verify_sign1(sign1, key)
    assert not verify_sign1(replace(sign1, payload=b"This is the content!"), key)
    with pytest.raises(TokenError, match="unprotected"):
        parse_sign1(example)


@given(position=st.integers(len(PREFIX), len(TOKEN) - 1), replacement=st.sampled_from(ALPHABET))
def test_any_changed_character_is_rejected__S1(position: int, replacement: str) -> None:
    assume(replacement != TOKEN[position])
    tampered = TOKEN[:position] + replacement + TOKEN[position + 1 :]
    assert outcome(tampered) in READ_FAILURES | {Rejection.BAD_SIGNATURE}


@given(position=st.integers(0, len(COSE) - 1), flip=st.integers(1, 255))
def test_any_flipped_cose_byte_is_rejected__S1(position: int, flip: int) -> None:
    tampered = bytearray(COSE)
    tampered[position] ^= flip
    assert outcome(wire(bytes(tampered))) in {Rejection.BAD_STRUCTURE, Rejection.BAD_SIGNATURE}


@pytest.mark.parametrize(
    ("now", "leeway", "expected"),
    [
        (ISSUED, timedelta(seconds=30), None),
        (ISSUED + timedelta(minutes=5, seconds=30), timedelta(seconds=30), None),
        (ISSUED + timedelta(minutes=5, seconds=31), timedelta(seconds=30), Rejection.EXPIRED),
        (ISSUED + timedelta(minutes=5, seconds=1), timedelta(0), Rejection.EXPIRED),
        (ISSUED - timedelta(seconds=30), timedelta(seconds=30), None),
        (ISSUED - timedelta(seconds=31), timedelta(seconds=30), Rejection.NOT_YET_VALID),
        (ISSUED - timedelta(hours=1), timedelta(minutes=59), Rejection.NOT_YET_VALID),
    ],
)
def test_validity_window_with_leeway__S1(
    now: datetime, leeway: timedelta, expected: Rejection | None
) -> None:
    assert check_token(read_token(TOKEN), PUBLIC_KEY, now, leeway=leeway) == expected


def test_only_the_signing_key_verifies__S1() -> None:
    other_curve = ec.generate_private_key(ec.SECP384R1()).public_key()
    assert outcome(TOKEN, OTHER_KEY.public_key()) == Rejection.BAD_SIGNATURE
    assert outcome(issue_token(CLAIMS, KID, OTHER_KEY)) == Rejection.BAD_SIGNATURE
    assert outcome(TOKEN, other_curve) == Rejection.BAD_SIGNATURE


@pytest.mark.parametrize(
    "signature",
    [
        bytes(64),  # r = s = 0
        b"\xff" * 64,  # r and s past the group order
        bytes(32) + b"\x01" * 32,
        b"\x01" * 32 + bytes(32),
        bytes(63),
        bytes(65),
        b"",
    ],
)
def test_degenerate_signatures_fail__S1(signature: bytes) -> None:
    assert not verify_sign1(replace(read_token(TOKEN).sign1, signature=signature), PUBLIC_KEY)


PAYLOAD = encode_claims(CLAIMS)


@pytest.mark.parametrize(
    "cose",
    [
        cose_sign1({1: -35, 4: KID}, {}, PAYLOAD),  # ES384
        cose_sign1({1: -8, 4: KID}, {}, PAYLOAD),  # EdDSA
        cose_sign1({1: "ES256", 4: KID}, {}, PAYLOAD),
        cose_sign1({4: KID}, {1: -7}, PAYLOAD),  # alg not signed
        cose_sign1({1: -7}, {4: KID}, PAYLOAD),  # kid not signed
        cose_sign1({1: -7, 4: KID}, {4: b"other"}, PAYLOAD),
        cose_sign1({1: -7, 4: b""}, {}, PAYLOAD),
        cose_sign1({1: -7, 4: KID, 2: [99]}, {}, PAYLOAD),  # crit: must be understood
        cose_sign1({1: -7, 4: KID}, {}, PAYLOAD, tag=17),
        cose_sign1({1: -7, 4: KID}, {}, None),  # detached payload
        cose_sign1({1: -7, 4: KID}, [], PAYLOAD),
        cose_sign1({1: -7, 4: KID}, {}, PAYLOAD) + b"\x00",
        cbor2.dumps(cbor2.loads(COSE).value),  # untagged
        cose_sign1(bytes.fromhex("a30126012604") + bytes([0x40 + len(KID)]) + KID, {}, PAYLOAD),
        cose_sign1(
            bytes.fromhex("bf012604") + bytes([0x40 + len(KID)]) + KID + b"\xff", {}, PAYLOAD
        ),
        cose_sign1(cbor2.dumps({1: -7, 4: KID}) + b"\x00", {}, PAYLOAD),
        cose_sign1(cbor2.dumps([1, -7, 4, KID]), {}, PAYLOAD),
    ],
    # Numbered, not shown: the signatures are random, and ids must be the same in every run.
    ids=lambda _: "case",
)
def test_cose_refuses_anything_but_tagged_es256_with_a_signed_kid__S1(cose: bytes) -> None:
    assert outcome(wire(cose)) == Rejection.BAD_STRUCTURE


def test_a_correctly_built_cose_is_accepted__S1() -> None:
    """The refusals above are for the one thing each case changes, not for how it was built."""
    assert outcome(wire(cose_sign1({1: -7, 4: KID}, {}, PAYLOAD))) is None


def with_claim(label: int, value: object) -> dict[object, object]:
    """The claims of `CLAIMS` with one claim changed, or removed when `value` is None."""
    claims: dict[object, object] = cbor2.loads(PAYLOAD)
    claims[label] = value
    return {key: value for key, value in claims.items() if value is not None}


def with_code(key: str, value: object) -> dict[object, object]:
    """The same with one entry of the private claim (-260) changed or removed."""
    code: dict[object, object] = {**cbor2.loads(PAYLOAD)[-260], key: value}
    return with_claim(-260, {key: value for key, value in code.items() if value is not None})


@pytest.mark.parametrize(
    "claims",
    [
        with_claim(1, None),  # no issuer
        with_claim(1, ""),
        with_claim(2, b"subject"),
        with_claim(6, ISSUED_SECONDS + 0.5),  # NumericDate as a float
        with_claim(6, True),
        with_claim(4, str(ISSUED_SECONDS + 300)),
        with_claim(4, -1),
        with_claim(4, 2**70),
        with_claim(4, ISSUED_SECONDS),  # expires as it is issued
        with_claim(-260, None),
        with_claim(-260, ["yellow"]),
        with_code("c", "blue"),
        with_code("c", None),
        with_code("v", "v2"),
        with_code("p", "fax"),
        with_code("f", "health_monitoring"),
        with_code("f", [1]),
        with_code("n", None),
        [1, 2],
    ],
)
def test_claims_refuse_missing_or_ill_typed_values__S1(claims: object) -> None:
    payload = cbor2.dumps(claims)
    with pytest.raises(TokenError) as refused:
        decode_claims(payload)
    assert refused.value.rejection == Rejection.BAD_STRUCTURE
    assert outcome(wire(cose_sign1({1: -7, 4: KID}, {}, payload))) == Rejection.BAD_STRUCTURE


def test_no_id_number_phone_or_full_name_in_the_token__D2() -> None:
    secrets = ["张小三", resident_id(), "13812345678"]
    layers = [TOKEN.encode(), COSE, PAYLOAD]
    assert all(secret.encode() not in layer for secret in secrets for layer in layers)
    assert "张*三".encode() in PAYLOAD
    assert {field.name for field in fields(CodeClaims)} == {
        "issuer",
        "subject",
        "issued_at",
        "expires_at",
        "colour",
        "flags",
        "version",
        "masked_name",
        "medium",
    }


def test_an_unmasked_name_is_never_signed__D2() -> None:
    with pytest.raises(ValueError, match="masked"):
        issue_token(replace(CLAIMS, masked_name="张小三"), KID, KEY)


@given(text=st.text())
def test_any_text_is_rejected_without_crashing__S1(text: str) -> None:
    assert outcome(text) in READ_FAILURES


@given(body=st.text(alphabet=ALPHABET, max_size=400))
def test_any_base45_body_is_rejected_without_crashing__S1(body: str) -> None:
    assert outcome(PREFIX + body) in READ_FAILURES


CBOR_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.integers(-300, 10), inner),
    max_leaves=12,
)


@given(header=CBOR_VALUES, unprotected=CBOR_VALUES, payload=CBOR_VALUES, signature=CBOR_VALUES)
def test_any_cbor_in_the_envelope_is_rejected_without_crashing__S1(
    header: object, unprotected: object, payload: object, signature: object
) -> None:
    parts = [cbor2.dumps(header), unprotected, payload, signature]
    assert outcome(wire(cbor2.dumps(cbor2.CBORTag(18, parts)))) in {
        Rejection.BAD_STRUCTURE,
        Rejection.BAD_SIGNATURE,
    }


@given(data=st.binary(max_size=300))
def test_any_bytes_as_cose_or_claims_raise_only_token_errors__S1(data: bytes) -> None:
    for parse in (parse_sign1, decode_claims):
        with pytest.raises(TokenError):
            parse(data)


@pytest.mark.parametrize(
    ("text", "rejection"),
    [
        (PREFIX + b45encode(zlib.compress(bytes(1_000_000), 9)), Rejection.BAD_COMPRESSION),
        (PREFIX + "0" * 5000, Rejection.BAD_ENCODING),  # more than any QR code holds
        (PREFIX + b45encode(zlib.compress(COSE)[:-1]), Rejection.BAD_COMPRESSION),
        (PREFIX + b45encode(zlib.compress(COSE) + b"\x00"), Rejection.BAD_COMPRESSION),
        (PREFIX + b45encode(COSE), Rejection.BAD_COMPRESSION),  # zlib is not optional
        (TOKEN.replace(PREFIX, "HZ2:"), Rejection.BAD_PREFIX),
        (TOKEN.replace(PREFIX, "hz1:"), Rejection.BAD_PREFIX),
        (" " + TOKEN, Rejection.BAD_PREFIX),
    ],
)
def test_each_layer_names_its_own_failure__S1(text: str, rejection: Rejection) -> None:
    assert outcome(text) == rejection


def test_check_needs_an_aware_now__S1() -> None:
    with pytest.raises(ValueError, match="aware"):
        check_token(read_token(TOKEN), PUBLIC_KEY, ISSUED.replace(tzinfo=None))


def test_real_size_token_fits_a_version_13_qr_at_level_q__S1() -> None:
    """342 characters of the 352 a version-13 QR holds at Q.

    DESIGN hoped for version 9, which holds 189 characters at Q: the ES256 envelope alone (headers,
    kid, 64-byte signature, zlib) takes 141 of them with an empty claim set.
    """
    assert qr_version(TOKEN) <= 13


def png_pixels(png: bytes) -> tuple[int, int, bytes]:
    """Width, height and 8-bit grey pixels of segno's PNGs (1-bit grey, filters none and up)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks: dict[bytes, bytes] = {}
    position = 8
    while position < len(png):
        length, kind = struct.unpack(">I4s", png[position : position + 8])
        chunks[kind] = chunks.get(kind, b"") + png[position + 8 : position + 8 + length]
        position += length + 12
    width, height, depth, colour_type = struct.unpack(">IIBB", chunks[b"IHDR"][:10])
    assert (depth, colour_type) == (1, 0)
    raw, stride = zlib.decompress(chunks[b"IDAT"]), (width + 7) // 8
    pixels, previous = bytearray(), bytes(stride)
    for y in range(height):
        row_filter, row = raw[y * (stride + 1)], raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)]
        assert row_filter in {0, 2}
        if row_filter == 2:
            row = bytes((a + b) & 0xFF for a, b in zip(row, previous, strict=True))
        previous = row
        pixels += bytes(255 * (row[x // 8] >> (7 - x % 8) & 1) for x in range(width))
    return width, height, bytes(pixels)


def test_qr_png_scans_back_to_the_token__S1() -> None:
    width, height, pixels = png_pixels(qr_png(TOKEN, scale=3))
    image = memoryview(pixels).cast("B", (height, width))
    # Only QR codes: a stray pattern in the modules can read as a linear barcode now and then.
    (scanned,) = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    assert scanned.text == TOKEN
    extra = cast(dict[str, object], scanned.extra)  # the decoder's own report of the symbol
    assert scanned.ec_level == "Q"
    assert extra["DataMask"] == MASK
    assert int(str(extra["Version"])) == qr_version(TOKEN)
    assert width == (17 + 4 * qr_version(TOKEN) + 2 * 4) * 3  # modules plus the quiet zone


def test_qr_svg_is_a_standalone_document__S1() -> None:
    svg = qr_svg(TOKEN, scale=2)
    modules = 17 + 4 * qr_version(TOKEN) + 2 * 4
    assert svg.startswith("<svg")
    assert 'xmlns="http://www.w3.org/2000/svg"' in svg
    assert f'width="{2 * modules}"' in svg


def test_qr_refuses_text_outside_the_alphanumeric_set__S1() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_svg(TOKEN.lower())
