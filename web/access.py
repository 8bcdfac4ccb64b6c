"""The app-wide access gate: no view outside casework/policy.py.

Every request's endpoint is one of:

- public (``PUBLIC_ENDPOINTS``: login, language, static files, the letter verification and
  status pages, health): it checks what it shows itself;
- an admin screen (a Flask-Admin view with ``RoleGate``): checked in ``RoleGate._handle_view``;
- an API endpoint (an ``ApiBlueprint``): bearer token, then ``enforce_policy``;
- any other view (a plain Flask blueprint): it must declare its action with
  ``casework.policy.requires``, and this gate checks it: login (the login page), the role
  (403), then every URL argument naming a region-bound record (404 outside the region).
  A view that declares nothing is refused to everybody.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask.typing import ResponseReturnValue

from admin.security import RoleGate, actor, login_redirect
from casework import policy
from casework.errors import NotAllowed
from web.api.base import ApiBlueprint
from web.db import db


def init_access(app: Flask) -> None:
    """Install the gate in front of every view."""
    app.before_request(enforce_view_policy)


def _gated_elsewhere() -> bool:
    """Whether the endpoint is an admin screen or an API endpoint (they have their gates)."""
    view = current_app.view_functions[request.endpoint or ""]
    if isinstance(getattr(view, "__self__", None), RoleGate):
        return True
    blueprint = current_app.blueprints.get(request.blueprint or "")
    return isinstance(blueprint, ApiBlueprint)


def enforce_view_policy() -> ResponseReturnValue | None:
    """Refuse a request the policy does not allow (see the module's docstring)."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in policy.PUBLIC_ENDPOINTS or _gated_elsewhere():
        return None  # no endpoint: routing answers 404 / 405 itself
    action = policy.declared_action(current_app.view_functions[endpoint])
    if action is None:
        raise NotAllowed()
    user = actor()
    if user is None:
        return login_redirect()
    policy.require(user, action)
    policy.require_records_in_region(db.current(), user, request.view_args)
    return None
