"""Property-based checks of the encryption and the keyed hash (casework/privacy.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from casework import privacy
from casework.identity import mask_number

KINDS = st.sampled_from(["nik", "kk_number", "account_number"])
NUMBERS = st.text(alphabet="0123456789", min_size=1, max_size=34)


@given(kind=KINDS, value=st.text(max_size=60))
def test_what_is_encrypted_decrypts_to_the_same_text(app, kind: str, value: str) -> None:
    token = privacy.encrypt(kind, value)
    assert privacy.is_encrypted(token)
    assert len(token) <= privacy.ENCRYPTED_LENGTH or len(value.encode()) > 40
    assert privacy.decrypt(kind, token) == value


@given(kind=KINDS, value=NUMBERS)
def test_two_encryptions_of_one_number_differ_and_never_contain_it(
    app, kind: str, value: str
) -> None:
    first, second = privacy.encrypt(kind, value), privacy.encrypt(kind, value)
    assert first != second
    if len(value) >= 6:
        assert value not in first.split(":", 2)[2]


@given(kind=KINDS, value=NUMBERS)
def test_the_keyed_hash_is_stable_and_ignores_separators(app, kind: str, value: str) -> None:
    spaced = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    dotted = ".".join(value[i : i + 2] for i in range(0, len(value), 2))
    digest = privacy.blind_index(kind, value)
    assert privacy.blind_index(kind, spaced) == digest == privacy.blind_index(kind, dotted)
    assert len(digest) == privacy.HASH_LENGTH
    if len(value) >= 8:
        assert value not in digest


@given(value=NUMBERS)
def test_a_nik_and_a_kk_with_the_same_digits_hash_differently(app, value: str) -> None:
    assert privacy.blind_index("nik", value) != privacy.blind_index("kk_number", value)


WORDS = st.text(alphabet=st.characters(exclude_categories=("Nd",)), max_size=20)
SIXTEEN = st.text(alphabet="0123456789", min_size=16, max_size=16)


@given(before=WORDS, number=SIXTEEN, after=WORDS)
def test_sixteen_digit_runs_in_text_are_always_masked(
    app, before: str, number: str, after: str
) -> None:
    masked = privacy.mask_digits_in_text(f"{before}{number}{after}")
    assert masked == f"{before}{mask_number(number)}{after}"
    assert number not in masked
