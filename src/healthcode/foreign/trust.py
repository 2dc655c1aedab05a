"""Trust material for foreign certificates, read from files (no network at verify time).

One loader for every kind of file a border or checkpoint operator is handed, each recognised by
its content rather than its name:

- X.509 certificates, PEM (one or more) or DER, or a bare base64 DER as the EU test vectors carry
  it: a document signer certificate (DSC) of the EU DCC is indexed by its key id, the first 8
  bytes of SHA-256 over the DER certificate, as every shared vector's key id is (docs/spec.md §5);
- the EU DCC gateway's trust list (`GET /trustList/DSC`): a JSON array of entries
  `{"kid", "country", "certificateType", "rawData", …}`, or the same array under "certificates"
  as national backends republish it; only DSC entries sign certificates;
- a JWKS (`{"keys": […]}`): a SMART Health Card issuer's keys, kept as parsed JSON;
- a DID document (`{"id": "did:…", "verificationMethod"|"assertionMethod": …}`): an NZ COVID
  Pass issuer's keys, kept as parsed JSON;
- a SMART Health Cards revocation list (`{"kid", "method", "ctr", "rids"}`, what an issuer
  publishes at `<iss>/.well-known/crl/<kid>.json` for a key whose JWK has `crlVersion`): kept by
  its key id. What the list says is judged with the card (`foreign/shc_revocation.py`), so a list
  with a bad entry refuses its key's cards, with the reason, rather than every issuer's.

A file that is none of these, or is one but broken, is a `TrustFileError` naming the file and,
inside a JSON file, the line or the entry: nothing half-read is trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from cryptography.x509.oid import NameOID

KID_BYTES: Final = 8
_PEM_MARKER: Final = b"-----BEGIN"
_DSC: Final = "DSC"
# A trust file is a few certificates or a gateway list of a few thousand: far below this.
MAX_TRUST_FILE_BYTES: Final = 32 * 1024 * 1024


class TrustFileError(ValueError):
    """A trust file that cannot be believed; `name` is the file, the message says where and why."""

    def __init__(self, name: str, detail: str) -> None:
        super().__init__(f"{name}: {detail}")
        self.name = name
        self.detail = detail


@dataclass(frozen=True, slots=True)
class DccKey:
    """A document signer of the EU DCC: its certificate, and the country that registered it."""

    kid: bytes
    country: str | None  # ISO 3166-1 alpha-2 from the trust list, else the certificate's subject
    certificate: x509.Certificate

    @property
    def public_key(self) -> CertificatePublicKeyTypes:
        return self.certificate.public_key()


@dataclass(frozen=True, slots=True)
class TrustMaterial:
    certificates: tuple[x509.Certificate, ...] = ()
    dcc_keys: Mapping[bytes, DccKey] = field(default_factory=dict)
    jwks: tuple[Mapping[str, object], ...] = ()
    did_documents: tuple[Mapping[str, object], ...] = ()
    shc_revocations: Mapping[str, ShcRevocationList] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ShcRevocationList:
    """A SMART Health Cards issuer key's revocation list, as the file holds it."""

    kid: str
    method: str
    ctr: int
    rids: tuple[str, ...]


def certificate_kid(certificate: x509.Certificate) -> bytes:
    """The EU DCC key id of a DSC: the first 8 bytes of SHA-256 over its DER encoding."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return hashlib.sha256(der).digest()[:KID_BYTES]


def from_certificates(
    certificates: Sequence[x509.Certificate], country: str | None = None
) -> TrustMaterial:
    """Certificates trusted as they are, each a possible DCC document signer."""
    keys = {
        certificate_kid(certificate): DccKey(
            certificate_kid(certificate), country or _subject_country(certificate), certificate
        )
        for certificate in certificates
    }
    return TrustMaterial(certificates=tuple(certificates), dcc_keys=keys)


def load_trust(paths: Sequence[Path]) -> TrustMaterial:
    """Every file's trust material together; `TrustFileError` on the first bad or unreadable one."""
    parts = []
    for path in paths:
        try:
            size = path.stat().st_size
            if size > MAX_TRUST_FILE_BYTES:
                raise TrustFileError(str(path), f"{size} bytes is over {MAX_TRUST_FILE_BYTES}")
            data = path.read_bytes()
        except OSError as error:
            raise TrustFileError(str(path), error.strerror or "cannot be read") from None
        parts.append(read_trust(data, str(path)))
    return merged(*parts)


def load_trust_dir(directory: Path) -> TrustMaterial:
    """The trust material of every file in `directory` (not hidden, not below), in name order."""
    if not directory.is_dir():
        return TrustMaterial()
    files = sorted(
        path for path in directory.iterdir() if path.is_file() and not path.name.startswith(".")
    )
    return load_trust(files)


def read_trust(data: bytes, name: str) -> TrustMaterial:
    """One file's trust material, its kind recognised from `data`; `name` locates errors."""
    stripped = data.strip()
    if not stripped:
        raise TrustFileError(name, "the file is empty")
    if stripped.startswith(_PEM_MARKER):
        return _pem(stripped, name)
    if stripped[:1] in (b"{", b"["):
        return _json_trust(stripped, name)
    try:
        return from_certificates([x509.load_der_x509_certificate(data)])
    except ValueError:
        pass
    try:
        der = base64.b64decode(b"".join(stripped.split()), validate=True)  # wrapped lines too
        return from_certificates([x509.load_der_x509_certificate(der)])
    except (binascii.Error, ValueError):
        raise TrustFileError(
            name,
            "not an X.509 certificate (PEM, DER or base64), a trust list, a JWKS or a DID document",
        ) from None


