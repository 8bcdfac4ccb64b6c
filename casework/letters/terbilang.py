"""Amounts in Indonesian words ("terbilang"): 5_000_000 -> "lima juta"."""

from __future__ import annotations

_UNITS = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
          "sembilan")  # fmt: skip
_SCALES = ((10**12, "triliun"), (10**9, "miliar"), (10**6, "juta"))
LIMIT = 10**15
"""Amounts up to (not including) one thousand trillion."""


def _below_thousand(n: int) -> list[str]:
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif 12 <= rest <= 19:
        words += [_UNITS[rest - 10], "belas"]
    elif rest >= 20:
        tens, ones = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if ones:
            words.append(_UNITS[ones])
    elif rest > 0:
        words.append(_UNITS[rest])
    return words


def terbilang(n: int) -> str:
    """``n`` in Indonesian words, lower case: 1_500 -> "seribu lima ratus".

    ValueError for a negative amount or one of a thousand trillion or more.
    """
    if n < 0 or n >= LIMIT:
        raise ValueError(f"amount out of range: {n}")
    if n == 0:
        return "nol"
    words: list[str] = []
    for scale, name in _SCALES:
        count, n = divmod(n, scale)
        if count:
            words += [*_below_thousand(count), name]
    thousands, n = divmod(n, 1000)
    if thousands == 1:
        words.append("seribu")
    elif thousands > 1:
        words += [*_below_thousand(thousands), "ribu"]
    words += _below_thousand(n)
    return " ".join(words)


def rupiah_figures(amount: int) -> str:
    """``Rp5.000.000,00``: dots between thousands, two decimals after a comma."""
    return f"Rp{amount:,}".replace(",", ".") + ",00"


def rupiah_in_words(amount: int) -> str:
    """``Rp5.000.000,00 (lima juta rupiah)``, as the Tata Naskah Dinas writes amounts."""
    return f"{rupiah_figures(amount)} ({terbilang(amount)} rupiah)"
