"""Bearer tokens: what the API answers without one, with a bad one, and with a good one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from casework import clock
from casework.models import ApiToken
from casework.services.users import issue_token, revoke_tokens


def _assert_unauthorized(response):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    error = response.get_json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"]


def test_request_without_a_token_is_refused_with_401(client, users):
    _assert_unauthorized(client.get("/api/v1/programs"))


def test_unknown_token_and_other_schemes_are_refused_with_401(client, users):
    _assert_unauthorized(
        client.get("/api/v1/programs", headers={"Authorization": "Bearer bdy_not-a-token"})
    )
    _assert_unauthorized(
        client.get("/api/v1/programs", headers={"Authorization": "Basic dXNlcjpwdw=="})
    )


def test_revoked_token_is_refused_with_401(client, session, users):
    raw = issue_token(session, users["caseworker"])
    revoke_tokens(session, users["caseworker"])
    session.flush()

    _assert_unauthorized(client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}))


def test_expired_token_is_refused_with_401(client, session, users):
    raw = issue_token(session, users["caseworker"], days=1)

    with clock.frozen(clock.now() + timedelta(days=2)):
        response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"})

    _assert_unauthorized(response)


def test_token_of_a_deactivated_user_is_refused_with_401(client, session, users):
    raw = issue_token(session, users["caseworker"])
    users["caseworker"].active = False
    session.flush()

    _assert_unauthorized(client.get("/api/v1/cases", headers={"Authorization": f"Bearer {raw}"}))


def test_401_message_is_indonesian_by_default_and_english_on_request(client, indonesian):
    indonesian_body = client.get("/api/v1/cases").get_json()
    english_body = client.get("/api/v1/cases", headers={"Accept-Language": "en"}).get_json()

    assert indonesian_body["error"]["message"] == "Silakan masuk atau berikan token yang sah."
    assert english_body["error"]["message"] == "Please log in or give a valid token."


def test_a_used_token_keeps_the_time_of_its_last_use(client, session, users):
    raw = issue_token(session, users["caseworker"])

    response = client.get("/api/v1/programs", headers={"Authorization": f"Bearer {raw}"})

    assert response.status_code == 200
    session.expire_all()
    token = session.scalars(select(ApiToken).where(ApiToken.user_id == users["caseworker"].id))
    assert token.one().last_used_at is not None


def test_unknown_route_and_wrong_method_answer_in_the_error_shape(api_as):
    api = api_as("caseworker", language="en")

    missing = api.get("/no-such-thing")
    wrong_method = api.put("/cases")

    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["code"] == "method_not_allowed"
