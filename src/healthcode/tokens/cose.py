"""A minimal COSE_Sign1 (RFC 9052) with ES256 only, on `cryptography` and `cbor2`.

One algorithm keeps the verifier small and closes algorithm-confusion attacks: anything but ES256
(ECDSA on P-256 with SHA-256, RFC 9053 §2.1) is refused before a key is touched. The algorithm and
the key id are read from the protected header only, because the unprotected header is not covered
by the signature.
"""

import io
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from healthcode.tokens.errors import Rejection, TokenError

ES256: Final = -7
COSE_SIGN1_TAG: Final = 18
# Header labels (RFC 9052 §3.1).
ALG: Final = 1
CRIT: Final = 2
KID: Final = 4
_UNAUTHENTICATED_REFUSED: Final = frozenset([ALG, CRIT, KID])
# ES256 signatures are r || s, each a 32-byte big-endian integer (RFC 9053 §2.1), not DER.
_COORDINATE_BYTES: Final = 32
_SIGNATURE_BYTES: Final = 2 * _COORDINATE_BYTES
# The order of P-256 (SEC 2 §2.4.2). For every ECDSA signature (r, s), (r, n - s) verifies too:
# only the low-S one of the pair (s <= n/2, as Bitcoin's BIP 62 and libsecp256k1 require) is
# made and accepted, so a code has one signature and cannot be re-encoded into another valid one.
P256_ORDER: Final = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
HALF_ORDER: Final = P256_ORDER // 2
# The signature algorithm of ES256: holds no state, so one serves every verification.
_ECDSA_SHA256: Final = ec.ECDSA(hashes.SHA256())
# A token nests four levels at most (tag, array, claims map, flag list); a little headroom.
_MAX_CBOR_DEPTH: Final = 16


@dataclass(frozen=True, slots=True)
class Sign1:
    """A parsed COSE_Sign1, not yet verified."""

    protected_bytes: bytes
    kid: bytes
    alg: int
    payload: bytes
    signature: bytes


def sign1(payload: bytes, kid: bytes, private_key: ec.EllipticCurvePrivateKey) -> bytes:
    """`payload` signed by `private_key` as a tagged COSE_Sign1 naming `kid`."""
    if not isinstance(private_key.curve, ec.SECP256R1):
        raise ValueError(f"ES256 needs a P-256 key, not {private_key.curve.name}")
    if not kid:
        raise ValueError("a signing key needs a key id")
    protected = cbor2.dumps({ALG: ES256, KID: kid})
    der = private_key.sign(to_be_signed(protected, payload), _ECDSA_SHA256)
    r, s = decode_dss_signature(der)
    s = low_s(s)
    signature = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def parse_sign1(data: bytes) -> Sign1:
    """The parts of a COSE_Sign1; `TokenError` (bad_structure) for anything but tagged ES256."""
    message = decode_cbor(data)
    if not isinstance(message, cbor2.CBORTag) or message.tag != COSE_SIGN1_TAG:
        raise _malformed("not a tagged COSE_Sign1")
    protected_bytes, unprotected, payload, signature = sign1_parts(message.value)
    if _UNAUTHENTICATED_REFUSED & unprotected.keys():
        raise _malformed("alg, crit or kid in the unprotected header would not be signed")
    alg, kid = _algorithm_and_kid(protected_bytes)
    return Sign1(protected_bytes, kid, alg, payload, signature)


def sign1_parts(value: object) -> tuple[bytes, Mapping[object, object], bytes, bytes]:
    """The four parts of a COSE_Sign1 array, typed; `TokenError` (bad_structure) otherwise."""
    if not isinstance(value, list | tuple) or len(value) != 4:
        raise _malformed("a COSE_Sign1 is an array of four")
    protected_bytes, unprotected, payload, signature = value
    if not (
        isinstance(protected_bytes, bytes)
        # A CBOR map decodes to a dict: the abstract Mapping check is for anything else.
        and (type(unprotected) is dict or isinstance(unprotected, Mapping))
        and isinstance(payload, bytes)
        and isinstance(signature, bytes)
    ):
        raise _malformed("COSE_Sign1 parts are bstr, map, bstr (no detached payload), bstr")
    return protected_bytes, unprotected, payload, signature


def verify_sign1(
    sign1: Sign1, public_key: ec.EllipticCurvePublicKey, *, low_s_only: bool = True
) -> bool:
    """Whether `public_key` signed `sign1`. Our own signatures are low-S only (SPEC §4); other
    issuers' specifications (the NZ COVID Pass) allow either `s` of a pair: `low_s_only=False`."""
    if (
        sign1.alg != ES256
        or len(sign1.signature) != _SIGNATURE_BYTES
        or not isinstance(public_key.curve, ec.SECP256R1)
    ):
        return False
    r = int.from_bytes(sign1.signature[:_COORDINATE_BYTES], "big")
    s = int.from_bytes(sign1.signature[_COORDINATE_BYTES:], "big")
    # The malleated twin of a signature: refused before any key work.
    if low_s_only and s > HALF_ORDER:
        return False
    signed = to_be_signed(sign1.protected_bytes, sign1.payload)
    try:
        public_key.verify(encode_dss_signature(r, s), signed, _ECDSA_SHA256)
    except InvalidSignature:
        return False
    return True


def low_s(s: int) -> int:
    """The low-S form of an ECDSA `s` on P-256: the same signature, the one verifiers accept."""
    return P256_ORDER - s if s > HALF_ORDER else s


def decode_cbor(data: bytes, *, allow_indefinite: bool = False) -> object:
    """One CBOR item and nothing after it, strictly: the reader for every CBOR layer of a token.

    Duplicate map keys and indefinite lengths are refused because a signed token has one reading
    only; trailing bytes are refused because `cbor2.loads` would silently ignore them. Foreign
    certificates (`healthcode.foreign`) were issued with indefinite lengths, so they may be allowed.
    """
    stream = io.BytesIO(data)
    decoder = cbor2.CBORDecoder(
        stream,
        max_depth=_MAX_CBOR_DEPTH,
        allow_indefinite=allow_indefinite,
        allow_duplicate_keys=False,
    )
    try:
        item = decoder.decode()
    # The input is hostile: whatever the third-party parser raises is a structural refusal,
    # never a crash of the checkpoint.
    except Exception as error:
        raise _malformed(f"not CBOR: {error}") from error
    if stream.tell() != len(data):
        raise _malformed(f"{len(data) - stream.tell()} byte(s) after the CBOR item")
    return item


# Every code of one key has the same protected header: a checkpoint parses each one once. Only
# headers that parse are kept (an exception is never cached), at most a few hundred.
@lru_cache(maxsize=256)
def _algorithm_and_kid(protected_bytes: bytes) -> tuple[int, bytes]:
    header = decode_cbor(protected_bytes) if protected_bytes else {}
    if not isinstance(header, Mapping):
        raise _malformed("the protected header is not a map")
    if CRIT in header:
        raise _malformed("critical header parameters are not supported")
    alg = header.get(ALG)
    if type(alg) is not int or alg != ES256:
        raise _malformed(f"algorithm {alg!r} is not ES256 ({ES256})")
    kid = header.get(KID)
    if not isinstance(kid, bytes) or not kid:
        raise _malformed("no key id in the protected header")
    return alg, kid


def to_be_signed(protected: bytes, payload: bytes) -> bytes:
    """The Sig_structure of RFC 9052 §4.4, with no external additional data."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def _malformed(detail: str) -> TokenError:
    return TokenError(Rejection.BAD_STRUCTURE, detail)
