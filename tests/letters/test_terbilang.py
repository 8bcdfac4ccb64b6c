"""Amounts in words: known examples and a property (words parse back to the number)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from casework.letters.terbilang import LIMIT, rupiah_in_words, terbilang

_UNITS = {"satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
          "delapan": 8, "sembilan": 9}  # fmt: skip
_SCALES = {"ribu": 10**3, "juta": 10**6, "miliar": 10**9, "triliun": 10**12}


def parse(words: str) -> int:
    """An independent reading of Indonesian number words, for the round-trip property."""
    total, group, current = 0, 0, 0
    for word in words.split():
        if word == "nol":
            continue
        if word in _UNITS:
            current += _UNITS[word]
        elif word == "sepuluh":
            current += 10
        elif word == "sebelas":
            current += 11
        elif word == "belas":
            current += 10
        elif word == "puluh":
            current *= 10
        elif word == "seratus":
            group += 100
        elif word == "ratus":
            group += current * 100
            current = 0
        elif word == "seribu":
            total += 1000
        elif word in _SCALES:
            total += (group + current) * _SCALES[word]
            group = current = 0
        else:
            raise AssertionError(f"unexpected word {word!r}")
        if word == "puluh":
            group += current
            current = 0
    return total + group + current


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (19, "sembilan belas"),
        (21, "dua puluh satu"),
        (100, "seratus"),
        (115, "seratus lima belas"),
        (1_000, "seribu"),
        (1_500, "seribu lima ratus"),
        (2_001, "dua ribu satu"),
        (110_000, "seratus sepuluh ribu"),
        (1_000_000, "satu juta"),
        (4_500_000, "empat juta lima ratus ribu"),
        (5_000_000, "lima juta"),
        (20_000_000, "dua puluh juta"),
        (1_001_001_001, "satu miliar satu juta seribu satu"),
        (
            999_999_999_999_999,
            "sembilan ratus sembilan puluh sembilan triliun sembilan ratus "
            "sembilan puluh sembilan miliar sembilan ratus sembilan puluh sembilan juta sembilan "
            "ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan",
        ),
    ],
)
def test_terbilang_writes_known_amounts_as_offices_do(amount: int, words: str) -> None:
    assert terbilang(amount) == words


def test_rupiah_in_words_gives_figures_with_cents_and_words() -> None:
    assert rupiah_in_words(5_000_000) == "Rp5.000.000,00 (lima juta rupiah)"
    assert rupiah_in_words(4_750_500) == (
        "Rp4.750.500,00 (empat juta tujuh ratus lima puluh ribu lima ratus rupiah)"
    )


@pytest.mark.parametrize("amount", [-1, LIMIT])
def test_terbilang_refuses_amounts_out_of_range(amount: int) -> None:
    with pytest.raises(ValueError):
        terbilang(amount)


@given(st.integers(min_value=0, max_value=LIMIT - 1))
def test_terbilang_words_read_back_to_the_same_amount(amount: int) -> None:
    words = terbilang(amount)
    assert parse(words) == amount
    assert "  " not in words and words == words.strip()
    # 100 and 10 are "seratus" and "sepuluh"; a thousands group of exactly one is "seribu".
    assert "satu ratus" not in words and "satu puluh" not in words
    assert ("seribu" in words) == ((amount // 1000) % 1000 == 1)
