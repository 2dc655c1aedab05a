"""SMART Health Cards signed by a test issuer: real P-256 keys, DEFLATE, JWS, numeric QR text."""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from healthcode.foreign.shc import thumbprint
from healthcode.foreign.trust import TrustMaterial
from healthcode.tokens.base64url import b64url_encode

ISSUER = "https://health.example.org/issuer"
CVX = "http://hl7.org/fhir/sid/cvx"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
NEGATIVE, POSITIVE = "260385009", "10828004"
NAAT, ANTIGEN = "94500-6", "94558-4"


@dataclass
class Issuer:
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    iss: str = ISSUER
    country: str = "US"

    @property
    def jwk(self) -> dict[str, str]:
        numbers = self.key.public_key().public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url_encode(numbers.x.to_bytes(32, "big")),
            "y": b64url_encode(numbers.y.to_bytes(32, "big")),
            "use": "sig",
            "alg": "ES256",
        }
        return jwk | {"kid": thumbprint(jwk)}

    @property
    def trust(self) -> TrustMaterial:
        return TrustMaterial(jwks=({"iss": self.iss, "country": self.country, "keys": [self.jwk]},))

    def card(self, *resources: dict[str, Any], nbf: datetime, exp: datetime | None = None) -> str:
        """The `shc:/` text of a card holding a patient and `resources`."""
        patient = {"resourceType": "Patient", "name": [{"family": "Traveller", "given": ["Alex"]}],
                   "birthDate": "1990-02-03"}  # fmt: skip
        entries = [patient, *resources]
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"fullUrl": f"resource:{i}", "resource": r} for i, r in enumerate(entries)],
        }
        claims: dict[str, Any] = {
            "iss": self.iss,
            "nbf": nbf.timestamp(),
            "vc": {
                "type": ["https://smarthealth.cards#health-card", "https://smarthealth.cards#covid19",
                         "https://smarthealth.cards#immunization",
                         "https://smarthealth.cards#laboratory"],
                "credentialSubject": {"fhirVersion": "4.0.1", "fhirBundle": bundle},
            },
        }  # fmt: skip
        if exp is not None:
            claims["exp"] = exp.timestamp()
        header = {"zip": "DEF", "alg": "ES256", "kid": self.jwk["kid"]}
        deflater = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        payload = deflater.compress(json.dumps(claims).encode()) + deflater.flush()
        signing_input = f"{b64url_encode(json.dumps(header).encode())}.{b64url_encode(payload)}"
        r, s = decode_dss_signature(
            self.key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        jws = f"{signing_input}.{b64url_encode(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
        return "shc:/" + "".join(f"{ord(char) - 45:02d}" for char in jws)


def immunization(cvx: str, day: str) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "status": "completed",
        "vaccineCode": {"coding": [{"system": CVX, "code": cvx}]},
        "patient": {"reference": "resource:0"},
        "occurrenceDateTime": day,
    }


def lab_result(test: str, result: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": test}]},
        "subject": {"reference": "resource:0"},
        "effectiveDateTime": when,
        "valueCodeableConcept": {"coding": [{"system": SNOMED, "code": result}]},
    }
