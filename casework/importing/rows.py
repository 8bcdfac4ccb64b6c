"""One sheet row to a typed applicant row, or to its errors field by field (no database).

The rules are the registry's and the program's: NIK and No. KK valid and the NIK agreeing
with the sex and birth date (casework.identity), name, sex, marital status and village as
``register_person`` requires, the village inside the importing user's region, an active
business type, an amount between 0 and the program year's unit value, and for programs of
individuals the submit guards' eligibility (WRSE: women; age window on the import day).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from casework.errors import FieldErrors, ValidationError
from casework.i18n import N_
from casework.identity import age_on, check_nik_matches, parse_nik, validate_kk
from casework.importing import cells
from casework.models.person import GroupRole, MaritalStatus, Sex
from casework.services.registry import REQUIRED, PersonInput

SEX_WORDS = {
    "l": "L",
    "p": "P",
    "laki-laki": "L",
    "laki laki": "L",
    "lakilaki": "L",
    "pria": "L",
    "male": "L",
    "perempuan": "P",
    "wanita": "P",
    "female": "P",
}
MARITAL_WORDS = {m.value.replace("_", " "): m.value for m in MaritalStatus} | {
    "married": "kawin",
    "single": "belum_kawin",
    "divorced": "cerai_hidup",
    "widowed": "cerai_mati",
}
YES = {"y", "ya", "yes", "1", "true", "benar"}
NO = {"", "t", "tidak", "n", "no", "0", "false", "salah"}


@dataclass(frozen=True)
class RowContext:
    """What row validation needs from the database, loaded once per file."""

    villages: Mapping[str, str]
    """village code -> regency code of every village."""
    business_types: Mapping[str, int]
    """active business type code -> id."""
    unit_value: int
    today: date
    region_code: str | None = None
    """the importing user's kabupaten/kota; None for the province."""
    is_group: bool = False
    min_age: int | None = None
    max_age: int | None = None
    required_sex: str | None = None
    program_code: str = ""


@dataclass
class ApplicantRow:
    """A valid row: the person, the case it asks for and, for KUBE, the group and role."""

    person: PersonInput
    regency_code: str
    business_type_id: int
    requested_package: str
    requested_amount: int
    group_name: str = ""
    member_role: str = ""


@dataclass
class ParsedRow:
    row: int
    values: ApplicantRow | None
    errors: FieldErrors = field(default_factory=FieldErrors)
    group: str = ""
    """KUBE: the group's name as typed (kept on invalid rows too, to fail the whole group)."""
    existing_person_id: int | None = None
    """Set when the NIK is already registered: that person is reused, not created."""

    @property
    def valid(self) -> bool:
        return self.values is not None and not self.errors.fields


def _read(cells_: Mapping[str, object], key: str, errors: FieldErrors, convert: Any) -> Any:
    try:
        return convert(cells_.get(key))
    except cells.CellProblem as problem:
        errors.add(key, problem.message, **problem.params)
        return None


def _choice(raw: str | None, words: Mapping[str, str]) -> str:
    return words.get((raw or "").strip().lower().replace("_", " "), raw or "")


def _breadwinner(raw: str | None, errors: FieldErrors) -> bool:
    word = (raw or "").strip().lower()
    if word in YES:
        return True
    if word not in NO:
        errors.add("is_breadwinner", N_("Write Y (yes) or T (no)."))
    return False


def _person(cells_: Mapping[str, object], errors: FieldErrors) -> PersonInput:
    def get(key: str) -> str:
        return _read(cells_, key, errors, cells.text) or ""

    return PersonInput(
        nik=_read(cells_, "nik", errors, cells.number_text) or "",
        kk_number=_read(cells_, "kk_number", errors, cells.number_text) or "",
        full_name=get("full_name"),
        sex=_choice(get("sex"), SEX_WORDS),
        birth_date=_read(cells_, "birth_date", errors, cells.day),
        marital_status=_choice(get("marital_status"), MARITAL_WORDS),
        village_code=get("village_code"),
        birth_place=get("birth_place"),
        address=get("address"),
        phone=get("phone"),
        is_breadwinner=_breadwinner(get("is_breadwinner"), errors),
    )


def _check_identity(data: PersonInput, ctx: RowContext, errors: FieldErrors) -> None:
    try:
        info = parse_nik(data.nik, known_regencies=None, today=ctx.today)
        data.nik = info.nik
        if "sex" not in errors.fields and "birth_date" not in errors.fields:
            check_nik_matches(info, sex=data.sex or None, birth_date=data.birth_date)
    except ValidationError as exc:
        errors.absorb(exc)
    try:
        data.kk_number = validate_kk(data.kk_number)
    except ValidationError as exc:
        errors.absorb(exc)


