"""The authorization matrix: every admin view and API route × every role × own region /
other region, checked against the policy table (casework/policy.py).

The routes are read from the application's url_map, so a new route is in the matrix the
moment it is registered; a route that does not declare its action fails
``test_every_route_declares_an_action_the_policy_knows`` by name.

The expected answer is computed from the policy *table* (POLICY, PROVINCE_ONLY,
REGIONAL_RECORDS), never by calling the gate under test:

- the role is not in the action's roles, or the action is province-only: 403;
- the URL names a record of a kabupaten/kota other than the actor's: 404;
- otherwise the gate lets the request through: no 401/403/404 and no server error (a
  write sent without a body may answer 400/409/422, or redirect back with a message).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select
from werkzeug.routing import Rule

from casework.models import Role
from casework.policy import (
    POLICY,
    PROVINCE_ONLY,
    PUBLIC_ENDPOINTS,
    REGIONAL_RECORDS,
    declared_action,
    requires,
    role_table_markdown,
)
from tests.admin.helpers import login
from tests.security.conftest import OTHER, OWN, World
from web.db import db

IGNORED_METHODS = {"HEAD", "OPTIONS"}

# URL parameter -> the kind of record it names.
PARAMETER_KINDS = {
    "case_id": "case",
    "person_id": "person",
    "group_id": "group",
    "document_id": "document",
    "report_id": "usage_report",
    "visit_id": "monitoring_visit",
    "decree_id": "decree",
    "procurement_id": "procurement",
    "batch_id": "payment_batch",
    "line_id": "pokir_line",
    "letter_id": "letter",
}
# URL parameters naming a record that belongs to the requesting user (World.own).
OWN_PARAMETERS = {"token_id", "token"}
# Admin model views whose ``?id=`` names a region-bound record, by view endpoint.
ADMIN_MODEL_KINDS = {
    "case": "case",
    "person": "person",
    "group": "group",
    "usagereport": "usage_report",
    "monitoringvisit": "monitoring_visit",
    "handover": "handover",
    "beneficiaryaccount": "account",
    "letter": "letter",
}
# Admin model views whose ``?id=`` names a record of the requesting user's (World.own).
ADMIN_OWN_KINDS = {"inbox": "inbox_message"}
ID_VIEWS = {"details_view", "edit_view"}


@dataclass(frozen=True)
class Route:
    method: str
    rule: str
    endpoint: str

    @property
    def label(self) -> str:
        return f"{self.method} {self.rule}"


def _routes(app: Flask) -> list[Route]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - IGNORED_METHODS):
            found.append(Route(method, rule.rule, rule.endpoint))
    return sorted(found, key=lambda r: (r.rule, r.method))


def _collection_app() -> Flask:
    """An app built only to read its url_map while the tests are collected."""
    from web import create_app

    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "collect",
            "DATABASE_URL": "sqlite://",
            "SCHEDULER_ENABLED": False,
        }
    )


COLLECTION_APP = _collection_app()
ROUTES = _routes(COLLECTION_APP)
GATED = [r for r in ROUTES if r.endpoint not in PUBLIC_ENDPOINTS]


def action_of(app: Flask, endpoint: str) -> str | None:
    """The action the route declares: ``@requires`` on a view function, or the admin
    view's ``action_for`` (its ``read_action`` / ``edit_action`` / ``endpoint_actions``)."""
    view = app.view_functions[endpoint]
    owner = getattr(view, "__self__", None)
    if owner is not None and hasattr(owner, "action_for"):
        action: str | None = owner.action_for(endpoint.rsplit(".", 1)[-1])
        return action
    return declared_action(view)


# --- every route names an action ------------------------------------------------------


@pytest.mark.parametrize("route", GATED, ids=lambda r: r.label)
def test_every_route_declares_an_action_the_policy_knows(app: Flask, route: Route) -> None:
    action = action_of(app, route.endpoint)
    assert action is not None, f"{route.label} ({route.endpoint}) declares no action"
    assert action in POLICY, f"{route.label} declares {action!r}, unknown to the policy"


def test_docs_security_lists_the_roles_of_every_action_as_the_policy_does() -> None:
    page = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    assert role_table_markdown() in page, (
        "docs/security.md's role table differs from casework/policy.py: regenerate it"
    )


def _stray_app() -> Flask:
    """An app with a plain blueprint outside the admin and the API: one view that declares
    no action, one that declares "audit.read". Built while the tests are collected (a new
    app rebinds the database handle, which must then point at the test database)."""
    app = _collection_app()
    stray = Blueprint("stray", __name__)

    @stray.get("/stray/undeclared")
    def undeclared() -> str:
        return "every applicant"

    @stray.get("/stray/declared")
    @requires("audit.read")
    def declared() -> str:
        return "the audit log"

    app.register_blueprint(stray)
    return app


STRAY_APP = _stray_app()


def test_a_plain_view_that_declares_no_action_is_refused_and_a_declared_one_needs_login() -> None:
    client = STRAY_APP.test_client()
    refused = client.get("/stray/undeclared")
    assert refused.status_code == 403
    assert "every applicant" not in refused.get_data(as_text=True)
    anonymous = client.get("/stray/declared")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# --- the matrix -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def clients(app: Flask, world: World) -> Iterator[dict[Role, FlaskClient]]:
    """A logged-in admin client per role (CSRF is not what this matrix checks)."""
    made = {}
    for role, user in world.users.items():
        client = app.test_client()
        response = login(client, user)
        assert response.status_code in (302, 303), f"{role} could not log in"
        made[role] = client
    csrf = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield made
    finally:
        app.config["WTF_CSRF_ENABLED"] = csrf


