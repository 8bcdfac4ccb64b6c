"""Tests for casework.identity: NIK / No. KK rules from DOMAIN.md section 6."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

# Let the module run on its own (`pytest tests/casework/test_identity.py`) before the
# project config puts the repository root on sys.path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework import identity
from casework.errors import ValidationError
from casework.identity import (
    PROVINCE_CODES,
    NikInfo,
    age_on,
    build_nik,
    check_nik_matches,
    mask_number,
    normalize_number,
    parse_nik,
    validate_kk,
)

TODAY = date(2025, 6, 15)

# Kutai Kartanegara (64.02), Kec. Kota Bangun (64.02.08); born 15 May 1990; serial 3.
MAN_NIK = "6402081505900003"
WOMAN_NIK = "6402085505900003"  # same, but day 15 + 40

KALTIM_REGENCIES = frozenset(
    ["64.01", "64.02", "64.03", "64.07", "64.08", "64.09", "64.11", "64.71", "64.72", "64.74"]
)


def messages(exc: ValidationError, field: str) -> list[str]:
    """The message ids the error holds for ``field``."""
    return [m.message for m in exc.fields.get(field, [])]


def only_message(exc: ValidationError, field: str) -> tuple[str, dict[str, Any]]:
    """The single (message id, params) on ``field``, checking there is nothing else."""
    assert list(exc.fields) == [field]
    [msg] = exc.fields[field]
    return msg.message, msg.params


# --- Decoding valid NIKs ----------------------------------------------------------


def test_man_nik_decodes_region_birth_date_sex_and_serial() -> None:
    info = parse_nik(MAN_NIK, today=TODAY)
    assert info == NikInfo(
        nik=MAN_NIK,
        province_code="64",
        regency_code="64.02",
        district_code="64.02.08",
        birth_date=date(1990, 5, 15),
        sex="L",
        serial="0003",
        warnings=(),
    )


def test_woman_nik_day_is_offset_by_forty() -> None:
    info = parse_nik(WOMAN_NIK, today=TODAY)
    assert info.sex == "P"
    assert info.birth_date == date(1990, 5, 15)


@pytest.mark.parametrize(
    ("encoded_day", "sex", "day"),
    [
        ("01", "L", 1),
        ("31", "L", 31),
        ("41", "P", 1),
        ("71", "P", 31),
    ],
    ids=[
        "day 01 is the first of the month for a man",
        "day 31 is the last of the month for a man",
        "day 41 is the first of the month for a woman",
        "day 71 is the last of the month for a woman",
    ],
)
def test_day_boundaries_decode_sex_and_day(encoded_day: str, sex: str, day: int) -> None:
    info = parse_nik(f"640208{encoded_day}0190" + "0001", today=TODAY)
    assert (info.sex, info.birth_date) == (sex, date(1990, 1, day))


@pytest.mark.parametrize(
    "raw",
    [
        "6402081505900003",
        "64.02.08 150590 0003",
        "6402-0815-0590-0003",
        "  6402 0815 0590 0003\t",
        "64.02.08-150590-0003",
        "6402\u20130815\u20130590\u20130003",
    ],
    ids=[
        "plain digits are accepted",
        "dots and spaces between the parts are ignored",
        "dashes between groups are ignored",
        "surrounding whitespace and tabs are ignored",
        "dots and dashes together are ignored",
        "typographic en-dashes pasted from a document are ignored",
    ],
)
def test_separators_are_stripped_before_validation(raw: str) -> None:
    assert parse_nik(raw, today=TODAY).nik == MAN_NIK


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("64.02.08 150590-0003", "6402081505900003"),
        ("", ""),
        ("abc 1.2-3", "abc123"),
    ],
    ids=[
        "spaces dots and dashes are removed",
        "an empty string stays empty",
        "letters are kept so that validators can reject them",
    ],
)
def test_normalize_number_removes_only_separators(raw: str, expected: str) -> None:
    assert normalize_number(raw) == expected


def test_there_are_thirty_eight_province_codes_including_kaltim_and_kaltara() -> None:
    assert len(PROVINCE_CODES) == 38
    assert {"64", "65", "11", "21", "96"} <= PROVINCE_CODES
    assert all(len(code) == 2 and code.isdigit() for code in PROVINCE_CODES)


# --- Rejecting invalid NIKs ---------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "message", "params"),
    [
        ("640208150590003", identity.MSG_NIK_LENGTH, {"count": 15}),
        ("64020815059000031", identity.MSG_NIK_LENGTH, {"count": 17}),
        ("", identity.MSG_NIK_LENGTH, {"count": 0}),
        (" . - ", identity.MSG_NIK_LENGTH, {"count": 0}),
        ("640208150590000O", identity.MSG_NIK_NOT_DIGITS, {}),
        ("6402081505900003x", identity.MSG_NIK_NOT_DIGITS, {}),
        ("640208150590000\u0663", identity.MSG_NIK_NOT_DIGITS, {}),
        ("6602081505900003", identity.MSG_NIK_PROVINCE, {"code": "66"}),
        ("0002081505900003", identity.MSG_NIK_PROVINCE, {"code": "00"}),
        ("2002081505900003", identity.MSG_NIK_PROVINCE, {"code": "20"}),
        ("6402080005900003", identity.MSG_NIK_DAY, {"day": "00"}),
        ("6402083205900003", identity.MSG_NIK_DAY, {"day": "32"}),
        ("6402084005900003", identity.MSG_NIK_DAY, {"day": "40"}),
        ("6402087205900003", identity.MSG_NIK_DAY, {"day": "72"}),
        ("6402081513900003", identity.MSG_NIK_MONTH, {"month": "13"}),
        ("6402081500900003", identity.MSG_NIK_MONTH, {"month": "00"}),
        ("6402083002900003", identity.MSG_NIK_DATE, {"day": "30", "month": "02", "year": "90"}),
        ("6402087002900003", identity.MSG_NIK_DATE, {"day": "30", "month": "02", "year": "90"}),
        ("6402083104900003", identity.MSG_NIK_DATE, {"day": "31", "month": "04", "year": "90"}),
        ("6402082902010003", identity.MSG_NIK_DATE, {"day": "29", "month": "02", "year": "01"}),
        ("6402081505900000", identity.MSG_NIK_SERIAL, {}),
    ],
    ids=[
        "fifteen digits are too few",
        "seventeen digits are too many",
        "an empty NIK has no digits",
        "separators alone leave no digits",
        "a letter O instead of a zero is not a digit",
        "a trailing letter is not a digit",
        "an Arabic-Indic digit is not accepted",
        "province 66 does not exist",
        "province 00 does not exist",
        "province 20 does not exist",
        "day 00 is not a day",
        "day 32 is past the end of a man's month",
        "day 40 is between the man and woman ranges",
        "day 72 is past the end of a woman's month",
        "month 13 does not exist",
        "month 00 does not exist",
        "the thirtieth of February does not exist for a man",
        "the thirtieth of February does not exist for a woman",
        "the thirty-first of April does not exist",
        "the twenty-ninth of February does not exist in 1901 or 2001",
        "serial 0000 is never issued",
    ],
)
def test_invalid_nik_is_rejected_with_a_specific_message(
    raw: str, message: str, params: dict[str, Any]
) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_nik(raw, today=TODAY)
    assert only_message(caught.value, "nik") == (message, params)


def test_errors_go_on_the_field_the_caller_names() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_nik("123", field="members-0-nik", today=TODAY)
    assert messages(caught.value, "members-0-nik") == [identity.MSG_NIK_LENGTH]


def test_error_messages_render_with_their_parameters() -> None:
    with pytest.raises(ValidationError) as caught:
        parse_nik("6402083205900003", today=TODAY)
    assert caught.value.render_fields() == {
        "nik": [
            "The birth day in the NIK (32) is not valid: it must be 01-31, or 41-71 for a woman."
        ]
    }


# --- Century and future dates -----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "today", "expected"),
    [
        ("6402081505050003", TODAY, date(2005, 5, 15)),
        ("6402081505300003", TODAY, date(1930, 5, 15)),
        ("6402081506250003", TODAY, date(2025, 6, 15)),
        ("6402081606250003", TODAY, date(1925, 6, 16)),
        ("6402082902000003", TODAY, date(2000, 2, 29)),
        ("6402081505050003", date(2004, 1, 1), date(1905, 5, 15)),
    ],
    ids=[
        "a 20YY date already past is read as 2000s",
        "a 20YY date still to come is read as 1900s",
        "a baby born today is read as 2000s",
        "a date one day after today is read as 1900s",
        "29 February 2000 exists and is read as 2000",
        "the century depends on the given today",
    ],
)
def test_century_is_20yy_when_that_date_is_not_after_today(
    raw: str, today: date, expected: date
) -> None:
    assert parse_nik(raw, today=today).birth_date == expected


@pytest.mark.parametrize(
    ("raw", "today", "shown"),
    [
        ("6402082902000003", date(2000, 1, 15), "29-02-2000"),
        ("6402081505950003", date(1990, 1, 1), "15-05-1995"),
    ],
    ids=[
        "29 February 2000 before it happened when 1900 had no 29 February",
        "a 95 year when today is 1990 is in the future in both centuries",
    ],
)
def test_birth_date_in_the_future_is_rejected(raw: str, today: date, shown: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_nik(raw, today=today)
    assert only_message(caught.value, "nik") == (identity.MSG_NIK_FUTURE, {"date": shown})


def test_today_defaults_to_the_current_date() -> None:
    assert parse_nik(MAN_NIK).birth_date == date(1990, 5, 15)


# --- Regency warnings -------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "known", "warnings"),
    [
        (MAN_NIK, KALTIM_REGENCIES, ()),
        ("6405081505900003", KALTIM_REGENCIES, (identity.MSG_NIK_REGENCY_UNKNOWN,)),
        ("3171081505900003", KALTIM_REGENCIES, (identity.MSG_NIK_REGENCY_UNKNOWN,)),
        ("6405081505900003", None, ()),
        (MAN_NIK, frozenset(["6402"]), ()),
    ],
    ids=[
        "a known Kaltim regency gives no warning",
        "an unknown Kaltim regency gives a warning",
        "a Jakarta NIK against the Kaltim list gives a warning",
        "without a list of regencies nothing is checked",
        "an undotted regency code in the list also matches",
    ],
)
def test_unknown_regency_gives_a_warning_not_an_error(
    raw: str, known: frozenset[str] | None, warnings: tuple[str, ...]
) -> None:
    info = parse_nik(raw, known_regencies=known, today=TODAY)
    assert info.warnings == warnings
    assert info.nik == raw


# --- Cross-checks with the form ---------------------------------------------------


@pytest.mark.parametrize(
    ("nik", "sex", "birth_date"),
    [
        (MAN_NIK, "L", date(1990, 5, 15)),
        (WOMAN_NIK, "P", date(1990, 5, 15)),
        (WOMAN_NIK, " p ", None),
        (MAN_NIK, None, date(1990, 5, 15)),
        (MAN_NIK, None, None),
    ],
    ids=[
        "a man whose form agrees passes",
        "a woman whose form agrees passes",
        "sex is compared ignoring case and spaces",
        "an unknown sex is not checked",
        "nothing to compare passes",
    ],
)
def test_matching_form_values_pass(nik: str, sex: str | None, birth_date: date | None) -> None:
    check_nik_matches(parse_nik(nik, today=TODAY), sex=sex, birth_date=birth_date)


@pytest.mark.parametrize(
    ("nik", "sex", "birth_date", "expected"),
    [
        (MAN_NIK, "P", None, {"sex": [identity.MSG_NIK_SAYS_MALE]}),
        (WOMAN_NIK, "L", None, {"sex": [identity.MSG_NIK_SAYS_FEMALE]}),
        (MAN_NIK, None, date(1990, 5, 16), {"birth_date": [identity.MSG_NIK_BIRTH_DATE]}),
        (
            WOMAN_NIK,
            "L",
            date(1991, 5, 15),
            {"sex": [identity.MSG_NIK_SAYS_FEMALE], "birth_date": [identity.MSG_NIK_BIRTH_DATE]},
        ),
    ],
    ids=[
        "a man's NIK with female on the form errs on sex",
        "a woman's NIK with male on the form errs on sex",
        "a different birth date errs on birth_date",
        "both disagreeing err on both fields at once",
    ],
)
def test_form_values_that_disagree_with_the_nik_err_on_their_own_fields(
    nik: str, sex: str | None, birth_date: date | None, expected: dict[str, list[str]]
) -> None:
    with pytest.raises(ValidationError) as caught:
        check_nik_matches(parse_nik(nik, today=TODAY), sex=sex, birth_date=birth_date)
    assert {name: messages(caught.value, name) for name in caught.value.fields} == expected


def test_birth_date_mismatch_message_says_what_the_nik_encodes() -> None:
    with pytest.raises(ValidationError) as caught:
        check_nik_matches(parse_nik(MAN_NIK, today=TODAY), sex=None, birth_date=date(1990, 5, 16))
    assert caught.value.render_fields() == {
        "birth_date": ["The NIK encodes the birth date 15-05-1990, but 16-05-1990 was entered."]
    }


def test_mismatches_of_a_member_row_go_on_that_rows_fields() -> None:
    info = parse_nik(WOMAN_NIK, field="members-2-nik", today=TODAY)
    with pytest.raises(ValidationError) as caught:
        check_nik_matches(info, sex="L", birth_date=date(2000, 1, 1), field="members-2-nik")
    assert set(caught.value.fields) == {"members-2-sex", "members-2-birth_date"}


# --- No. KK -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6402081203150007", "6402081203150007"),
        ("64.02.08 120315 0007", "6402081203150007"),
        ("6402-0000-0000-0000", "6402000000000000"),
    ],
    ids=[
        "a plain Kaltim KK number is accepted",
        "separators in a KK number are removed",
        "a KK number's date part is not decoded",
    ],
)
def test_valid_kk_number_is_returned_normalized(raw: str, expected: str) -> None:
    assert validate_kk(raw) == expected


@pytest.mark.parametrize(
    ("raw", "message", "params"),
    [
        ("640208120315000", identity.MSG_KK_LENGTH, {"count": 15}),
        ("64020812031500071", identity.MSG_KK_LENGTH, {"count": 17}),
        ("64020812031500O7", identity.MSG_KK_NOT_DIGITS, {}),
        ("9902081203150007", identity.MSG_KK_PROVINCE, {"code": "99"}),
    ],
    ids=[
        "a fifteen-digit KK number is too short",
        "a seventeen-digit KK number is too long",
        "a KK number with a letter is rejected",
        "a KK number from an unknown province is rejected",
    ],
)
def test_invalid_kk_number_is_rejected(raw: str, message: str, params: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_kk(raw)
    assert only_message(caught.value, "kk_number") == (message, params)


def test_kk_errors_go_on_the_field_the_caller_names() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_kk("1", field="family_card")
    assert messages(caught.value, "family_card") == [identity.MSG_KK_LENGTH]


# --- Masking ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (MAN_NIK, "6402********0003"),
        ("6402081203150007", "6402********0007"),
        ("64.02.08150590.0003", "64.0***********0003"),
        (None, ""),
        ("", ""),
        ("12345678", "********"),
        ("640208150590003", "*" * 15),
    ],
    ids=[
        "a NIK keeps its first four and last four digits and hides the birth date",
        "a KK number is masked the same way",
        "a formatted number is masked character by character",
        "nothing gives an empty string",
        "an empty string gives an empty string",
        "a short value is hidden entirely",
        "a fifteen-digit typo is hidden entirely",
    ],
)
def test_mask_number_hides_the_middle(value: str | None, expected: str) -> None:
    assert mask_number(value) == expected


# --- build_nik and age_on ---------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"district_code": "64.02.08", "birth_date": date(1990, 5, 15), "sex": "L", "serial": 3},
            MAN_NIK,
        ),
        (
            {"district_code": "640208", "birth_date": date(1990, 5, 15), "sex": "P", "serial": 3},
            WOMAN_NIK,
        ),
        (
            {
                "district_code": "64.72.01",
                "birth_date": date(2003, 1, 9),
                "sex": "P",
                "serial": 9999,
            },
            "6472014901039999",
        ),
    ],
    ids=[
        "a man's NIK is built from dotted codes",
        "a woman's NIK is built with day plus forty",
        "the year keeps its leading zero and the serial fills four digits",
    ],
)
def test_build_nik_composes_the_parts(kwargs: dict[str, Any], expected: str) -> None:
    assert build_nik(**kwargs) == expected


@pytest.mark.parametrize(
    "kwargs",
    [
        {"district_code": "64.02", "birth_date": date(1990, 5, 15), "sex": "L", "serial": 1},
        {"district_code": "64.02.0x", "birth_date": date(1990, 5, 15), "sex": "L", "serial": 1},
        {"district_code": "64.02.08", "birth_date": date(1990, 5, 15), "sex": "M", "serial": 1},
        {"district_code": "64.02.08", "birth_date": date(1990, 5, 15), "sex": "L", "serial": 0},
        {"district_code": "64.02.08", "birth_date": date(1990, 5, 15), "sex": "L", "serial": 10000},
    ],
    ids=[
        "a regency code is not a district code",
        "a district code with a letter is refused",
        "sex must be L or P",
        "serial zero is refused",
        "a five-digit serial is refused",
    ],
)
def test_build_nik_refuses_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        build_nik(**kwargs)


@pytest.mark.parametrize(
    ("birth", "on", "age"),
    [
        (date(1990, 5, 15), date(2025, 5, 14), 34),
        (date(1990, 5, 15), date(2025, 5, 15), 35),
        (date(2000, 2, 29), date(2023, 2, 28), 22),
        (date(2000, 2, 29), date(2023, 3, 1), 23),
        (date(2000, 2, 29), date(2024, 2, 29), 24),
        (date(2025, 6, 15), date(2025, 6, 15), 0),
    ],
    ids=[
        "the day before the birthday the age is still one less",
        "on the birthday the age goes up",
        "a leap-day baby is not older on 28 February of a common year",
        "a leap-day baby is older on 1 March of a common year",
        "a leap-day baby is older on 29 February of a leap year",
        "a baby is zero on the day of birth",
    ],
)
def test_age_counts_full_years(birth: date, on: date, age: int) -> None:
    assert age_on(birth, on) == age


def test_age_before_birth_is_refused() -> None:
    with pytest.raises(ValueError):
        age_on(date(2000, 1, 2), date(2000, 1, 1))


# --- Properties -------------------------------------------------------------------

# Birth dates whose century parse_nik can recover: the last hundred years up to TODAY.
recoverable_birth_dates = st.dates(
    min_value=TODAY.replace(year=TODAY.year - 100) + timedelta(days=1), max_value=TODAY
)
district_codes = st.builds(
    lambda province, regency, district: f"{province}.{regency:02d}.{district:02d}",
    st.sampled_from(sorted(PROVINCE_CODES)),
    st.integers(min_value=0, max_value=99),
    st.integers(min_value=0, max_value=99),
)


@given(
    district_code=district_codes,
    birth_date=recoverable_birth_dates,
    sex=st.sampled_from(["L", "P"]),
    serial=st.integers(min_value=1, max_value=9999),
)
def test_a_built_nik_parses_back_to_its_parts(
    district_code: str, birth_date: date, sex: str, serial: int
) -> None:
    nik = build_nik(district_code=district_code, birth_date=birth_date, sex=sex, serial=serial)
    info = parse_nik(nik, today=TODAY)
    assert (info.district_code, info.birth_date, info.sex, info.serial) == (
        district_code,
        birth_date,
        sex,
        f"{serial:04d}",
    )
    assert info.nik == nik
    assert info.regency_code == district_code[:5]
    assert info.province_code == district_code[:2]
    check_nik_matches(info, sex=sex, birth_date=birth_date)


nik_like_text = st.one_of(
    st.text(),
    st.from_regex(r"[0-9 .\-]{0,24}", fullmatch=True),
    st.from_regex(r"(6[0-9]|[0-9]{2})[0-9]{4}[0-7][0-9][01][0-9][0-9]{2}[0-9]{4}", fullmatch=True),
)


@given(raw=nik_like_text, today=st.dates())
def test_parse_nik_returns_sixteen_digits_or_raises_validation_error(raw: str, today: date) -> None:
    try:
        info = parse_nik(raw, today=today)
    except ValidationError as exc:
        assert list(exc.fields) == ["nik"]
        assert exc.render_fields()["nik"]  # every message renders with its parameters
    else:
        assert len(info.nik) == 16
        assert all(ch in "0123456789" for ch in info.nik)
        assert info.birth_date <= today


@given(raw=nik_like_text)
def test_validate_kk_returns_sixteen_digits_or_raises_validation_error(raw: str) -> None:
    try:
        kk = validate_kk(raw)
    except ValidationError as exc:
        assert list(exc.fields) == ["kk_number"]
    else:
        assert len(kk) == 16
        assert all(ch in "0123456789" for ch in kk)


@given(value=st.one_of(st.text(min_size=1), st.from_regex(r"[0-9]{16}", fullmatch=True)))
def test_mask_number_never_reveals_the_middle_and_keeps_length(value: str) -> None:
    masked = mask_number(value)
    assert len(masked) == len(value)
    assert set(masked[4:-4]) <= {"*"}
    assert sum(ch != "*" for ch in masked) <= len(value) // 2  # at least half hidden
    for i, ch in enumerate(masked):
        assert ch in ("*", value[i])