def _check_person(data: PersonInput, ctx: RowContext, errors: FieldErrors) -> None:
    if "nik" not in errors.fields:
        _check_identity(data, ctx, errors)
    if not data.full_name:
        errors.add("full_name", REQUIRED)
    elif len(data.full_name) > 120:
        errors.add("full_name", N_("At most %(n)s characters."), n=120)
    if data.sex not in {s.value for s in Sex}:
        errors.add("sex", N_("Choose male (L) or female (P)."))
    if data.birth_date is None and "birth_date" not in errors.fields:
        errors.add("birth_date", REQUIRED)
    if data.marital_status not in {m.value for m in MaritalStatus}:
        errors.add("marital_status", N_("Choose a marital status."))
    for key, limit in (("birth_place", 80), ("phone", 20)):
        if len(getattr(data, key)) > limit:
            errors.add(key, N_("At most %(n)s characters."), n=limit)
    _check_village(data.village_code, ctx, errors)


def _check_village(code: str, ctx: RowContext, errors: FieldErrors) -> None:
    regency = ctx.villages.get(code)
    if not code:
        errors.add("village_code", REQUIRED)
    elif regency is None:
        errors.add("village_code", N_("Unknown village code %(code)s."), code=code[:20])
    elif ctx.region_code is not None and regency != ctx.region_code:
        errors.add("village_code", N_("This lies outside your region."))


def _check_eligibility(data: PersonInput, ctx: RowContext, errors: FieldErrors) -> None:
    """The submit guards of programs of individuals (workflows/guards.py), checked early."""
    if ctx.is_group or "nik" in errors.fields:
        return
    if ctx.required_sex and data.sex in {"L", "P"} and data.sex != ctx.required_sex:
        errors.add(
            "sex",
            N_("Program %(program)s is only for women applicants.")
            if ctx.required_sex == "P"
            else N_("Program %(program)s is only for men applicants."),
            program=ctx.program_code,
        )
    if data.birth_date is None or data.birth_date > ctx.today:
        return
    age = age_on(data.birth_date, ctx.today)
    low, high = ctx.min_age, ctx.max_age
    if (low is not None and age < low) or (high is not None and age > high):
        errors.add(
            "birth_date",
            N_(
                "The applicant is %(age)s years old; program %(program)s requires "
                "%(low)s to %(high)s years."
            ),
            age=age,
            program=ctx.program_code,
            low=low if low is not None else 0,
            high=high if high is not None else "-",
        )


def _case_part(
    cells_: Mapping[str, object], ctx: RowContext, errors: FieldErrors
) -> tuple[int, str, int]:
    code = (_read(cells_, "business_type", errors, cells.text) or "").lower()
    business_id = ctx.business_types.get(code, 0)
    if not business_id and "business_type" not in errors.fields:
        errors.add("business_type", N_("Choose an active business type."))
    package = _read(cells_, "requested_package", errors, cells.text) or ""
    amount = _read(cells_, "requested_amount", errors, cells.rupiah)
    if amount is not None and amount > ctx.unit_value:
        errors.add(
            "requested_amount",
            N_("The amount is above the unit value of Rp%(limit)s."),
            limit=f"{ctx.unit_value:,}".replace(",", "."),
        )
    return business_id, package, amount or 0


def _group_part(
    cells_: Mapping[str, object], ctx: RowContext, errors: FieldErrors
) -> tuple[str, str]:
    if not ctx.is_group:
        return "", ""
    name = _read(cells_, "group_name", errors, cells.text) or ""
    if not name and "group_name" not in errors.fields:
        errors.add("group_name", REQUIRED)
    elif len(name) > 120:
        errors.add("group_name", N_("At most %(n)s characters."), n=120)
    role = (_read(cells_, "member_role", errors, cells.text) or "").lower()
    if role not in {r.value for r in GroupRole}:
        errors.add("member_role", N_("Unknown member role."))
    return name, role


def parse_row(row: int, cells_: Mapping[str, object], ctx: RowContext) -> ParsedRow:
    """Read and check one row; ``cells_`` maps column keys to raw cell values."""
    errors = FieldErrors()
    person = _person(cells_, errors)
    _check_person(person, ctx, errors)
    _check_eligibility(person, ctx, errors)
    group_name, role = _group_part(cells_, ctx, errors)
    # A KUBE's case (business type, package, amount) is read from its chair's row.
    if ctx.is_group and role != GroupRole.CHAIR.value:
        business_id, package, amount = 0, "", 0
    else:
        business_id, package, amount = _case_part(cells_, ctx, errors)
    if errors.fields:
        return ParsedRow(row, None, errors, group=group_name)
    values = ApplicantRow(
        person=person,
        regency_code=ctx.villages[person.village_code],
        business_type_id=business_id,
        requested_package=package,
        requested_amount=amount,
        group_name=group_name,
        member_role=role,
    )
    return ParsedRow(row, values, errors, group=group_name)
