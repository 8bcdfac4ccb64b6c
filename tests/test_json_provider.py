"""JSON responses through orjson (web/json_provider.py) say what Flask's own encoder says."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup

from web.json_provider import OrjsonProvider


def _apps() -> tuple[Flask, Flask]:
    ours, flasks = Flask("ours"), Flask("flasks")
    ours.json = OrjsonProvider(ours)
    flasks.json = DefaultJSONProvider(flasks)
    return ours, flasks


OURS, FLASKS = _apps()


@dataclass
class Point:
    x: int
    label: str


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # beyond 64 bits: the fallback
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.dates(),
    st.datetimes(timezones=st.just(UTC)),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.uuids(),
    st.builds(Point, st.integers(-1000, 1000), st.text(max_size=5)),
    st.builds(Markup, st.text(max_size=10)),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.dictionaries(st.integers(-50, 50), inner, max_size=4),  # Flask writes "7": ...
    ),
    max_leaves=20,
)


def _body(app: Flask, value: Any) -> tuple[str, str]:
    with app.app_context():
        response = app.json.response(value)
        return response.get_data(as_text=True), response.mimetype


@given(documents)
def test_a_response_reads_back_as_the_same_value_as_flasks_own(value: Any) -> None:
    ours, mimetype = _body(OURS, value)
    theirs, _ = _body(FLASKS, value)
    assert mimetype == "application/json"
    assert ours.endswith("\n")
    assert json.loads(ours) == json.loads(theirs)


@given(st.dictionaries(st.text(max_size=6), st.integers(), max_size=6))
def test_keys_come_sorted_as_flask_sorts_them(value: dict[str, int]) -> None:
    ours, _ = _body(OURS, value)
    assert list(json.loads(ours)) == sorted(value)


def test_dates_decimals_and_uuids_are_written_as_flask_writes_them() -> None:
    value = {
        "on": date(2026, 11, 27),
        "at": datetime(2026, 11, 27, 8, 30, tzinfo=UTC),
        "amount": Decimal("5000000.00"),
        "code": uuid.UUID(int=7),
        "html": Markup("<b>ok</b>"),
    }
    assert json.loads(_body(OURS, value)[0]) == {
        "amount": "5000000.00",
        "at": "Fri, 27 Nov 2026 08:30:00 GMT",
        "code": "00000000-0000-0000-0000-000000000007",
        "html": "<b>ok</b>",
        "on": "Fri, 27 Nov 2026 00:00:00 GMT",
    }


def test_text_is_written_as_utf8_and_read_back_unchanged() -> None:
    body, _ = _body(OURS, {"name": "Siti Aminah — Kota Bangun"})
    assert "Siti Aminah — Kota Bangun" in body
    assert json.loads(body) == {"name": "Siti Aminah — Kota Bangun"}


def test_debug_responses_stay_indented_and_options_go_to_the_standard_encoder() -> None:
    app = Flask("debugging")
    app.json = OrjsonProvider(app)
    app.debug = True
    with app.app_context():
        assert "\n  " in app.json.response({"a": 1, "b": [1, 2]}).get_data(as_text=True)
        assert app.json.dumps({"b": 1, "a": 2}, indent=4) == '{\n    "a": 2,\n    "b": 1\n}'


def test_what_neither_encoder_can_write_raises_as_flask_raises() -> None:
    with OURS.app_context():
        try:
            OURS.json.dumps({"x": object()})
        except TypeError as error:
            assert "not JSON serializable" in str(error)
        else:
            raise AssertionError("an object JSON has no type for was written")


def test_the_application_writes_its_json_with_orjson(app: Flask) -> None:
    assert isinstance(app.json, OrjsonProvider)
