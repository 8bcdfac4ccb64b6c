"""schemathesis against /api/v1/openapi.json: every operation, every built-in check
(server errors, status codes, content types, headers, response schemas, positive and
negative data, missing auth, unsupported methods), with a bounded number of examples.

Requests go through the WSGI app on the security module's world (one connection whose
transaction is rolled back when the module ends), authenticated with real API tokens of a
region-bound manager and caseworker: together they may call nearly every operation.

schemathesis' own pytest integration (``schema.parametrize()``) does not run under
pytest 9 (it reads ``request.node._nodeid``), so each operation is driven with its
Hypothesis strategy here and every failure is collected before the test fails.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation

from casework.models import Role
from tests.security.conftest import World

EXAMPLES = 6

FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
    database=None,
)


# The schemas leave domain rules (required fields with their own translated messages, NIK
# checks, references to existing records) to the services, which answer 422 field by
# field: schema-valid data may get that answer, and rejections_name_their_fields checks it.
CONFIG = schemathesis.Config.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422"],
            },
        },
    }
)


@pytest.fixture(scope="module")
def api_schema(app: Flask, world: World) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app, config=CONFIG)


def rejections_name_their_fields(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """A 422 says which fields are wrong and why, in words (never an empty error)."""
    if response.status_code != 422:
        return None
    error = response.json()["error"]
    assert error["message"], "a 422 without a message"
    fields = error.get("fields") or {}
    assert fields, f"a 422 that names no field: {error}"
    for name, messages in fields.items():
        assert messages and all(isinstance(m, str) and m for m in messages), (name, messages)
    return True


def _authenticate(case: schemathesis.Case, token: str) -> None:
    """Put the real token where the generated case has a well-formed Authorization header.

    A negative case that dropped or mangled the header keeps it so (the API must answer
    401); every other case carries the user's real token.
    """
    meta = case.meta
    header_mode = meta.components.get(ParameterLocation.HEADER) if meta else None
    if header_mode is not None and header_mode.mode.is_negative:
        return
    if "Authorization" in case.headers:
        case.headers["Authorization"] = f"Bearer {token}"


def _fuzz_operation(operation: Any, mode: GenerationMode, token: str) -> None:
    @FUZZ_SETTINGS
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        _authenticate(case, token)
        case.call_and_validate(additional_checks=[rejections_name_their_fields])

    run()


def _failures(api_schema: Any, token: str) -> list[str]:
    found: list[str] = []
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _fuzz_operation(operation, mode, token)
            except (Exception, BaseExceptionGroup) as error:  # every failure is reported
                found.append(f"{operation.label} [{mode.value}]: {error}")
    return found


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CASEWORKER])
def test_no_request_gets_a_server_error_or_an_answer_outside_the_schema(
    api_schema: Any, world: World, role: Role
) -> None:
    failures = _failures(api_schema, world.tokens[role])
    assert not failures, "\n\n".join(failures)
