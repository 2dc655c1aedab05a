"""A resident's code as the API returns it and the pages draw it: one shape for both.

Only masked names and document numbers leave here (D2). The token is a fresh pseudonymous code
(services/codes/issuing.py); the explanation comes from the rules that decided the stored colour.
"""

from __future__ import annotations

import base64
from typing import Any

from healthcode.domain.issuer_names import issuer_name
from healthcode.domain.next_steps import next_steps, when_it_may_change
from healthcode.domain.timezones import display_instant
from healthcode.services.codes.issuing import CodeIssueError, IssuedCode, issue_code_read
from healthcode.services.explanations import Explanation, explain
from healthcode.services.households.links import LinkedPerson, key_for
from healthcode.services.runtime import UnitOfWork
from healthcode.tokens import qr_png

HOTLINE = "12345"
# 4 px a module, drawn larger by the page with crisp edges (image-rendering: pixelated): a bigger
# PNG costs the server more time to encode than it gains the scanner (bench/README.md).
QR_SCALE = 4


def person_json(linked: LinkedPerson) -> dict[str, Any]:
    person = linked.person
    return {
        "person_id": linked.person_id,
        "relationship": linked.relationship,
        "name": person.name_masked,
        "id_type": person.id_type.value,
        "id_number": person.id_number_masked,
        "colour": linked.colour,
        "linked_at": display_instant(linked.linked_at),
    }


def explanation_json(explanation: Explanation) -> dict[str, Any]:
    measure = explanation.measure
    when = when_it_may_change(explanation.colour, explanation.next_review_at)
    return {
        "colour": explanation.colour.value,
        "since": display_instant(explanation.since),
        "reasons": [reason.as_json() for reason in explanation.reasons],
        "measure": None
        if measure is None or explanation.measure_text is None
        else {"code": measure.value, "text": explanation.measure_text.as_dict()},
        "guidance": explanation.guidance.as_dict(),
        "next_review_at": display_instant(explanation.next_review_at),
        "next_steps": [
            step.as_json()
            for step in next_steps(
                explanation.colour,
                [reason.rule for reason in explanation.reasons],
                measured=measure is not None,
            )
        ],
        "changes_when": None if when is None else when.as_dict(),
        "appeal": {"hotline": HOTLINE},
    }


def issued_json(
    uow: UnitOfWork, linked: LinkedPerson, *, paper: bool = False, png: bool = False
) -> dict[str, Any] | None:
    """A code for a linked person; None if none can be issued (the refusal is audited).

    The PNG is drawn only for paper codes and callers that ask (`png`): a phone draws the QR
    from the token text itself, so the server spends nothing on images at the peak.
    """
    key = key_for(uow, linked)
    try:
        # What the link's statement read (ADR 0022): neither the person nor their state again.
        issued = issue_code_read(
            uow, key, linked.person, linked.state, linked.applied_version, paper=paper
        )
    except CodeIssueError:
        return None
    explained = {} if linked.state is None else explanation_json(explain(uow, linked.state))
    return person_json(linked) | explained | code_json(issued, uow, png=png or paper)


def code_json(issued: IssuedCode, uow: UnitOfWork, *, png: bool = False) -> dict[str, Any]:
    drawn = {"qr_png": qr_data_url(issued.text)} if png else {}
    return {
        "colour": issued.colour.value,
        "name": issued.masked_name,
        "version": issued.version.value,
        "medium": issued.medium.value,
        "token": issued.text,
        **drawn,
        # NumericDate is whole seconds: the instant the token says it was issued.
        "issued_at": display_instant(issued.issued_at),
        "expires_at": display_instant(issued.expires_at),
        "issuer": uow.runtime.settings.issuer,
        "issuer_name": issuer_name(uow.runtime.settings.issuer).as_dict(),
    }


def qr_data_url(text: str) -> str:
    png = base64.b64encode(qr_png(text, scale=QR_SCALE)).decode("ascii")
    return f"data:image/png;base64,{png}"
