"""Full NIK, KK and account numbers on an explicit, logged request (UU 27/2022).

Every other endpoint shows these numbers masked. Here a caller whose role needs them
(casework/policy.py: "person.reveal", "account.reveal") asks for one number of one record
of their region, with a reason; the answer and its RevealLog row are one transaction.
Responses are marked ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response
from marshmallow import fields

from casework.services.privacy import (
    PERSON_FIELDS,
    Revealed,
    reveal_account_number,
    reveal_person_number,
)
from web.api.base import current_actor, make_blueprint, requires
from web.db import db

bp = make_blueprint(
    "personal_data",
    "Full personal numbers on an explicit, logged request.",
    personal_data=True,
)

REASON_DOC = "Why the full number is needed (at least 10 characters); it is logged."


class PersonRevealInSchema(ma.Schema):
    field = fields.String(required=True, metadata={"enum": list(PERSON_FIELDS)})
    reason = fields.String(required=True, metadata={"description": REASON_DOC})


class AccountRevealInSchema(ma.Schema):
    reason = fields.String(required=True, metadata={"description": REASON_DOC})


class RevealedSchema(ma.Schema):
    field = fields.String(required=True)
    value = fields.String(required=True, metadata={"description": "The full number."})
    revealed_at = fields.DateTime(required=True)
    reveal_id = fields.Integer(required=True, metadata={"description": "The reveal log row."})


def _answer(revealed: Revealed) -> dict[str, Any]:
    return {
        "field": revealed.field,
        "value": revealed.value,
        "revealed_at": revealed.log.at,
        "reveal_id": revealed.log.id,
    }


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/persons/<int:person_id>/reveal")
@bp.arguments(PersonRevealInSchema)
@bp.response(200, RevealedSchema)
@requires("person.reveal")
def reveal_person(data: dict[str, str], person_id: int) -> dict[str, Any]:
    """The full NIK or KK number of a person of the caller's region (logged with the reason)."""
    revealed = reveal_person_number(
        db.current(), person_id, data["field"], actor=current_actor(), reason=data["reason"]
    )
    return _answer(revealed)


@bp.post("/cases/<int:case_id>/account/reveal")
@bp.arguments(AccountRevealInSchema)
@bp.response(200, RevealedSchema)
@requires("account.reveal")
def reveal_account(data: dict[str, str], case_id: int) -> dict[str, Any]:
    """The full bank account number of a case of the caller's region (logged)."""
    revealed = reveal_account_number(
        db.current(), case_id, actor=current_actor(), reason=data["reason"]
    )
    return _answer(revealed)
