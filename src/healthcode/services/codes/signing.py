"""Signing keys per issuer (ES256, P-256): created on demand, rotated, revoked; audited.

The private half is sealed with the Vault under the context `signing_key:<kid>`, so a copied
database signs nothing without the keyring. Rotation retires the active code key: it signs no more
but verifies until the codes it signed have expired. Revocation ends it at once.
"""

from __future__ import annotations

from dataclasses import replace

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.db.signing_store import SigningKeyStore, StoredSigningKey
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens.jwk import key_id, public_jwk, public_key_from_jwk
from healthcode.tokens.keys import KeyPurpose, KeyStatus, SigningKey, TrustedKey, verification_end

MAX_REASON_LENGTH = 200


class SigningKeyError(ValueError):
    """A key operation that cannot be done; the message is one line for the operator."""


def active_signing_key(uow: UnitOfWork, purpose: str = KeyPurpose.CODE) -> SigningKey:
    """The key this issuer signs `purpose` with now; the first one is created on demand."""
    wanted = KeyPurpose(purpose)
    store = uow.signing_keys
    issuer = uow.runtime.settings.issuer

    def opened() -> SigningKey | None:
        active = store.active(issuer, wanted.value)
        return _open(uow, store, active[0]) if active else None

    # Opening the sealed key and parsing it costs more than the signature: reused a few seconds.
    key = uow.runtime.memo.get(("signing", issuer, wanted.value), opened)
    if key is None:
        uow.runtime.memo.clear()
        return _create(uow, store, wanted)
    return key


def rotate_signing_key(uow: UnitOfWork) -> SigningKey:
    """A new code key becomes active; the previous one is retired (it still verifies its codes)."""
    store = uow.signing_keys
    retired = store.active(uow.runtime.settings.issuer, KeyPurpose.CODE.value)
    for old in retired:
        store.retire(old.kid, uow.now)
    new = _create(uow, store, KeyPurpose.CODE)
    uow.runtime.memo.clear()
    uow.audit(
        "signing_key.rotate",
        f"signing_key:{new.kid}",
        detail=f"retired={','.join(old.kid for old in retired) or '-'}",
    )
    return new


def revoke_signing_key(uow: UnitOfWork, kid: str, reason: str) -> TrustedKey:
    """Revoke one of this issuer's code keys: its codes fail at once, wherever the list reaches."""
    reason = " ".join(reason.split())
    if not reason or len(reason) > MAX_REASON_LENGTH:
        raise SigningKeyError(f"a revocation needs a reason of 1 to {MAX_REASON_LENGTH} characters")
    store = uow.signing_keys
    stored = store.get(kid)
    if stored is None or stored.issuer != uow.runtime.settings.issuer:
        raise SigningKeyError(f"no signing key {kid!r} of {uow.runtime.settings.issuer}")
    if stored.purpose != KeyPurpose.CODE.value:
        raise SigningKeyError(
            "a trust-list root is not revoked here: register a new root with every gateway"
        )
    if stored.revoked_at is not None:
        raise SigningKeyError(f"signing key {kid} is already revoked")
    store.revoke(kid, uow.now)
    uow.runtime.memo.clear()
    uow.audit("signing_key.revoke", f"signing_key:{kid}", detail=f"reason={reason}")
    return own_key(uow, replace(stored, revoked_at=uow.now))


def own_keys(uow: UnitOfWork) -> list[TrustedKey]:
    """Every key of this issuer, oldest first, with its status and verification period."""
    store = uow.signing_keys
    return [own_key(uow, stored) for stored in store.of_issuer(uow.runtime.settings.issuer)]


def own_key(uow: UnitOfWork, stored: StoredSigningKey) -> TrustedKey:
    settings = uow.runtime.settings
    longest = max(settings.code_validity, settings.paper_code_validity)
    return TrustedKey(
        issuer=stored.issuer,
        kid=stored.kid,
        public_key=public_key_from_jwk(stored.public_jwk),
        purpose=KeyPurpose(stored.purpose),
        not_before=stored.created_at,
        not_after=verification_end(stored.retired_at, longest),
        status=_status(stored),
    )


def _create(uow: UnitOfWork, store: SigningKeyStore, purpose: KeyPurpose) -> SigningKey:
    private_key = ec.generate_private_key(ec.SECP256R1())
    kid = key_id(private_key.public_key())
    issuer = uow.runtime.settings.issuer
    der = private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    stored = StoredSigningKey(
        kid=kid,
        issuer=issuer,
        purpose=purpose.value,
        public_jwk=public_jwk(private_key.public_key()),
        created_at=uow.now,
        retired_at=None,
        revoked_at=None,
    )
    store.add(stored, uow.runtime.vault.seal(der, _context(kid)))
    uow.audit(
        "signing_key.create", f"signing_key:{kid}", detail=f"purpose={purpose} issuer={issuer}"
    )
    return SigningKey(kid, issuer, private_key)


def _open(uow: UnitOfWork, store: SigningKeyStore, stored: StoredSigningKey) -> SigningKey:
    der = uow.runtime.vault.open(store.private_sealed(stored.kid), _context(stored.kid))
    private_key = serialization.load_der_private_key(der, password=None)
    if not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise SigningKeyError(f"signing key {stored.kid} is not an EC key")
    return SigningKey(stored.kid, stored.issuer, private_key)


def _status(stored: StoredSigningKey) -> KeyStatus:
    if stored.revoked_at is not None:
        return KeyStatus.REVOKED
    if stored.retired_at is not None:
        return KeyStatus.RETIRED
    return KeyStatus.ACTIVE


def _context(kid: str) -> str:
    return f"signing_key:{kid}"
