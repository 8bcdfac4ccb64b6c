"""Working days in Kalimantan Timur (casework.workdays): weekends and national holidays off."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from casework.clock import WITA
from casework.workdays import add_working_days, end_of_day_wita, is_working_day


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 27), True),  # Friday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 8, 17), False),  # Monday, Hari Kemerdekaan
        (date(2026, 8, 18), True),
        (date(2026, 12, 25), False),  # Friday, Christmas
        (date(2026, 1, 1), False),  # Thursday, New Year
        (date(2026, 5, 1), False),  # Friday, Labour Day
        (date(2026, 6, 1), False),  # Monday, Pancasila Day
    ],
)
def test_weekends_and_national_holidays_are_not_working_days(day, working):
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2026, 11, 27), 0, date(2026, 11, 27)),  # nothing to add
        (date(2026, 11, 26), 1, date(2026, 11, 27)),  # Thursday -> Friday
        (date(2026, 11, 27), 1, date(2026, 11, 30)),  # Friday -> over the weekend -> Monday
        (date(2026, 11, 28), 1, date(2026, 11, 30)),  # from a Saturday
        (date(2026, 8, 14), 1, date(2026, 8, 18)),  # Friday -> weekend and 17 August
        (date(2026, 8, 14), 5, date(2026, 8, 24)),  # Tue 18 .. Fri 21, Mon 24
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # Christmas Friday and the weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # across the year and New Year
        (date(2025, 8, 15), 1, date(2025, 8, 18)),  # 17 August 2025 fell on a Sunday
    ],
)
def test_adding_working_days_skips_weekends_and_holidays(start, days, expected):
    assert add_working_days(start, days) == expected


@pytest.mark.parametrize("start", [date(2026, 1, 1) + timedelta(days=n) for n in range(0, 365, 7)])
def test_ten_working_days_never_land_on_a_day_off_and_take_at_least_two_weeks(start):
    result = add_working_days(start, 10)

    assert is_working_day(result)
    assert (result - start).days >= 14


def test_a_negative_number_of_days_is_a_programming_error():
    with pytest.raises(ValueError):
        add_working_days(date(2026, 11, 27), -1)


def test_the_end_of_a_day_is_its_last_second_in_wita_which_is_15_59_59_utc():
    end = end_of_day_wita(date(2026, 8, 24))

    assert end == datetime(2026, 8, 24, 23, 59, 59, tzinfo=WITA)
    assert end.astimezone(UTC) == datetime(2026, 8, 24, 15, 59, 59, tzinfo=UTC)
