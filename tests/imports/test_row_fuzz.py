"""Random cell values never crash the row parser: a row is either valid or has field errors."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from casework.importing.columns import columns_for
from casework.importing.rows import RowContext, parse_row
from casework.models.program import ApplicantKind
from tests.imports.sheets import person_cells

CELLS = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.text(alphabet="0123456789 .-", max_size=20),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
    st.sampled_from(["L", "P", "ketua", "anggota", "menjahit", "64.02.08.2007", "Y", "T"]),
)
KEYS = [c.key for c in columns_for(ApplicantKind.GROUP)]


def context(is_group: bool) -> RowContext:
    return RowContext(
        villages={"64.02.08.2007": "64.02", "64.72.01.1001": "64.72"},
        business_types={"menjahit": 1},
        unit_value=5_000_000,
        today=date(2026, 6, 1),
        region_code="64.02",
        is_group=is_group,
        min_age=18,
        max_age=59,
        required_sex="P",
        program_code="WRSE",
    )


@settings(max_examples=300, deadline=None, derandomize=True)
@given(cells=st.fixed_dictionaries({}, optional={k: CELLS for k in KEYS}), group=st.booleans())
def test_random_cells_give_a_valid_row_or_field_errors(cells, group):
    parsed = parse_row(7, cells, context(group))
    assert parsed.row == 7
    if parsed.valid:
        assert parsed.values is not None
    else:
        assert parsed.values is None and parsed.errors.fields
        known = set(KEYS)
        assert set(parsed.errors.fields) <= known
        for messages in parsed.errors.fields.values():
            assert all(m.render() for m in messages)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    key=st.sampled_from(KEYS[2:]),
    value=CELLS,
)
def test_one_random_cell_in_a_valid_row_breaks_at_most_that_row_cleanly(key, value):
    cells = person_cells(birth_date=date(1985, 6, 15)) | {key: value}
    parsed = parse_row(2, cells, context(False))
    assert parsed.valid or parsed.errors.fields


def test_cell_types_from_real_sheets_are_read_as_their_columns_mean():
    cells = person_cells(birth_date=datetime(1985, 6, 15, 0, 0)) | {
        "requested_amount": "Rp 4.500.000,00",
        "sex": "Perempuan",
        "marital_status": "Cerai mati",
        "is_breadwinner": True,
    }
    parsed = parse_row(2, cells, context(False))
    assert parsed.valid and parsed.values is not None
    assert parsed.values.requested_amount == 4_500_000
    assert parsed.values.person.birth_date == date(1985, 6, 15)
    assert (parsed.values.person.sex, parsed.values.person.marital_status) == ("P", "cerai_mati")
    assert parsed.values.person.is_breadwinner


def test_odd_cell_types_are_field_errors_not_crashes():
    cells = person_cells() | {"birth_date": time(8, 0), "requested_amount": timedelta(days=1)}
    parsed = parse_row(2, cells, context(False))
    assert set(parsed.errors.fields) == {"birth_date", "requested_amount"}
