"""Logging in: audit of every attempt, lockout, rate limits, password policy, idle timeout,
the TOTP second factor, and API tokens that expire and can be revoked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import NotAllowed, ValidationError
from casework.models import ApiToken, AuditEntry, Role, User
from casework.services.login import begin_totp, confirm_totp, totp_enabled, totp_roles_from
from casework.services.users import (
    MIN_PASSWORD_LENGTH,
    change_password,
    create_user,
    issue_token,
)
from config import DevConfig
from tests import factories
from tests.admin.helpers import csrf_token, login, page_token, translated
from tests.process_support import production_setting
from web.auth import init_auth
from web.limits import limiter

ADDRESS = "198.51.100.23"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    limiter.reset()
    yield
    limiter.reset()


def _logins(session: Session, user: User) -> list[AuditEntry]:
    session.expire_all()
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("login.%"), AuditEntry.actor_name == user.username)
            .order_by(AuditEntry.id)
        )
    )


def _post_login(
    client: FlaskClient, username: str, password: str, address: str = ADDRESS
) -> tuple[int, str]:
    token = page_token(client, "/login")
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )
    return response.status_code, response.get_data(as_text=True)


# --- Audit of logins ---------------------------------------------------------------------


def test_a_successful_login_is_audited_with_the_address(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    status, _ = _post_login(client, users["verifier"].username, factories.PASSWORD)
    assert status == 302
    [entry] = _logins(session, users["verifier"])
    assert (entry.action, entry.actor_id, entry.ip) == (
        "login.success",
        users["verifier"].id,
        ADDRESS,
    )


def test_a_failed_login_is_audited_with_the_address_and_committed(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    status, _ = _post_login(client, users["verifier"].username, "wrong-password-123")
    assert status == 200
    [entry] = _logins(session, users["verifier"])
    assert (entry.action, entry.ip) == ("login.failure", ADDRESS)
    assert entry.changes == {"factor": "password", "locked": False}
    session.expire_all()
    assert session.get(User, users["verifier"].id).failed_logins == 1


def test_a_failed_login_for_an_unknown_name_is_audited_too(
    client: FlaskClient, session: Session
) -> None:
    _post_login(client, "nobody-here", "whatever-password")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.actor_name == "nobody-here")).one()
    assert (entry.action, entry.actor_id, entry.ip) == ("login.failure", None, ADDRESS)


def test_logout_is_audited(client: FlaskClient, session: Session, users: dict[str, User]) -> None:
    login(client, users["finance"])
    token = page_token(client, "/admin/")
    client.post("/logout", data={"csrf_token": token})
    assert [e.action for e in _logins(session, users["finance"])] == ["login.success"]
    session.expire_all()
    assert session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.action == "logout", AuditEntry.actor_id == users["finance"].id
        )
    ).all() == ["logout"]


# --- Lockout ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["id", "en"])
def test_an_account_is_locked_after_five_failures_with_a_clear_message(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User], language: str
) -> None:
    user = users["caseworker"]
    client.get(f"/lang/{language}")
    for _ in range(4):
        status, html = _post_login(client, user.username, "not-the-password!")
        assert escape(translated(app, "Wrong username or password.", language)) in html

    _, html = _post_login(client, user.username, "not-the-password!")
    session.expire_all()
    locked_until = session.get(User, user.id).locked_until
    assert locked_until is not None
    assert timedelta(minutes=14) < locked_until - clock.now() <= timedelta(minutes=15)
    locked = translated(
        app, "Too many failed logins: this account is locked until %(time)s.", language
    )
    before_time = str(escape(locked.split("%(time)s")[0].strip()))
    assert before_time and before_time in html

    # Even the right password is refused while the lock lasts; afterwards it works again.
    status, html = _post_login(client, user.username, factories.PASSWORD)
    assert status == 200 and before_time in html
    with clock.frozen(locked_until + timedelta(seconds=1)):
        status, _ = _post_login(client, user.username, factories.PASSWORD)
    assert status == 302
    assert [e.action for e in _logins(session, user)][-3:] == [
        "login.failure",
        "login.locked",
        "login.success",
    ]


# --- Rate limits -----------------------------------------------------------------------------


def test_failed_logins_from_one_address_are_rate_limited_with_a_translated_page(
    app: Flask, client: FlaskClient, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "3 per minute")
    for n in range(3):
        status, _ = _post_login(client, f"someone{n}", "wrong-password-here")
        assert status == 200

    status, html = _post_login(client, users["manager"].username, factories.PASSWORD)

    assert status == 429
    assert escape(translated(app, "Too many requests; please wait a moment.")) in html
    assert "Traceback" not in html
    # Another address is not affected.
    status, _ = _post_login(client, users["manager"].username, factories.PASSWORD, "192.0.2.99")
    assert status == 302


def test_failed_logins_for_one_account_are_rate_limited_across_addresses(
    app: Flask, client: FlaskClient, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per minute")
    monkeypatch.setitem(app.config, "LOGIN_MAX_FAILURES", 50)
    name = users["finance"].username
    for n in range(2):
        assert _post_login(client, name, "wrong-password-here", f"192.0.2.{n + 1}")[0] == 200

    assert _post_login(client, name, "wrong-password-here", "192.0.2.50")[0] == 429
    assert _post_login(client, users["auditor"].username, factories.PASSWORD)[0] == 302


def test_successful_logins_do_not_use_up_the_rate_limit(
    app: Flask, client: FlaskClient, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ADDRESS", "2 per minute")
    for _ in range(4):
        assert _post_login(client, users["auditor"].username, factories.PASSWORD)[0] == 302


# --- Password policy -------------------------------------------------------------------------


def test_the_password_policy_explains_every_problem_on_the_password_field(
    session: Session,
) -> None:
    with pytest.raises(ValidationError) as refused:
        create_user(
            session,
            username="sri.rahayu",
            full_name="Sri Rahayu",
            role="caseworker",
            password="sri.rahayu1",
        )
    assert set(refused.value.fields) == {"password"}
    messages = {m.message for m in refused.value.fields["password"]}
    assert messages == {
        "The password must have at least %(n)s characters.",
        "The password must not contain the username.",
    }
    assert MIN_PASSWORD_LENGTH == 12

    with pytest.raises(ValidationError) as common:
        create_user(
            session,
            username="sri.rahayu",
            full_name="Sri Rahayu",
            role="caseworker",
            password="Password1234",
        )
    assert [m.message for m in common.value.fields["password"]] == [
        "This password is too common; choose one that is harder to guess."
    ]


def test_changing_a_password_needs_the_current_one(
    session: Session, users: dict[str, User]
) -> None:
    user = users["verifier"]
    with pytest.raises(ValidationError) as refused:
        change_password(session, user, current="not-it-at-all", new="short")
    assert set(refused.value.fields) == {"current_password", "password"}


def test_the_change_password_screen_shows_errors_by_field_and_then_changes_it(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    user = users["caseworker"]
    login(client, user)
    token = page_token(client, "/admin/myaccount/")
    refused = client.post(
        "/admin/myaccount/password",
        data={
            "csrf_token": token,
            "current_password": "not-my-password",
            "password": "short",
            "confirm": "short",
        },
    )
    html = refused.get_data(as_text=True)
    assert escape(translated(app, "The current password is not right.")) in html
    too_short = translated(app, "The password must have at least %(n)s characters.")
    assert escape(too_short % {"n": 12}) in html

    new_password = "mahakam-river-sunrise-7"
    changed = client.post(
        "/admin/myaccount/password",
        data={
            "csrf_token": token,
            "current_password": factories.PASSWORD,
            "password": new_password,
            "confirm": new_password,
        },
    )
    assert changed.status_code == 302
    client.post("/logout", data={"csrf_token": page_token(client, "/admin/")})
    assert login(client, user, password=new_password).status_code == 302


# --- Idle timeout ----------------------------------------------------------------------------


def test_an_idle_session_is_logged_out_with_a_message(
    app: Flask, client: FlaskClient, users: dict[str, User]
) -> None:
    start = clock.now()
    with clock.frozen(start):
        login(client, users["caseworker"])
    with clock.frozen(start + timedelta(minutes=29)):
        assert client.get("/admin/").status_code == 200
    with clock.frozen(start + timedelta(minutes=29 + 31)):
        response = client.get("/admin/person/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    message = translated(app, "You were logged out after %(minutes)s minutes without activity.")
    assert escape(message % {"minutes": 30}) in page
    assert client.get("/admin/").status_code == 302


# --- TOTP ------------------------------------------------------------------------------------


def test_a_manager_enrols_totp_and_then_logs_in_with_a_code(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    manager = users["manager"]
    start = clock.now()
    with clock.frozen(start):
        login(client, manager)
        token = page_token(client, "/admin/myaccount/")
        client.post("/admin/myaccount/totp/start", data={"csrf_token": token})
        page = client.get("/admin/myaccount/").get_data(as_text=True)
        assert 'src="data:image/svg+xml' in page
        secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1)
        totp = pyotp.TOTP(secret)
        wrong = client.post(
            "/admin/myaccount/totp/confirm", data={"csrf_token": token, "code": "000000"}
        )
        assert escape(
            translated(app, "The code is not right. Enter the code your app shows now.")
        ) in wrong.get_data(as_text=True)
        confirmed = client.post(
            "/admin/myaccount/totp/confirm",
            data={"csrf_token": token, "code": totp.at(start)},
        )
        assert confirmed.status_code == 302
        client.post("/logout", data={"csrf_token": page_token(client, "/admin/")})

    later = start + timedelta(seconds=60)
    with clock.frozen(later):
        first = login(client, manager)
        assert first.status_code == 302 and "/login/code" in first.headers["Location"]
        assert client.get("/admin/").status_code == 302  # not logged in yet
        code_token = page_token(client, "/login/code")
        refused = client.post("/login/code", data={"csrf_token": code_token, "code": "123456"})
        assert refused.status_code == 200
        done = client.post("/login/code", data={"csrf_token": code_token, "code": totp.at(later)})
        assert done.status_code == 302
        assert client.get("/admin/").status_code == 200
    actions = [(e.action, (e.changes or {}).get("factor")) for e in _logins(session, manager)]
    assert actions[-2:] == [("login.failure", "totp"), ("login.success", "totp")]


def test_a_totp_code_cannot_be_used_twice(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    from casework.services.login import Outcome, attempt_code, confirm_totp

    manager = users["manager"]
    now = clock.now()
    with clock.frozen(now):
        totp = pyotp.TOTP(begin_totp(session, manager))
        confirm_totp(session, manager, totp.at(now))
    later = now + timedelta(seconds=90)
    with clock.frozen(later):
        assert attempt_code(session, manager, totp.at(later)).outcome is Outcome.OK
        assert attempt_code(session, manager, totp.at(later)).outcome is Outcome.WRONG


def test_totp_is_for_managers_and_administrators_only(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    with pytest.raises(NotAllowed):
        begin_totp(session, users["caseworker"])
    login(client, users["caseworker"])
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    assert "/admin/myaccount/totp/start" not in page


def _require_totp_of(app: Flask, monkeypatch: pytest.MonkeyPatch, *roles: Role) -> None:
    monkeypatch.setitem(app.config, "TOTP_REQUIRED_ROLES", frozenset(roles))


def _enrol(client: FlaskClient, at: datetime) -> pyotp.TOTP:
    token = page_token(client, "/admin/myaccount/")
    client.post("/admin/myaccount/totp/start", data={"csrf_token": token})
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    totp = pyotp.TOTP(re.search(r'class="totp-secret">([A-Z2-7]+)<', page).group(1))
    confirmed = client.post(
        "/admin/myaccount/totp/confirm", data={"csrf_token": token, "code": totp.at(at)}
    )
    assert confirmed.status_code == 302
    return totp


def test_an_administrator_who_must_use_two_step_login_sees_nothing_else_until_it_is_on(
    app: Flask, client: FlaskClient, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    _require_totp_of(app, monkeypatch, Role.ADMIN)
    login(client, users["admin"])
    token = page_token(client, "/admin/myaccount/")
    issue = client.post("/admin/myaccount/tokens", data={"csrf_token": token, "days": "30"})
    for kept in (
        client.get("/admin/"),
        client.get("/admin/case/"),
        client.get("/admin/user/"),
        issue,
    ):
        assert kept.status_code == 302, kept.request.path
        assert kept.headers["Location"].endswith("/admin/myaccount/#totp"), kept.request.path
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    assert (
        escape(translated(app, "Your role must use two-step login: set it up here to go on."))
        in page
    )
    assert escape(translated(app, "Required for your role: once on, it stays on.")) in page

    _enrol(client, clock.now())

    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/case/").status_code == 200
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    assert "/admin/myaccount/totp/disable" not in page  # it stays on


def test_roles_that_need_not_use_two_step_login_are_not_kept_back(
    app: Flask, client: FlaskClient, users: dict[str, User], monkeypatch: pytest.MonkeyPatch
) -> None:
    _require_totp_of(app, monkeypatch, Role.ADMIN)
    login(client, users["manager"])
    assert client.get("/admin/").status_code == 200
    login(client, users["caseworker"])
    assert client.get("/admin/case/").status_code == 200


def test_a_role_that_must_use_two_step_login_cannot_turn_it_off(
    app: Flask,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    manager = users["manager"]
    login(client, manager)
    _enrol(client, clock.now())
    _require_totp_of(app, monkeypatch, Role.MANAGER)
    token = page_token(client, "/admin/myaccount/")
    refused = client.post(
        "/admin/myaccount/totp/disable",
        data={"csrf_token": token, "password": factories.PASSWORD},
    )
    assert escape(
        translated(app, "Your role must use two-step login: it cannot be turned off.")
    ) in refused.get_data(as_text=True)
    session.expire_all()
    assert totp_enabled(session.get_one(User, manager.id))


def test_the_api_refuses_a_token_until_its_user_has_set_up_the_required_two_step_login(
    app: Flask,
    client: FlaskClient,
    session: Session,
    users: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    admin = users["admin"]
    headers = {"Authorization": f"Bearer {issue_token(session, admin, label='script')}"}
    session.flush()
    assert client.get("/api/v1/persons", headers=headers).status_code == 200
    _require_totp_of(app, monkeypatch, Role.ADMIN)
    refused = client.get("/api/v1/persons", headers=headers)
    assert refused.status_code == 403
    assert refused.get_json()["error"]["message"] == translated(
        app, "Your role must use two-step login: set it up on your account page first."
    )
    login(client, admin)
    _enrol(client, clock.now())
    assert client.get("/api/v1/persons", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("text", "roles"),
    [
        ("", set()),
        ("admin", {Role.ADMIN}),
        (" Admin , manager,", {Role.ADMIN, Role.MANAGER}),
    ],
)
def test_the_roles_that_must_use_two_step_login_are_read_from_a_list_of_names(
    text: str, roles: set[Role]
) -> None:
    assert totp_roles_from(text) == roles


@pytest.mark.parametrize("text", ["caseworker", "admin,auditor", "administrator"])
def test_a_role_that_cannot_use_two_step_login_is_refused_with_the_allowed_names(
    text: str,
) -> None:
    with pytest.raises(ValueError, match=r"allowed: admin, manager"):
        totp_roles_from(text)


def _production_setting(**env: str) -> str:
    return production_setting("TOTP_REQUIRED_ROLES", **env)


def test_production_requires_two_step_login_of_administrators_and_managers_unless_told() -> None:
    assert totp_roles_from(_production_setting()) == {Role.ADMIN, Role.MANAGER}
    assert _production_setting(BERDAYA_TOTP_REQUIRED_ROLES="admin") == "admin"
    assert DevConfig.TOTP_REQUIRED_ROLES == ""  # the demo's accounts are tried out


def test_an_unknown_role_in_the_setting_stops_the_app_with_a_clear_error() -> None:
    bare = Flask("totp-setting")
    bare.config["TOTP_REQUIRED_ROLES"] = "finance"
    with pytest.raises(RuntimeError, match="BERDAYA_TOTP_REQUIRED_ROLES: not roles that use"):
        init_auth(bare)


def test_a_second_factor_that_is_on_cannot_be_started_over_without_the_password(
    app: Flask, client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    manager = users["manager"]
    login(client, manager)
    totp = _enrol(client, clock.now())
    session.expire_all()
    secret = session.get_one(User, manager.id).totp_secret
    token = page_token(client, "/admin/myaccount/")
    client.post("/admin/myaccount/totp/start", data={"csrf_token": token})
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    assert escape(translated(app, "Two-step login is already on.")) in page
    session.expire_all()
    kept = session.get_one(User, manager.id)
    assert totp_enabled(kept) and kept.totp_secret == secret == totp.secret


def test_the_operator_turns_off_a_lost_second_factor_from_the_command_line(
    app: Flask, session: Session, users: dict[str, User]
) -> None:
    manager = users["manager"]
    confirm_totp(session, manager, pyotp.TOTP(begin_totp(session, manager)).now())
    session.flush()
    assert totp_enabled(manager)
    result = app.test_cli_runner().invoke(args=["users", "reset-totp", manager.username])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert not totp_enabled(session.get_one(User, manager.id))
    actions = session.scalars(
        select(AuditEntry.action).where(
            AuditEntry.entity_type == "users", AuditEntry.entity_id == str(manager.id)
        )
    ).all()
    assert "totp.reset" in actions
    unknown = app.test_cli_runner().invoke(args=["users", "reset-totp", "nobody-here"])
    assert unknown.exit_code != 0 and "no user nobody-here" in unknown.output


# --- API tokens ------------------------------------------------------------------------------


def test_a_revoked_token_is_refused_by_the_api(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    user = users["caseworker"]
    raw = issue_token(session, user, label="laptop")
    session.flush()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/persons", headers=headers).status_code == 200

    login(client, user)
    page = client.get("/admin/myaccount/").get_data(as_text=True)
    token_id = session.scalars(select(ApiToken.id).where(ApiToken.user_id == user.id)).one()
    assert f'data-token-id="{token_id}"' in page
    revoked = client.post(
        f"/admin/myaccount/tokens/{token_id}/revoke", data={"csrf_token": csrf_token(page)}
    )
    assert revoked.status_code == 302

    assert client.get("/api/v1/persons", headers=headers).status_code == 401


def test_nobody_revokes_someone_elses_token(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    issue_token(session, users["verifier"], label="theirs")
    session.flush()
    theirs = session.scalars(select(ApiToken).where(ApiToken.user_id == users["verifier"].id)).one()
    login(client, users["caseworker"])
    token = page_token(client, "/admin/myaccount/")
    client.post(f"/admin/myaccount/tokens/{theirs.id}/revoke", data={"csrf_token": token})
    session.expire_all()
    assert session.get(ApiToken, theirs.id).revoked_at is None


def test_an_expired_token_is_refused_by_the_api(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    raw = issue_token(session, users["verifier"], days=1)
    session.flush()
    headers = {"Authorization": f"Bearer {raw}"}
    assert client.get("/api/v1/persons", headers=headers).status_code == 200
    with clock.frozen(clock.now() + timedelta(days=1, seconds=1)):
        assert client.get("/api/v1/persons", headers=headers).status_code == 401


def test_a_new_token_is_shown_once_and_stored_hashed(
    client: FlaskClient, session: Session, users: dict[str, User]
) -> None:
    login(client, users["finance"])
    token = page_token(client, "/admin/myaccount/")
    page = client.post(
        "/admin/myaccount/tokens", data={"csrf_token": token, "label": "bank", "days": "30"}
    ).get_data(as_text=True)
    raw = re.search(r"<code>(bdy_[^<]+)</code>", page).group(1)
    stored = session.scalars(select(ApiToken).where(ApiToken.user_id == users["finance"].id)).one()
    assert raw not in stored.token_hash
    assert raw not in client.get("/admin/myaccount/").get_data(as_text=True)
    assert (
        client.get("/api/v1/persons", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    )


def test_users_in_every_role_may_open_their_account_page(
    client: FlaskClient, users: dict[str, User]
) -> None:
    for role in Role:
        with client.session_transaction() as browser:
            browser.clear()
        login(client, users[role.value])
        assert client.get("/admin/myaccount/").status_code == 200, role
