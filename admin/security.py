"""Who may open which admin screen: login first, then the role, then the region."""

from __future__ import annotations

from collections.abc import Collection

from flask import has_request_context, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from werkzeug.exceptions import Forbidden

from casework.models.user import CASEWORK_WRITE_ROLES, Role, User

ALL_ROLES = frozenset(Role)
STAFF_ROLES = ALL_ROLES - {Role.DPRD_LIAISON}
CONFIG_EDIT_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
CASE_WRITE_ROLES = frozenset(CASEWORK_WRITE_ROLES)
ADMIN_ONLY = frozenset({Role.ADMIN})


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


class RoleGate:
    """Mixin for admin views: login required, then one of ``view_roles``.

    ``edit_roles`` may create and edit; everybody else who may view sees it read-only.
    """

    view_roles: frozenset[Role] = STAFF_ROLES
    edit_roles: frozenset[Role] = frozenset()

    def is_accessible(self) -> bool:
        return has_role(self.view_roles)

    def inaccessible_callback(self, name: str, **kwargs: object) -> ResponseReturnValue:
        if actor() is None:
            return login_redirect()
        raise Forbidden()

    @property
    def may_edit(self) -> bool:
        return has_role(self.edit_roles)
