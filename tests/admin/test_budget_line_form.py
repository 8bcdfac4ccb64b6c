"""The budget line form: program and APBD version are plain selects (no deprecated tuples)."""

from __future__ import annotations

from sqlalchemy import select

from casework.models.budget import BudgetLine
from tests import factories
from tests.admin.helpers import login, page_token


def test_finance_enters_a_budget_line_choosing_the_program_and_the_apbd_version(
    client, session, users
):
    program = factories.program(session, "UEP")
    login(client, users["finance"])
    page = client.get("/admin/budgetline/new/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'value="{program.id}"' in html and 'value="perubahan"' in html
    token = page_token(client, "/admin/budgetline/new/")
    response = client.post(
        "/admin/budgetline/new/",
        data={
            "csrf_token": token,
            "fiscal_year": "2026",
            "program_choice": str(program.id),
            "version": "perubahan",
            "sub_activity_code": "1.06.04.2.01.0001",
            "account_code": "5.4.02.05.01.0001",
            "name": "Belanja hibah barang UEP",
            "ceiling": "750000000",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    line = session.scalars(select(BudgetLine).where(BudgetLine.name.like("%UEP"))).one()
    assert (line.program_id, line.version.value, line.ceiling) == (
        program.id,
        "perubahan",
        750_000_000,
    )
