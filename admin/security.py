"""Who may open which admin screen: login first, then the role, then the region."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flask import has_request_context, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from casework.errors import NotFound
from casework.models.user import CASEWORK_WRITE_ROLES, Role, User
from casework.policy import allows, kind_of_model, require_in_region, require_records_in_region
from web.db import db

ALL_ROLES = frozenset(Role)
STAFF_ROLES = ALL_ROLES - {Role.DPRD_LIAISON}
CONFIG_EDIT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
CASE_WRITE_ROLES = frozenset(CASEWORK_WRITE_ROLES)
ADMIN_ONLY = frozenset({Role.ADMIN})
# Flask-Admin's endpoints that write: they need the view's ``edit_action``.
WRITE_ENDPOINTS = frozenset(
    {"create_view", "edit_view", "delete_view", "action_view", "ajax_update"}
)


def actor() -> User | None:
    """The logged-in, active user of this request, or None."""
    if not has_request_context() or not current_user or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    return user if isinstance(user, User) and user.active else None


def require_actor() -> User:
    """The logged-in user; Forbidden when nobody is (views check login before this)."""
    user = actor()
    if user is None:
        raise Forbidden()
    return user


def has_role(roles: Collection[Role]) -> bool:
    user = actor()
    return user is not None and user.role in roles


def login_redirect() -> ResponseReturnValue:
    """Send an anonymous visitor to the login page, coming back here afterwards."""
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


# Flask-Admin's endpoints that name a model record, and where they carry its id.
ID_IN_QUERY = frozenset({"details_view", "edit_view"})
ID_IN_FORM = frozenset({"delete_view"})
IDS_IN_FORM = frozenset({"action_view"})


def _named_ids(endpoint: str) -> list[int]:
    """The record ids the Flask-Admin endpoint ``endpoint`` acts on in this request (a
    malformed id names no record: 404)."""
    if endpoint in ID_IN_QUERY:
        raw = [request.args.get("id", "")]
    elif endpoint in ID_IN_FORM:
        raw = [request.form.get("id", "")]
    elif endpoint in IDS_IN_FORM:
        raw = request.form.getlist("rowid")
    else:
        return []
    raw = [value for value in raw if value]
    if not all(value.isdigit() for value in raw):
        raise NotFound()
    return [int(value) for value in raw]


class RoleGate:
    """Mixin for admin views: login required, then the policy's answer for the action.

    A view declares ``read_action`` (what opening it means, e.g. "case.read") and, when it can
    create or edit, ``edit_action``; ``endpoint_actions`` names the action of any other
    exposed endpoint. Every exposed endpoint is checked in ``_handle_view`` against
    casework/policy.py, the one table the API shares.
    """

    read_action: str | None = None
    edit_action: str | None = None
    endpoint_actions: Mapping[str, str] = {}

    def action_for(self, name: str) -> str | None:
        """The policy action of the exposed endpoint ``name`` (None: undeclared, refused).

        A write endpoint of a view without ``edit_action`` performs "disabled" (nobody).
        Flask-Admin's ajax look-up serves the create/edit form's related-record fields, so
        it is the view's ``edit_action``; it and the inline list editing are "disabled" on a
        view that has no such field or column (the endpoint exists but serves nothing).
        """
        if name in self.endpoint_actions:
            return self.endpoint_actions[name]
        if name == "ajax_lookup":
            has_lookups = bool(getattr(self, "form_ajax_refs", None))
            return (self.edit_action or "disabled") if has_lookups else "disabled"
        if name == "ajax_update" and not getattr(self, "column_editable_list", None):
            return "disabled"
        if name in WRITE_ENDPOINTS:
            return self.edit_action or "disabled"
        return self.read_action

    def is_accessible(self) -> bool:
        return self.read_action is not None and allows(actor(), self.read_action)

    def inaccessible_callback(self, name: str, **kwargs: object) -> ResponseReturnValue:
        if actor() is None:
            return login_redirect()
        raise Forbidden()

    def _handle_view(self, name: str, **kwargs: object) -> ResponseReturnValue | None:
        action = self.action_for(name)
        user = actor()
        if action is None or user is None or not allows(user, action):
            return self.inaccessible_callback(name, **kwargs)
        session = db.current()
        require_records_in_region(session, user, request.view_args)
        kind = kind_of_model(getattr(self, "model", None))
        if kind is not None:
            for record_id in _named_ids(name):
                require_in_region(session, user, kind, record_id)
        return None

    @property
    def may_edit(self) -> bool:
        return self.edit_action is not None and allows(actor(), self.edit_action)