def _record_id(app: Flask, world: World, kind: str, region: str) -> int:
    if kind in REGIONAL_RECORDS:
        return world.ids[region][kind]
    return world.shared[kind]


def _admin_model_id(
    app: Flask, endpoint: str, world: World, region: str, role: Role
) -> tuple[Any, bool]:
    """The ``?id=`` for a details/edit view, and whether it names a region-bound record."""
    view_name = endpoint.split(".", 1)[0]
    kind = ADMIN_MODEL_KINDS.get(view_name)
    if kind is not None:
        return world.ids[region][kind], True
    if view_name in ADMIN_OWN_KINDS:
        return world.own[role][ADMIN_OWN_KINDS[view_name]], False
    owner: Any = getattr(app.view_functions[endpoint], "__self__", None)
    key = inspect(owner.model).primary_key[0]
    found = db.session.scalars(select(key).order_by(key).limit(1)).first()
    assert found is not None, f"the world has no {owner.model.__name__} for {endpoint}"
    return found, False


def _lookup_query(app: Flask, endpoint: str) -> dict[str, Any]:
    """What a form's related-record field sends to Flask-Admin's ajax look-up."""
    owner: Any = getattr(app.view_functions[endpoint], "__self__", None)
    names = sorted(getattr(owner, "_form_ajax_refs", None) or {})
    return {"name": names[0], "query": ""} if names else {}


def build_request(
    app: Flask, route: Route, world: World, region: str, role: Role
) -> tuple[str, dict[str, Any], bool]:
    """The URL (with real ids), query arguments, and whether it names a regional record."""
    rule: Rule = next(r for r in app.url_map.iter_rules() if r.rule == route.rule)
    values: dict[str, Any] = {}
    regional = False
    for name in rule.arguments:
        kind = PARAMETER_KINDS.get(name)
        if name in OWN_PARAMETERS:
            values[name] = world.own[role][name]
        elif kind is not None:
            values[name] = _record_id(app, world, kind, region)
            regional = regional or kind in REGIONAL_RECORDS
        elif name == "program_id":
            values[name] = 1
        elif name == "year":
            values[name] = date.today().year
        elif name == "code":
            values[name] = OWN
        elif name == "export_type":
            values[name] = "csv"
        else:
            raise AssertionError(f"{route.label}: no value for <{name}>; add it to the matrix")
    path = rule.build(values, append_unknown=False)
    assert path is not None
    query: dict[str, Any] = {}
    view_endpoint = route.endpoint.rsplit(".", 1)[-1]
    if view_endpoint in ID_VIEWS and not route.rule.startswith("/api/"):
        query["id"], regional_id = _admin_model_id(app, route.endpoint, world, region, role)
        regional = regional or regional_id
    if view_endpoint == "ajax_lookup":
        query.update(_lookup_query(app, route.endpoint))
    return path[1], query, regional


def expected(role: Role, action: str, *, other_region: bool) -> str:
    """The answer the policy table gives to a Kutai Kartanegara user of ``role``."""
    if role not in POLICY[action] or action in PROVINCE_ONLY:
        return "forbidden"
    return "not found" if other_region else "allowed"


def observed(status: int, location: str) -> str:
    if status == 403:
        return "forbidden"
    if status == 404:
        return "not found"
    if status == 401 or "/login" in location:
        return "login"
    if status >= 500:
        return f"server error {status}"
    return "allowed"


def names_regional_record(app: Flask, route: Route) -> bool:
    """Whether the route's URL names a region-bound record (a path argument, or the ``?id=``
    of an admin details/edit view of such a model): only those get an "other region" case."""
    rule: Rule = next(r for r in app.url_map.iter_rules() if r.rule == route.rule)
    kinds = {PARAMETER_KINDS.get(n) for n in rule.arguments if n not in OWN_PARAMETERS}
    if kinds & set(REGIONAL_RECORDS):
        return True
    view_endpoint = route.endpoint.rsplit(".", 1)[-1]
    admin_view = route.endpoint.split(".", 1)[0]
    return (
        view_endpoint in ID_VIEWS
        and not route.rule.startswith("/api/")
        and admin_view in ADMIN_MODEL_KINDS
    )


MATRIX = [
    pytest.param(route, role, region, id=f"{route.label} as {role.value} ({where})")
    for route in GATED
    for role in Role
    for region, where in ((OWN, "own region"), (OTHER, "other region"))
    if region == OWN or names_regional_record(COLLECTION_APP, route)
]


@pytest.mark.parametrize(("route", "role", "region"), MATRIX)
def test_the_answer_follows_the_policy(
    app: Flask,
    world: World,
    clients: dict[Role, FlaskClient],
    route: Route,
    role: Role,
    region: str,
) -> None:
    action = action_of(app, route.endpoint)
    if action is None or action not in POLICY:
        pytest.fail(f"{route.label} declares no known action (see the declaration test)")
    path, query, regional = build_request(app, route, world, region, role)
    assert regional == names_regional_record(app, route), "the matrix's region cases drifted"
    want = expected(role, action, other_region=region == OTHER)
    client = clients[role]
    headers = {}
    if route.rule.startswith("/api/"):
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
    response = client.open(path, method=route.method, query_string=query, headers=headers)
    got = observed(response.status_code, response.headers.get("Location", ""))
    response.close()  # a file download keeps its file open until closed
    assert got == want, (
        f"{route.label} ({action}) as {role.value} in {OWN}, record in {region}: "
        f"expected {want}, got {got} ({response.status_code}): "
        f"{response.get_data(as_text=True)[:300]}"
    )
