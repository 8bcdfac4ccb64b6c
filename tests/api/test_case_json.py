"""The case JSON written by hand (web/api/case_schemas.py ``case_json``) is what marshmallow
writes from CaseSchema's declared fields, for one case and for a page of the list, which
reads columns only (``CaseView``) instead of ORM objects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import marshmallow as ma
import pytest
from flask import Flask, g

from casework import clock
from casework.models import Case, CaseState, User
from tests import factories
from web.api.case_schemas import CaseSchema


def declared_dump(app: Flask, case: Case, actor: User, language: str) -> Any:
    """CaseSchema's fields serialised by marshmallow itself (the reference)."""
    with app.test_request_context("/api/v1/cases", headers={"Accept-Language": language}):
        g.api_user = actor
        return ma.Schema.dump(CaseSchema(), case)


def written_dump(app: Flask, case: Case, actor: User, language: str) -> Any:
    with app.test_request_context("/api/v1/cases", headers={"Accept-Language": language}):
        g.api_user = actor
        return CaseSchema().dump(case)


@pytest.mark.parametrize("language", ["id", "en"])
@pytest.mark.parametrize("program_code", ["WRSE", "KUBE"])
def test_a_draft_case_is_written_as_marshmallow_writes_its_declared_fields(
    app, session, users, program_code, language
):
    case = factories.make_case(session, users["caseworker"], program_code)

    written = written_dump(app, case, users["caseworker"], language)

    assert written == declared_dump(app, case, users["caseworker"], language)
    assert set(written) == set(CaseSchema().fields)


@pytest.mark.parametrize("days_late", [-1, 1])
def test_a_case_with_a_deadline_is_written_as_marshmallow_writes_it_on_time_and_overdue(
    app, session, users, store, days_late
):
    case = factories.case_in_state(session, users, store, CaseState.SUBMITTED)

    with clock.frozen(case.due_at + timedelta(days=days_late)):
        written = written_dump(app, case, users["verifier"], "en")
        declared = declared_dump(app, case, users["verifier"], "en")

    assert written == declared
    assert written["overdue"] is (days_late > 0)
    assert written["allowed_triggers"]


def test_a_case_outside_the_readers_region_lists_no_action_as_marshmallow_does(app, session, users):
    case = factories.make_case(session, users["caseworker"], village=factories.SAMARINDA_VILLAGE)

    written = written_dump(app, case, users["kukar_caseworker"], "id")

    assert written == declared_dump(app, case, users["kukar_caseworker"], "id")
    assert written["allowed_triggers"] == []


@pytest.mark.parametrize("program_code", ["WRSE", "KUBE"])
def test_a_listed_case_reads_the_same_as_the_case_read_on_its_own(
    api_as, session, users, program_code
):
    case = factories.make_case(session, users["caseworker"], program_code)
    api = api_as("caseworker", language="en")

    listed = api.get("/cases", query_string={"program": program_code, "per_page": 100})
    alone = api.get(f"/cases/{case.id}").get_json()

    assert alone in listed.get_json()["items"]
    assert alone["applicant"]["kind"] == ("group" if program_code == "KUBE" else "person")
