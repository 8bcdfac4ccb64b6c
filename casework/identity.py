"""NIK and No. KK: normalising, validating, decoding and masking (DOMAIN.md section 6).

A NIK is 16 digits ``PP RR SS DDMMYY NNNN``: the Kemendagri province, regency
(kabupaten/kota) and district (kecamatan) where it was first registered, the birth
date (women: day + 40), and a serial from 0001. It has no check digit.

Everything here is a pure function. Failures raise
:class:`casework.errors.ValidationError` on the named form field, with an English
message id marked by :func:`casework.i18n.N_`; the web layer translates it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from casework.errors import FieldMessage, ValidationError, field_error
from casework.i18n import N_

__all__ = [
    "PROVINCE_CODES",
    "SEX_FEMALE",
    "SEX_MALE",
    "NikInfo",
    "age_on",
    "build_nik",
    "check_nik_matches",
    "mask_number",
    "normalize_number",
    "parse_nik",
    "validate_kk",
]

#: The 38 Kemendagri province codes (the ``PP`` of a NIK), as 2-digit strings.
PROVINCE_CODES: frozenset[str] = frozenset(
    [str(code) for code in range(11, 20)]  # Aceh .. Kepulauan Bangka Belitung
    + ["21"]  # Kepulauan Riau
    + [str(code) for code in range(31, 37)]  # DKI Jakarta .. Banten
    + [str(code) for code in range(51, 54)]  # Bali, NTB, NTT
    + [str(code) for code in range(61, 66)]  # Kalimantan (64 Kaltim, 65 Kaltara)
    + [str(code) for code in range(71, 77)]  # Sulawesi
    + ["81", "82"]  # Maluku, Maluku Utara
    + [str(code) for code in range(91, 97)]  # Papua provinces
)

SEX_MALE = "L"  # laki-laki
SEX_FEMALE = "P"  # perempuan

NIK_LENGTH = 16
KK_LENGTH = 16
FEMALE_DAY_OFFSET = 40
MASK_CHAR = "*"
MASK_KEEP = 4  # characters kept visible at each end by mask_number

# Separators people type or paste inside numbers: spaces (any whitespace), dots and
# dashes (ASCII hyphen-minus plus the Unicode dashes word processors substitute).
_SEPARATORS = frozenset(".-\u2010\u2011\u2012\u2013\u2014\u2212")
_DIGITS = re.compile(r"[0-9]+")

# --- Message ids (English; translated by the web layer) ---------------------------

MSG_NIK_NOT_DIGITS = N_("The NIK may contain only digits (spaces, dots and dashes are ignored).")
MSG_NIK_LENGTH = N_("The NIK must have exactly 16 digits; %(count)s were entered.")
MSG_NIK_PROVINCE = N_("The NIK starts with %(code)s, which is not a known province code.")
MSG_NIK_DAY = N_(
    "The birth day in the NIK (%(day)s) is not valid: it must be 01-31, or 41-71 for a woman."
)
MSG_NIK_MONTH = N_("The birth month in the NIK (%(month)s) is not valid: it must be 01-12.")
MSG_NIK_DATE = N_(
    "The birth date in the NIK (day %(day)s, month %(month)s, year %(year)s) does not exist."
)
MSG_NIK_FUTURE = N_("The birth date in the NIK (%(date)s) is in the future.")
MSG_NIK_SERIAL = N_("The last four digits of the NIK (the serial) cannot be 0000.")
MSG_NIK_REGENCY_UNKNOWN = N_(
    "The regency/city code in the NIK is not in the list of known codes; please check the NIK."
)
MSG_NIK_SAYS_MALE = N_("The NIK belongs to a man, but female was entered.")
MSG_NIK_SAYS_FEMALE = N_("The NIK belongs to a woman (birth day + 40), but male was entered.")
MSG_NIK_BIRTH_DATE = N_(
    "The NIK encodes the birth date %(nik_date)s, but %(form_date)s was entered."
)
MSG_KK_NOT_DIGITS = N_(
    "The KK number may contain only digits (spaces, dots and dashes are ignored)."
)
MSG_KK_LENGTH = N_("The KK number must have exactly 16 digits; %(count)s were entered.")
MSG_KK_PROVINCE = N_("The KK number starts with %(code)s, which is not a known province code.")


@dataclass(frozen=True)
class NikInfo:
    """What a valid NIK encodes.

    Region codes are in the dotted Kemendagri form ("64", "64.02", "64.02.08"); they
    are where the NIK was first registered, not where the person lives now.
    ``warnings`` holds message ids (no parameters) for doubts that do not make the
    NIK invalid, such as a regency code missing from the known list.
    """

    nik: str
    province_code: str
    regency_code: str
    district_code: str
    birth_date: date
    sex: str
    serial: str
    warnings: tuple[str, ...] = ()


def normalize_number(raw: str) -> str:
    """Remove spaces (any whitespace), dots and dashes from a typed number.

    Nothing else is changed, so letters or other symbols survive and are reported by
    the validators.
    """
    return "".join(ch for ch in raw if not ch.isspace() and ch not in _SEPARATORS)


def _is_ascii_digits(value: str) -> bool:
    """True when ``value`` is non-empty and made only of 0-9 (no Unicode digits)."""
    return _DIGITS.fullmatch(value) is not None


def _check_sixteen_digits(value: str, *, field: str, not_digits: str, wrong_length: str) -> None:
    """Raise on ``field`` unless ``value`` is exactly 16 ASCII digits."""
    if value and not _is_ascii_digits(value):
        raise field_error(field, not_digits)
    if len(value) != NIK_LENGTH:
        raise field_error(field, wrong_length, count=len(value))


def _safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None when it does not exist (e.g. 30 February)."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _format_date(value: date) -> str:
    """A date as DD-MM-YYYY, the order Indonesian forms use."""
    return value.strftime("%d-%m-%Y")


def _birth_date(field: str, day: int, month: int, yy: int, today: date) -> date:
    """Choose the century: 20YY when that date is on or before ``today``, else 19YY.

    Raises when neither century gives an existing date, or when every existing
    candidate is after ``today``.
    """
    recent = _safe_date(2000 + yy, month, day)
    older = _safe_date(1900 + yy, month, day)
    if recent is None and older is None:
        raise field_error(
            field, MSG_NIK_DATE, day=f"{day:02d}", month=f"{month:02d}", year=f"{yy:02d}"
        )
    for candidate in (recent, older):
        if candidate is not None and candidate <= today:
            return candidate
    earliest = older if older is not None else recent
    assert earliest is not None  # at least one candidate exists (checked above)
    raise field_error(field, MSG_NIK_FUTURE, date=_format_date(earliest))


def _regency_known(regency_code: str, known_regencies: Collection[str]) -> bool:
    """Whether ``regency_code`` ("64.02") is listed; undotted "6402" entries match too."""
    return regency_code in known_regencies or regency_code.replace(".", "") in known_regencies


def parse_nik(
    raw: str,
    *,
    field: str = "nik",
    known_regencies: Collection[str] | None = None,
    today: date | None = None,
) -> NikInfo:
    """Validate and decode a NIK typed on a form.

    Spaces, dots and dashes are ignored. Checks, in order, each failing with its own
    message on ``field``: exactly 16 digits; a known province code; day 01-31 or
    41-71 (women); month 01-12; the date exists; the birth date is not after
    ``today`` (default: the current date); serial not 0000.

    The century is 20YY when that date is on or before ``today``, otherwise 19YY.
    When ``known_regencies`` (dotted "64.02" codes) is given and the NIK's regency is
    not in it, the NIK is still accepted and ``warnings`` says so: old codes stay on
    NIKs for life after regencies split.
    """
    nik = normalize_number(raw)
    _check_sixteen_digits(
        nik, field=field, not_digits=MSG_NIK_NOT_DIGITS, wrong_length=MSG_NIK_LENGTH
    )

    province = nik[0:2]
    if province not in PROVINCE_CODES:
        raise field_error(field, MSG_NIK_PROVINCE, code=province)

    encoded_day, month, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    if 1 <= encoded_day <= 31:
        sex, day = SEX_MALE, encoded_day
    elif FEMALE_DAY_OFFSET + 1 <= encoded_day <= FEMALE_DAY_OFFSET + 31:
        sex, day = SEX_FEMALE, encoded_day - FEMALE_DAY_OFFSET
    else:
        raise field_error(field, MSG_NIK_DAY, day=nik[6:8])
    if not 1 <= month <= 12:
        raise field_error(field, MSG_NIK_MONTH, month=nik[8:10])

    birth_date = _birth_date(field, day, month, yy, today or date.today())

    serial = nik[12:16]
    if serial == "0000":
        raise field_error(field, MSG_NIK_SERIAL)

    regency = f"{province}.{nik[2:4]}"
    warnings: list[str] = []
    if known_regencies is not None and not _regency_known(regency, known_regencies):
        warnings.append(MSG_NIK_REGENCY_UNKNOWN)

    return NikInfo(
        nik=nik,
        province_code=province,
        regency_code=regency,
        district_code=f"{regency}.{nik[4:6]}",
        birth_date=birth_date,
        sex=sex,
        serial=serial,
        warnings=tuple(warnings),
    )


def _sibling_field(field: str, name: str) -> str:
    """The form field ``name`` next to the NIK field ``field``.

    "nik" gives "sex"; "members-0-nik" gives "members-0-sex", so repeated member
    rows get their errors on their own row. Other field names give ``name`` as is.
    """
    if field.endswith("nik"):
        return field[: -len("nik")] + name
    return name


def check_nik_matches(
    info: NikInfo,
    *,
    sex: str | None,
    birth_date: date | None,
    field: str = "nik",
) -> None:
    """Raise ValidationError when the form's sex or birth date disagree with the NIK.

    ``sex`` is "L" or "P" (case and surrounding spaces ignored); ``None`` skips that
    check. Errors go on the "sex" and "birth_date" fields, both at once when both
    disagree; when the NIK field is named like "members-0-nik" they go on
    "members-0-sex" and "members-0-birth_date". The messages say what the NIK encodes.
    """
    errors: dict[str, list[FieldMessage]] = {}
    if sex is not None and sex.strip().upper() != info.sex:
        message = MSG_NIK_SAYS_FEMALE if info.sex == SEX_FEMALE else MSG_NIK_SAYS_MALE
        errors[_sibling_field(field, "sex")] = [FieldMessage(message)]
    if birth_date is not None and birth_date != info.birth_date:
        errors[_sibling_field(field, "birth_date")] = [
            FieldMessage(
                MSG_NIK_BIRTH_DATE,
                nik_date=_format_date(info.birth_date),
                form_date=_format_date(birth_date),
            )
        ]
    if errors:
        raise ValidationError(errors)


def validate_kk(raw: str, *, field: str = "kk_number") -> str:
    """Validate a No. KK (family card number) and return it normalised.

    Spaces, dots and dashes are ignored; it must then be exactly 16 digits whose
    first two are a known province code. Nothing else is decoded (DOMAIN.md 6.2:
    the rest of the layout is not verified).
    """
    kk = normalize_number(raw)
    _check_sixteen_digits(kk, field=field, not_digits=MSG_KK_NOT_DIGITS, wrong_length=MSG_KK_LENGTH)
    if kk[0:2] not in PROVINCE_CODES:
        raise field_error(field, MSG_KK_PROVINCE, code=kk[0:2])
    return kk


def mask_number(value: str | None) -> str:
    """Hide the middle of a NIK or KK number for display: "6402**********0003".

    The first 4 and last 4 characters are kept and every other one becomes "*", so
    the length is unchanged. A value shorter than 16 characters (not a full NIK or
    KK) is masked entirely, so that at least half is always hidden and the birth date
    part of a NIK never shows. ``None`` or "" gives "".
    """
    if not value:
        return ""
    if len(value) < 4 * MASK_KEEP:
        return MASK_CHAR * len(value)
    hidden = len(value) - 2 * MASK_KEEP
    return value[:MASK_KEEP] + MASK_CHAR * hidden + value[-MASK_KEEP:]


def build_nik(*, district_code: str, birth_date: date, sex: str, serial: int) -> str:
    """Compose a NIK; the inverse of :func:`parse_nik` (demo data and tests).

    ``district_code`` is a Kemendagri kecamatan code, "64.02.08" or "640208";
    ``sex`` is "L" or "P" (women get day + 40); ``serial`` is 1-9999. Raises
    ValueError on bad arguments: this is for programmers, not for form input.
    """
    district = normalize_number(district_code)
    if len(district) != 6 or not _is_ascii_digits(district):
        raise ValueError(f"district_code must have 6 digits, got {district_code!r}")
    if sex not in (SEX_MALE, SEX_FEMALE):
        raise ValueError(f"sex must be 'L' or 'P', got {sex!r}")
    if not 1 <= serial <= 9999:
        raise ValueError(f"serial must be 1-9999, got {serial!r}")
    day = birth_date.day + (FEMALE_DAY_OFFSET if sex == SEX_FEMALE else 0)
    return f"{district}{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{serial:04d}"


def age_on(birth_date: date, on: date) -> int:
    """Age in full years on the date ``on``.

    Someone born on 29 February turns a year older on 1 March in common years.
    Raises ValueError when ``on`` is before ``birth_date``.
    """
    if on < birth_date:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth_date.isoformat()}")
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)