def merged(*parts: TrustMaterial) -> TrustMaterial:
    """All the parts' material; a key id in two parts keeps the later part's key."""
    keys: dict[bytes, DccKey] = {}
    revocations: dict[str, ShcRevocationList] = {}
    for part in parts:
        keys.update(part.dcc_keys)
        for kid, listed in part.shc_revocations.items():
            held = revocations.get(kid)
            if held is None or listed.ctr >= held.ctr:  # the newer list of a key; a tie, the later
                revocations[kid] = listed
    return TrustMaterial(
        certificates=tuple(cert for part in parts for cert in part.certificates),
        dcc_keys=keys,
        jwks=tuple(document for part in parts for document in part.jwks),
        did_documents=tuple(document for part in parts for document in part.did_documents),
        shc_revocations=revocations,
    )


def _pem(data: bytes, name: str) -> TrustMaterial:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as error:
        raise TrustFileError(name, f"not a PEM certificate: {error}") from None
    return from_certificates(certificates)


def _json_trust(data: bytes, name: str) -> TrustMaterial:
    try:
        document = json.loads(data)
    except UnicodeDecodeError:
        raise TrustFileError(name, "JSON that is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise TrustFileError(
            name, f"line {error.lineno} column {error.colno}: not JSON: {error.msg}"
        ) from None
    if isinstance(document, list):
        return _gateway_list(document, name)
    if not isinstance(document, dict):
        raise TrustFileError(name, "a trust file's JSON is an object or an array")
    if isinstance(document.get("certificates"), list):
        return _gateway_list(document["certificates"], name)
    if isinstance(document.get("keys"), list):
        if not all(isinstance(key, dict) for key in document["keys"]):
            raise TrustFileError(name, "a JWKS's keys are objects")
        return TrustMaterial(jwks=(document,))
    identifier = document.get("id")
    if isinstance(identifier, str) and identifier.startswith("did:"):
        return TrustMaterial(did_documents=(document,))
    if "rids" in document and "kid" in document:
        listed = _revocation_list(document, name)
        return TrustMaterial(shc_revocations={listed.kid: listed})
    raise TrustFileError(
        name,
        "JSON that is not a trust list, a JWKS ({'keys': …}), a DID document ({'id': 'did:…'})"
        " or a revocation list ({'kid', 'method', 'ctr', 'rids'})",
    )


def _revocation_list(document: Mapping[str, object], name: str) -> ShcRevocationList:
    """The list's shape only: which key, which version, which entries. Whether its method and
    entries are sound is the card's verdict (a revocation list is not believed in part)."""
    kid, method, ctr, rids = (document.get(member) for member in ("kid", "method", "ctr", "rids"))
    if not isinstance(kid, str) or not kid:
        raise TrustFileError(name, "revocation list: kid is not a key id")
    if not isinstance(method, str):
        raise TrustFileError(name, "revocation list: method is not a string")
    if not isinstance(ctr, int) or isinstance(ctr, bool):
        raise TrustFileError(name, "revocation list: ctr is not an integer")
    if not isinstance(rids, list):
        raise TrustFileError(name, "revocation list: rids is not an array")
    for index, rid in enumerate(rids):
        if not isinstance(rid, str):
            raise TrustFileError(name, f"revocation list: rids entry {index} is not a string")
    return ShcRevocationList(kid, method, ctr, tuple(rids))


def _gateway_list(entries: list[object], name: str) -> TrustMaterial:
    keys: dict[bytes, DccKey] = {}
    for index, entry in enumerate(entries):
        where = f"entry {index}"
        if not isinstance(entry, dict):
            raise TrustFileError(name, f"{where}: not an object")
        if entry.get("certificateType", _DSC) != _DSC:
            continue  # CSCA, upload and authentication certificates sign no health certificate
        raw = entry.get("rawData")
        if not isinstance(raw, str):
            raise TrustFileError(name, f"{where}: no rawData (the DER certificate, base64)")
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError):
            raise TrustFileError(
                name, f"{where}: rawData is not a base64 DER certificate"
            ) from None
        kid = certificate_kid(certificate)
        declared = entry.get("kid")
        if declared is not None and _base64_bytes(declared) != kid:
            # The key id is defined by the certificate: a list that says otherwise is broken.
            raise TrustFileError(name, f"{where}: kid does not match its certificate")
        country = entry.get("country")
        if country is not None and not (isinstance(country, str) and len(country) == 2):
            raise TrustFileError(name, f"{where}: country is not a two-letter code")
        keys[kid] = DccKey(kid, country or _subject_country(certificate), certificate)
    return TrustMaterial(
        certificates=tuple(key.certificate for key in keys.values()), dcc_keys=keys
    )


def _base64_bytes(value: object) -> bytes | None:
    if not isinstance(value, str):
        return None
    padded = value + "=" * (-len(value) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except binascii.Error:
        return None


def _subject_country(certificate: x509.Certificate) -> str | None:
    attributes = certificate.subject.get_attributes_for_oid(NameOID.COUNTRY_NAME)
    value = attributes[0].value if attributes else None
    return value if isinstance(value, str) else None
