"""Publishing this issuer's trust list (SPEC §3): its keys, signed by its root, on demand."""

from __future__ import annotations

from healthcode.services.codes.signing import active_signing_key, own_keys
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens.keys import KeyPurpose
from healthcode.tokens.trust_lists import sign_trust_list


def publish_trust_list(uow: UnitOfWork) -> dict[str, str]:
    """This issuer's keys as a signed trust list.

    The root key and the first code key are created here if need be: a list published before any
    code key existed would leave checkpoints unable to verify the first codes.
    """
    active_signing_key(uow, KeyPurpose.CODE)
    root = active_signing_key(uow, KeyPurpose.TRUST_LIST)
    return sign_trust_list(root, uow.now, own_keys(uow))
