"""EU Digital COVID Certificates made here, with real keys, for the tests of each failure.

The shared vectors (tests/conformance/dcc) prove agreement with the member states; these make the
one change a test is about (a key usage, a time, a tampered byte) on an otherwise valid
certificate, signed for real with `cryptography`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Final

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID

from healthcode.foreign.trust import TrustMaterial, certificate_kid, from_certificates
from healthcode.tokens.base45 import b45encode
from healthcode.tokens.cose import to_be_signed

ISSUED: Final = datetime(2021, 6, 1, 8, tzinfo=UTC)
EXPIRES: Final = ISSUED + timedelta(days=180)
DURING: Final = ISSUED + timedelta(days=1)
EC_KEY: Final = ec.generate_private_key(ec.SECP256R1())
RSA_KEY: Final = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OID_TEST, OID_VACCINATION, OID_RECOVERY = (f"1.3.6.1.4.1.1847.2021.1.{n}" for n in (1, 2, 3))
HOLDER: Final = {"fn": "Musterfrau-Gößinger", "fnt": "MUSTERFRAU<GOESSINGER", "gn": "Gabriele"}
VACCINATION: Final = {
    "tg": "840539006",
    "vp": "1119349007",
    "mp": "EU/1/20/1528",
    "ma": "ORG-100030215",
    "dn": 2,
    "sd": 2,
    "dt": "2021-05-20",
    "co": "AT",
    "is": "Ministry of Health, Austria",
    "ci": "URN:UVCI:01:AT:10807843F94AEE0EE5093FBC254BD813#B",
}
TEST: Final = {
    "tg": "840539006",
    "tt": "LP6464-4",
    "nm": "Roche LightCycler qPCR",
    "sc": "2021-05-31T12:34:56Z",
    "tr": "260415000",
    "tc": "Testing centre Vienna 1",
    "co": "AT",
    "is": "Ministry of Health, Austria",
    "ci": "URN:UVCI:01:AT:71EE2559DE38C6BF7304FB65A1A451EC#3",
}
RECOVERY: Final = {
    "tg": "840539006",
    "fr": "2021-04-10",
    "co": "AT",
    "is": "Ministry of Health, Austria",
    "df": "2021-04-21",
    "du": "2021-10-10",
    "ci": "URN:UVCI:01:AT:858CC18CFCF5965EF82F60E493349AA5#K",
}


def dsc(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = EC_KEY,
    *,
    usages: Iterable[str] = (),
    not_before: datetime = ISSUED - timedelta(days=30),
    not_after: datetime = ISSUED + timedelta(days=365),
    country: str = "AT",
    empty_usages: bool = False,
) -> x509.Certificate:
    """A document signer certificate (self-signed: the tests trust it directly). `empty_usages`:
    an extended key usage extension naming no usage at all, as some issuers' DSCs have."""
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, country),
            x509.NameAttribute(NameOID.COMMON_NAME, "Test DSC"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
    )
    oids = [x509.ObjectIdentifier(oid) for oid in usages]
    if oids or empty_usages:
        builder = builder.add_extension(x509.ExtendedKeyUsage(oids), critical=empty_usages)
    return builder.sign(key, hashes.SHA256())


def trusting(*certificates: x509.Certificate) -> TrustMaterial:
    return from_certificates(list(certificates))


def dcc(**statement: Sequence[Mapping[str, object]]) -> dict[str, object]:
    """A DCC payload of the holder above with `v=`, `t=` or `r=` entries."""
    return {"ver": "1.3.0", "nam": dict(HOLDER), "dob": "1998-02-26", **statement}


def claims(
    certificate: Mapping[str, object],
    *,
    issued: datetime = ISSUED,
    expires: datetime = EXPIRES,
    issuer: str | None = "AT",
) -> dict[int, object]:
    cwt: dict[int, object] = {
        4: int(expires.timestamp()),
        6: int(issued.timestamp()),
        -260: {1: certificate},
    }
    if issuer is not None:
        cwt[1] = issuer
    return cwt


def cose(
    payload: Mapping[int, object] | bytes,
    certificate: x509.Certificate,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = EC_KEY,
    *,
    alg: int | None = None,
    kid: bytes | None = None,
    kid_unprotected: bool = False,
    tag: int | None = 18,
) -> bytes:
    """`payload` signed as a COSE_Sign1 naming the certificate's key id (or `kid`)."""
    body = payload if isinstance(payload, bytes) else cbor2.dumps(payload)
    algorithm = (
        alg if alg is not None else (-7 if isinstance(key, ec.EllipticCurvePrivateKey) else -37)
    )
    named = certificate_kid(certificate) if kid is None else kid
    header: dict[int, object] = {1: algorithm}
    unprotected: dict[int, object] = {}
    (unprotected if kid_unprotected else header)[4] = named
    protected = cbor2.dumps(header)
    signed = to_be_signed(protected, body)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        r, s = decode_dss_signature(key.sign(signed, ec.ECDSA(hashes.SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    else:
        pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
        signature = key.sign(signed, pss, hashes.SHA256())
    message: object = [protected, unprotected, body, signature]
    if tag is not None:
        message = cbor2.CBORTag(tag, message)
    return cbor2.dumps(message)


def hc1(message: bytes) -> str:
    return "HC1:" + b45encode(zlib.compress(message))


def signed_text(
    certificate: Mapping[str, object] | None = None,
    signer: x509.Certificate | None = None,
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey = EC_KEY,
) -> str:
    """A valid `HC1:` text for a vaccination (or `certificate`), signed by `signer`."""
    payload = claims(certificate or dcc(v=[VACCINATION]))
    return hc1(cose(payload, signer or dsc(key), key))
