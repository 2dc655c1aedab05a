"""Communities and medical institutions, and the paper certificates they issue (S4).

A certificate is signed with this issuer's code key (`active_signing_key`), so every checkpoint
that trusts its codes can verify it, and lasts `paper_code_validity`. Its subject is a fresh random
pseudonym stored in `code_subjects` (medium `paper`): online, the checkpoint can then still see the
holder's colour now, and a certificate never outlives a change to red.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from healthcode.db.code_subjects_store import CodeSubject
from healthcode.db.institutions_store import StoredInstitution
from healthcode.domain.certificates import InstitutionKind, Statement, statement_problem
from healthcode.domain.facts import Person, PersonKey
from healthcode.domain.identity import id_number_problem
from healthcode.domain.regions import region_problem
from healthcode.domain.roles import Role
from healthcode.security.pseudonyms import audit_pseudonym
from healthcode.services.checkpoint.venues import RegistrationError, check_identifier, check_name
from healthcode.services.codes.signing import active_signing_key
from healthcode.services.evaluation import reevaluate
from healthcode.services.households.applications import default_version
from healthcode.services.principals import Principal
from healthcode.services.refusals import FORBIDDEN, Refused
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import Medium
from healthcode.tokens.base64url import b64url_encode
from healthcode.tokens.certificates import CertificateClaims, sign_certificate

SUBJECT_BYTES = 16


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    text: str  # the QR text, HZC1:…
    institution: StoredInstitution
    statement: Statement
    masked_name: str | None
    expires_at: datetime


def register_institution(
    uow: UnitOfWork, institution_id: str, name: str, kind: InstitutionKind, region: str
) -> StoredInstitution:
    check_identifier(institution_id, "institution id")
    check_name(name)
    problem = region_problem(region)
    if problem is not None:
        raise RegistrationError(f"region: {problem}")
    store = uow.institutions
    if store.get(institution_id) is not None:
        raise RegistrationError(f"institution {institution_id} is already registered")
    stored = StoredInstitution(
        institution_id, name.strip(), kind.value, region, uow.actor.name, uow.now
    )
    store.add(stored)
    uow.audit(
        "institution.register",
        f"institution:{institution_id}",
        detail=f"kind={kind.value} region={region}",
    )
    return stored


def list_institutions(uow: UnitOfWork) -> list[StoredInstitution]:
    return uow.institutions.all()


def issue_certificate(
    uow: UnitOfWork, institution_id: str, person_key: PersonKey, statement: Statement
) -> IssuedCertificate:
    """A signed paper certificate of `statement` by the institution for the person.

    A person not on record is added (the institution has seen their document) and given a code
    state, so the certificate is tied to their colour like everyone's.
    """
    institution = uow.institutions.get(institution_id)
    if institution is None:
        raise RegistrationError(f"no institution {institution_id} is registered")
    problem = statement_problem(InstitutionKind(institution.kind), statement)
    problem = problem or id_number_problem(person_key.id_type, person_key.id_number)
    if problem is not None:
        raise RegistrationError(problem)
    person_id = _person_id(uow, person_key)
    stored = uow.people.find(person_key)
    key = active_signing_key(uow)
    issued_at = uow.now.replace(microsecond=0)  # NumericDate is whole seconds
    claims = CertificateClaims(
        issuer=key.issuer,
        subject=b64url_encode(secrets.token_bytes(SUBJECT_BYTES)),
        issued_at=issued_at,
        expires_at=issued_at + uow.runtime.settings.paper_code_validity,
        institution=institution.id,
        kind=InstitutionKind(institution.kind),
        statement=statement,
        masked_name=None if stored is None else stored.name_masked,
    )
    text = sign_certificate(claims, key.kid_bytes, key.private_key)
    version = uow.applications.current_version(person_id) or (
        default_version(person_key.id_type).value
    )
    uow.code_subjects.add(
        CodeSubject(
            claims.subject,
            person_id,
            key.kid,
            Medium.PAPER.value,
            version,
            claims.issued_at,
            claims.expires_at,
        )
    )
    target = audit_pseudonym(
        uow.runtime.vault, "person", f"{person_key.id_type.value}:{person_key.id_number}"
    )
    uow.audit(
        "certificate.issue",
        target,
        detail=f"institution={institution.id} statement={statement.value} kid={key.kid}",
    )
    return IssuedCertificate(text, institution, statement, claims.masked_name, claims.expires_at)


def institution_of(uow: UnitOfWork, principal: Principal) -> StoredInstitution | None:
    """The institution a staff member issues certificates for; None for anyone else."""
    if Role.INSTITUTION_STAFF not in principal.roles or principal.institution is None:
        return None
    return uow.institutions.get(principal.institution)


def issue_certificate_as_staff(
    uow: UnitOfWork, principal: Principal, person_key: PersonKey, statement: Statement
) -> IssuedCertificate:
    """Issued from the console by the institution's own staff, in its name only (S4, D2).

    The institution is the staff account's, never one the request names: a community's clerk
    cannot vouch in a hospital's name.
    """
    institution = institution_of(uow, principal)
    if institution is None:
        uow.audit("certificate.issue", outcome="refused", detail="no institution of the caller")
        raise Refused(FORBIDDEN)
    return issue_certificate(uow, institution.id, person_key, statement)


def _person_id(uow: UnitOfWork, key: PersonKey) -> str:
    known = uow.people.ids_for([key]).get(key)
    if known is not None:
        return known
    person_id = uow.people.add(Person(key.id_type, key.id_number), uow.now)
    reevaluate(uow, {person_id: "certificate"}, cause="certificate")
    return person_id
