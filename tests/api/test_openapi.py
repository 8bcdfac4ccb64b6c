"""The OpenAPI document is generated from the same schemas the endpoints validate with."""

from __future__ import annotations

import re

DOC_PATH = "/api/v1/openapi.json"


def _openapi_path(rule: str) -> str:
    """Flask's /cases/<int:case_id> as OpenAPI's /cases/{case_id}."""
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_document_is_json_with_the_bearer_scheme(client):
    response = client.get(DOC_PATH)

    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"] == "3.0.3"
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert doc["security"] == [{"bearerAuth": []}]


def test_every_api_route_and_method_appears_in_the_openapi_paths(app, client):
    paths = client.get(DOC_PATH).get_json()["paths"]
    routes = [
        rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.rule != DOC_PATH
    ]

    assert len(routes) > 20
    for rule in routes:
        path = _openapi_path(rule.rule)
        assert path in paths, path
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in paths[path], (method, path)


def test_errors_are_documented_in_the_shape_the_api_answers_with(client):
    doc = client.get(DOC_PATH).get_json()

    error = doc["components"]["schemas"]["Error"]
    body = doc["components"]["schemas"]["ErrorBody"]
    assert error["properties"]["error"]["$ref"].endswith("/ErrorBody")
    assert {"code", "message", "fields", "allowed_triggers"} <= set(body["properties"])


def test_person_output_schema_has_no_field_for_a_clear_nik_or_kk(client):
    person = client.get(DOC_PATH).get_json()["components"]["schemas"]["Person"]

    assert {"nik_masked", "kk_masked"} <= set(person["properties"])
    assert not {"nik", "kk_number"} & set(person["properties"])
