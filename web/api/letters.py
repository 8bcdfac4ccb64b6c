"""Letters of a case: list them and download their PDFs (staff who may see the case)."""

from __future__ import annotations

import marshmallow as ma
from flask import Response, send_file
from marshmallow import fields

from casework.errors import NotFound
from casework.i18n import N_
from casework.models.case import Case
from casework.models.letter import Letter
from casework.services.access import get_scoped
from casework.services.letters import get_letter, letters_of_case
from web.api.base import current_actor, make_blueprint, requires
from web.db import db
from web.verify import letter_store

bp = make_blueprint("letters", "Official letters issued to applicants.", personal_data=True)

BINARY = {"type": "string", "format": "binary"}


class LetterSchema(ma.Schema):
    id = fields.Integer()
    case_id = fields.Integer(allow_none=True)
    kind = fields.String()
    number = fields.String()
    version = fields.Integer()
    letter_date = fields.Date()
    issued_at = fields.DateTime()
    trigger = fields.String(allow_none=True)
    recipient_name = fields.String()
    recipient_nik_masked = fields.String()
    status = fields.String(metadata={"description": "pending, rendered or voided."})
    verification = fields.String(
        metadata={"description": "What the public page says: valid, pending, superseded, voided."}
    )
    sha256 = fields.String(allow_none=True)
    size_bytes = fields.Integer(allow_none=True)
    supersedes_id = fields.Integer(allow_none=True)
    superseded_at = fields.DateTime(allow_none=True)
    voided_at = fields.DateTime(allow_none=True)


@bp.get("/cases/<int:case_id>/letters")
@bp.response(200, LetterSchema(many=True))
@requires("letter.read")
def list_letters(case_id: int) -> list[Letter]:
    """Every letter issued for the case (all versions), newest first."""
    case = get_scoped(db.current(), Case, case_id, current_actor())
    return letters_of_case(db.current(), case.id)


@bp.get("/letters/<int:letter_id>/pdf")
@bp.response(200, BINARY, content_type="application/pdf")
@requires("letter.read")
def download_letter(letter_id: int) -> Response:
    """The stored PDF of one letter version; 404 while it is still being prepared."""
    letter = get_letter(db.current(), letter_id, current_actor())
    if letter.file_path is None:
        raise NotFound(N_("The PDF of this letter is not ready yet."))
    return send_file(
        letter_store().path(letter.file_path),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=pdf_name(letter),
    )


def pdf_name(letter: Letter) -> str:
    """A download name from the number: ``surat-400.9-15-Dinsos-2026-v1.pdf``."""
    safe = "".join(c if c.isalnum() or c in ".-" else "-" for c in letter.number)
    return f"surat-{safe}-v{letter.version}.pdf"
