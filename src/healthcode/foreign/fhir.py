"""The FHIR R4 bundle inside a SMART Health Card: its structure checked, its content as facts.

Only what the specifications make a reader rely on is checked, each with its source:

- FHIR R4 Bundle: `resourceType` "Bundle"; SHC: `type` "collection", each entry's `fullUrl`
  `resource:N` (N from 0, as SHC's short references require) and references between resources
  `resource:N` naming an entry of the same bundle;
- exactly one Patient with a name and a birth date (SHC: the card is about one person, and a
  verifier matches the holder by name and birth date);
- Immunization (R4): `status` (required, completed | entered-in-error | not-done),
  `vaccineCode.coding` with `system` and `code`, `occurrenceDateTime`, `patient`;
- Observation (R4): `status`, `code.coding`, `effectiveDateTime`, `subject`, a value;
- `meta` only `security`, each with an identity-assurance `code` (SHC data minimisation:
  other meta content is noted and ignored).

A maintained FHIR model library (fhir.resources) would check every element of R4 but knows
neither SHC's short references nor its minimisation; these few checks are what the facts rest on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Final

from healthcode.foreign.verdicts import ForeignFact

_SHORT_REFERENCE: Final = re.compile(r"resource:(0|[1-9][0-9]*)")
_FHIR_DATE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_COMPLETED: Final = "completed"
_IMMUNIZATION_STATUSES: Final = frozenset({"completed", "entered-in-error", "not-done"})
_RESULT_STATUSES: Final = frozenset({"final", "amended", "corrected"})
# SNOMED CT findings SHC laboratory cards use for SARS-CoV-2 results.
_RESULTS: Final = {
    "260385009": "negative",
    "260415000": "negative",  # not detected
    "10828004": "positive",
    "260373001": "positive",  # detected
}

Problems = tuple[list[str], list[str]]  # failures, notes (reason codes)


def bundle_problems(bundle: Mapping[str, object]) -> Problems:
    failures: list[str] = []
    notes: list[str] = []
    entries = bundle.get("entry")
    if (
        bundle.get("resourceType") != "Bundle"
        or bundle.get("type") != "collection"
        or not isinstance(entries, list)
        or not entries
        or not all(isinstance(entry, Mapping) for entry in entries)
    ):
        return ["fhir-bundle"], notes
    urls = [entry.get("fullUrl") for entry in entries]
    if not all(isinstance(url, str) and _SHORT_REFERENCE.fullmatch(url) for url in urls):
        failures.append("fhir-reference")
    resources = [entry.get("resource") for entry in entries]
    if not all(
        isinstance(r, Mapping) and isinstance(r.get("resourceType"), str) for r in resources
    ):
        return [*failures, "fhir-bundle"], notes
    typed: list[Mapping[str, object]] = [r for r in resources if isinstance(r, Mapping)]
    patients = [r for r in typed if r["resourceType"] == "Patient"]
    if len(patients) != 1 or _holder(patients[0]) is None:
        failures.append("fhir-patient")
    known = {url for url in urls if isinstance(url, str)}
    for resource in typed:
        failures += _resource_problems(resource, known)
        notes += _meta_notes(resource, failures)
    return list(dict.fromkeys(failures)), list(dict.fromkeys(notes))


# Per resource the facts come from: its allowed statuses, then the elements holding its code, its
# date and its reference to the patient (FHIR R4 Immunization and Observation).
_SHAPES: Final = {
    "Immunization": (_IMMUNIZATION_STATUSES, "vaccineCode", "occurrenceDateTime", "patient"),
    "Observation": (_RESULT_STATUSES, "code", "effectiveDateTime", "subject"),
}


def _resource_problems(resource: Mapping[str, object], known: set[str]) -> list[str]:
    shape = _SHAPES.get(str(resource["resourceType"]))
    if shape is None:
        return []
    statuses, code, when, patient = shape
    problems = [] if resource.get("status") in statuses else ["fhir-bundle"]
    if _coding(resource.get(code)) is None:
        problems.append("fhir-coding")
    if _instant(resource.get(when)) is None:
        problems.append("fhir-date")
    return problems + _reference_problems(resource.get(patient), known)


def _reference_problems(reference: object, known: set[str]) -> list[str]:
    target = reference.get("reference") if isinstance(reference, Mapping) else None
    if not isinstance(target, str) or target not in known or not _SHORT_REFERENCE.fullmatch(target):
        return ["fhir-reference"]
    return []


def _meta_notes(resource: Mapping[str, object], failures: list[str]) -> list[str]:
    meta = resource.get("meta")
    if meta is None:
        return []
    if not isinstance(meta, Mapping):
        return ["fhir-meta-extra"]  # minimisation asks for no meta: ignored, as it proves nothing
    security = meta.get("security")
    notes = ["fhir-meta-extra"] if set(meta) - {"security"} else []
    if security is None:
        return notes
    if not isinstance(security, list) or not all(
        isinstance(label, Mapping) and isinstance(label.get("code"), str) for label in security
    ):
        failures.append("fhir-meta")
    return notes


def bundle_facts(bundle: Mapping[str, object], country: str) -> tuple[ForeignFact, ...]:
    """What a bundle `bundle_problems` found sound proves: its completed vaccinations, each with
    its rank among them by date as the dose (SHC cards list every dose the issuer holds), and
    its test results."""
    entries = bundle.get("entry")
    assert isinstance(entries, list)  # noqa: S101 - checked by bundle_problems
    resources = [entry["resource"] for entry in entries]
    holder = next(_holder(r) for r in resources if r["resourceType"] == "Patient")
    assert holder is not None  # noqa: S101 - checked by bundle_problems
    name, born = holder
    doses = sorted(
        (r for r in resources if r["resourceType"] == "Immunization" and r["status"] == _COMPLETED),
        key=lambda r: _instant(r["occurrenceDateTime"]) or datetime.min.replace(tzinfo=UTC),
    )
    facts: list[ForeignFact] = []
    for number, dose in enumerate(doses, start=1):
        # Codes as FHIR tokens (system|code): a CVX code and a LOINC code may look alike.
        details = {"product": _token(dose["vaccineCode"]), "dose": str(number)}
        if isinstance(dose.get("lotNumber"), str):
            details["lot"] = dose["lotNumber"]
        occurred = _instant(dose["occurrenceDateTime"])
        assert occurred is not None  # noqa: S101
        facts.append(ForeignFact("vaccination", country, occurred, details, name, born))
    for result in resources:
        if result["resourceType"] != "Observation":
            continue
        value = _coding(result.get("valueCodeableConcept"))
        outcome = _RESULTS.get(value[1], "other") if value is not None else "other"
        details = {"type": _token(result["code"]), "result": outcome}
        occurred = _instant(result["effectiveDateTime"])
        assert occurred is not None  # noqa: S101
        facts.append(ForeignFact("test", country, occurred, details, name, born))
    return tuple(facts)


def not_completed(bundle: Mapping[str, object]) -> bool:
    """Whether the bundle lists a vaccination that was not completed (not counted as a dose)."""
    entries = bundle.get("entry")
    resources = [entry.get("resource") for entry in entries] if isinstance(entries, list) else []
    return any(
        isinstance(r, Mapping) and r.get("resourceType") == "Immunization"
        and r.get("status") != _COMPLETED
        for r in resources
    )  # fmt: skip


def _holder(patient: Mapping[str, object]) -> tuple[str, str] | None:
    names = patient.get("name")
    born = patient.get("birthDate")
    if not isinstance(names, list) or not names or not isinstance(names[0], Mapping):
        return None
    if not isinstance(born, str) or not re.fullmatch(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?", born):
        return None
    first = names[0]
    given = first.get("given")
    givens = [part for part in given if isinstance(part, str)] if isinstance(given, list) else []
    family = first.get("family")
    # "Family, Given", as every format's facts name their holder (foreign/verdicts.py).
    parts = [family] if isinstance(family, str) and family.strip() else []
    if givens:
        parts.append(" ".join(givens))
    text = first.get("text")
    shown = ", ".join(parts) or (text if isinstance(text, str) else "")
    return (shown, born) if shown.strip() else None


def _token(concept: object) -> str:
    system, code = _coding(concept) or ("", "")
    return f"{system}|{code}"


def _coding(concept: object) -> tuple[str, str] | None:
    codings = concept.get("coding") if isinstance(concept, Mapping) else None
    if not isinstance(codings, list):
        return None
    for coding in codings:
        if isinstance(coding, Mapping):
            system, code = coding.get("system"), coding.get("code")
            if isinstance(system, str) and isinstance(code, str) and system and code:
                return system, code
    return None


def _instant(value: object) -> datetime | None:
    """A FHIR date (midnight UTC: the day is all a date says) or dateTime with its offset."""
    if not isinstance(value, str):
        return None
    if _FHIR_DATE.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            return None
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.utcoffset() is not None else None
