"""The case page: data, applicant, documents, DTSEN, assessment, timeline and the buttons.

Every POST here is a boundary: it calls one service (or the engine), commits once, and
either redirects with a success message or shows the translated domain error.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, request, send_file
from flask.typing import ResponseReturnValue
from flask_admin import expose
from flask_babel import gettext
from sqlalchemy import select

from admin.base import show_domain_error
from admin.case_columns import regency_name, state_label
from admin.case_forms import (
    AssessmentForm,
    DocumentForm,
    DtsenForm,
    ItemForm,
    OverrideForm,
    TransitionForm,
)
from admin.letters import letter_context
from admin.security import CASE_WRITE_ROLES, require_actor
from casework.errors import DomainError, NotFound, ValidationError
from casework.models.case import Case
from casework.models.user import ROLE_LABELS, Role, User
from casework.models.verification import Assessment, Document, DtsenCheck
from casework.services.access import get_scoped
from casework.services.cases import EDITABLE_STATES
from casework.services.letters import letters_of_case
from casework.services.verification import (
    OPEN_FOR_VERIFICATION,
    DtsenInput,
    ItemInput,
    attach_document,
    record_assessment,
    record_dtsen_check,
    record_dtsen_override,
)
from casework.storage import DocumentStore
from web.db import db
from web.i18n import error_fields
from workflows.engine import advance, definition_for, permitted_transitions


def document_store() -> DocumentStore:
    config = current_app.config
    return DocumentStore(config["UPLOAD_DIR"], config["MAX_UPLOAD_BYTES"])


def may_verify(case: Case, user: User) -> bool:
    """Whether the user may add documents, DTSEN checks and assessments to the case now."""
    return (
        user.role in CASE_WRITE_ROLES
        and user.covers(case.regency_code)
        and case.state in {s.value for s in OPEN_FOR_VERIFICATION}
    )


def next_steps(case: Case) -> list[dict[str, Any]]:
    """The forward steps out of the case's state (not return, reject or cancel) with the
    labels of the roles that may take them: the "Next step" panel says who must act."""
    return [
        {"label": t.label, "roles": [ROLE_LABELS[r] for r in Role if r in t.roles]}
        for t in definition_for(case).transitions_from(case.state)
        if not t.reason_required
    ]


class CaseScreenMixin:
    """Mixed into CaseView before the Flask-Admin model view."""

    # Provided by the model view.
    get_one: Any
    get_url: Any
    render: Any
    details_template: str

    def _case(self, case_id: int) -> Case:
        return get_scoped(db.current(), Case, case_id, require_actor())

    def _back(self, case: Case) -> ResponseReturnValue:
        return redirect(self.get_url(".details_view", id=case.id) + request.args.get("anchor", ""))

    @expose("/details/")
    def details_view(self) -> Any:
        case = self.get_one(request.args.get("id"))
        return self._render_details(case)

    def _render_details(self, case: Case, **forms: Any) -> Any:
        user = require_actor()
        documents = list(
            db.session.scalars(
                select(Document).where(Document.case_id == case.id).order_by(Document.id)
            )
        )
        forms = {**self._blank_forms(case, user, documents), **forms}
        return self.render(
            self.details_template,
            model=case,
            case=case,
            user=user,
            documents=documents,
            dtsen_checks=self._dtsen_checks(case),
            assessment=self._assessment(case),
            transitions=self._transitions(case, user),
            next_steps=next_steps(case),
            events=case.events,
            state_label=state_label,
            regency_name=regency_name,
            workflow=definition_for(case),
            may_edit_details=case.state in EDITABLE_STATES and user.role in CASE_WRITE_ROLES,
            may_verify=may_verify(case, user),
            may_override=may_verify(case, user) and user.role == Role.MANAGER,
            may_see_documents=user.sees_personal_data,
            letters=letters_of_case(db.current(), case.id),
            **letter_context(),
            return_url=self.get_url(".index_view"),
            **forms,
        )

    def _blank_forms(self, case: Case, user: User, documents: list[Document]) -> dict[str, Any]:
        document_form = DocumentForm(formdata=None)
        document_form.fill_choices()
        dtsen_form = DtsenForm(formdata=None)
        dtsen_form.fill_choices([(d.id, d.original_name) for d in documents])
        return {
            "document_form": document_form,
            "dtsen_form": dtsen_form,
            "override_form": OverrideForm(formdata=None),
            "assessment_form": AssessmentForm(formdata=None),
        }

    def _transitions(self, case: Case, user: User) -> list[dict[str, Any]]:
        buttons = []
        for t in permitted_transitions(case, user):
            form = TransitionForm(formdata=None, trigger=t.trigger, expected_version=case.version)
            buttons.append({"transition": t, "form": form})
        return buttons

    def _dtsen_checks(self, case: Case) -> list[DtsenCheck]:
        stmt = select(DtsenCheck).where(DtsenCheck.case_id == case.id).order_by(DtsenCheck.id)
        return list(db.session.scalars(stmt))

    def _assessment(self, case: Case) -> Assessment | None:
        stmt = (
            select(Assessment)
            .where(Assessment.case_id == case.id)
            .order_by(Assessment.id.desc())
            .limit(1)
        )
        return db.session.scalars(stmt).first()

    # --- the workflow ---------------------------------------------------------------

    @expose("/<int:case_id>/transition/", methods=("POST",))
    def transition_view(self, case_id: int) -> ResponseReturnValue:
        case = self._case(case_id)
        form = TransitionForm()
        if not form.validate():
            flash(gettext("The form has expired; please try again."), "error")
            return self._back(case)
        version = form.expected_version.data or ""
        try:
            event = advance(
                db.current(),
                case,
                form.trigger.data,
                actor=require_actor(),
                reason=form.reason.data,
                expected_version=int(version) if version.isdigit() else None,
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error)
            return self._back(case)
        flash(
            gettext("Done: the case is now %(state)s.", state=state_label(event.to_state)),
            "success",
        )
        return self._back(case)

    # --- documents -----------------------------------------------------------------

    @expose("/<int:case_id>/documents/", methods=("POST",))
    def upload_view(self, case_id: int) -> Any:
        case = self._case(case_id)
        form = DocumentForm()
        form.fill_choices()
        if not form.validate():
            return self._render_details(case, document_form=form)
        upload = form.file.data
        try:
            attach_document(
                db.current(),
                case,
                kind=form.kind.data,
                filename=upload.filename or "",
                content=upload.read(),
                store=document_store(),
                actor=require_actor(),
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form, {"file": "file"})
            return self._render_details(case, document_form=form)
        flash(gettext("The document was stored."), "success")
        return self._back(case)

    @expose("/document/<int:document_id>")
    def download_view(self, document_id: int) -> ResponseReturnValue:
        user = require_actor()
        document = db.session.get(Document, document_id)
        if document is None or not user.sees_personal_data:
            raise NotFound()
        self._case(document.case_id)  # NotFound outside the user's region
        path = document_store().path(document.stored_name)
        return send_file(
            path,
            mimetype=document.content_type,
            as_attachment=True,
            download_name=document.original_name,
        )

    # --- DTSEN ---------------------------------------------------------------------

    @expose("/<int:case_id>/dtsen/", methods=("POST",))
    def dtsen_view(self, case_id: int) -> Any:
        case = self._case(case_id)
        form = DtsenForm()
        form.fill_choices(self._document_choices(case))
        if not form.validate():
            return self._render_details(case, dtsen_form=form)
        evidence = form.evidence_document_id.data
        data = DtsenInput(
            status=form.status.data,
            source=form.source.data,
            checked_on=form.checked_on.data,
            decile=form.decile.data,
            notes=form.notes.data or "",
            evidence_document_id=int(evidence) if evidence and evidence.isdigit() else None,
        )
        try:
            record_dtsen_check(db.current(), case, data, actor=require_actor())
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return self._render_details(case, dtsen_form=form)
        flash(gettext("The DTSEN check was recorded."), "success")
        return self._back(case)

    def _document_choices(self, case: Case) -> list[tuple[int, str]]:
        stmt = select(Document.id, Document.original_name).where(Document.case_id == case.id)
        return [(i, n) for i, n in db.session.execute(stmt)]

    @expose("/<int:case_id>/dtsen-override/", methods=("POST",))
    def override_view(self, case_id: int) -> Any:
        case = self._case(case_id)
        form = OverrideForm()
        if not form.validate():
            return self._render_details(case, override_form=form)
        try:
            record_dtsen_override(
                db.current(), case, reason=form.reason.data or "", actor=require_actor()
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            return self._render_details(case, override_form=form)
        flash(gettext("The DTSEN override was recorded."), "success")
        return self._back(case)

    # --- field assessment ----------------------------------------------------------

    @expose("/<int:case_id>/assessment/", methods=("POST",))
    def assessment_view(self, case_id: int) -> Any:
        case = self._case(case_id)
        form = AssessmentForm()
        if not form.validate():
            return self._render_details(case, assessment_form=form)
        rows = [entry.form for entry in form.items if not entry.form.is_blank()]
        try:
            record_assessment(
                db.current(),
                case,
                feasibility_notes=form.feasibility_notes.data or "",
                is_feasible=bool(form.is_feasible.data),
                assessed_on=form.assessed_on.data,
                items=[_item(row) for row in rows],
                actor=require_actor(),
            )
            db.session.commit()
        except DomainError as error:
            show_domain_error(error, form)
            if isinstance(error, ValidationError):
                _item_errors(error, rows)
            return self._render_details(case, assessment_form=form)
        flash(gettext("The field assessment was recorded."), "success")
        return self._back(case)


def _item(row: ItemForm) -> ItemInput:
    return ItemInput(
        name=row.name.data or "",
        quantity=row.quantity.data or 0,
        unit_price=row.unit_price.data if row.unit_price.data is not None else 0,
        unit=row.unit.data or "unit",
    )


def _item_errors(error: ValidationError, rows: list[ItemForm]) -> None:
    """Put "items-<i>-<field>" messages on the i-th non-blank item row."""
    for name, messages in error_fields(error).items():
        parts = name.split("-")
        if len(parts) == 3 and parts[0] == "items" and parts[1].isdigit():
            index = int(parts[1])
            field = getattr(rows[index], parts[2], None) if index < len(rows) else None
            if field is not None:
                field.errors = [*field.errors, *messages]
