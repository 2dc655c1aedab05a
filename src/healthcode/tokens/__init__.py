"""Signed documents on the wire (SPEC §3): pure functions, no database, time passed in.

Codes: `issue_token` makes the QR text (CWT in COSE_Sign1, zlib, Base45), `read_token` undoes its
layers, `check_token` verifies it with the public key the trust layer finds from the token's
issuer and key id; `qr_svg` and `qr_png` draw it. Beside them: paper certificates
(`certificates`), scanner reports (`scan_reports`), and what trust lists are made of: base64url,
JWS (`jws`), JWK and key ids (`jwk`), keys as a verifier knows them (`keys`), trust lists
(`trust_lists`) and gateway lists (`gateway_lists`). The use cases that hold keys and state are in
`healthcode.services.codes`.
"""

from healthcode.tokens.claims import CodeClaims, CodeVersion, Medium
from healthcode.tokens.codec import (
    PREFIX,
    UnverifiedToken,
    check_token,
    issue_token,
    read_token,
)
from healthcode.tokens.errors import Rejection, TokenError
from healthcode.tokens.qr import qr_png, qr_svg, qr_version

__all__ = [
    "PREFIX",
    "CodeClaims",
    "CodeVersion",
    "Medium",
    "Rejection",
    "TokenError",
    "UnverifiedToken",
    "check_token",
    "issue_token",
    "qr_png",
    "qr_svg",
    "qr_version",
    "read_token",
]
