"""The registry of persons and KUBE groups."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.errors import Duplicate, FieldErrors, ValidationError
from casework.i18n import N_
from casework.identity import check_nik_matches, parse_nik, validate_kk
from casework.models.person import (
    OFFICER_ROLES,
    Group,
    GroupMember,
    GroupRole,
    MaritalStatus,
    Person,
    Sex,
)
from casework.models.program import ApplicantKind, BusinessType, Program
from casework.models.region import Region, RegionLevel
from casework.models.user import CASEWORK_WRITE_ROLES, User
from casework.services.access import require_region, require_role

REQUIRED = N_("This field is required.")
DEFAULT_GROUP_BOUNDS = (5, 20)


@dataclass
class PersonInput:
    nik: str
    kk_number: str
    full_name: str
    sex: str
    birth_date: date | None
    marital_status: str
    village_code: str
    birth_place: str = ""
    address: str = ""
    phone: str = ""
    is_breadwinner: bool = False


def village(session: Session, code: str) -> Region | None:
    """The village (desa/kelurahan) with ``code``, or None."""
    region = session.get(Region, code) if code else None
    return region if region is not None and region.level == RegionLevel.VILLAGE else None


def _regency_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Region.code).where(Region.level == RegionLevel.REGENCY)))


def _validate_person(session: Session, data: PersonInput, errors: FieldErrors) -> tuple[str, str]:
    nik = kk = ""
    try:
        info = parse_nik(data.nik, known_regencies=None, today=clock.today_wita())
        nik = info.nik
        try:
            check_nik_matches(info, sex=data.sex or None, birth_date=data.birth_date)
        except ValidationError as exc:
            errors.absorb(exc)
    except ValidationError as exc:
        errors.absorb(exc)
    try:
        kk = validate_kk(data.kk_number)
    except ValidationError as exc:
        errors.absorb(exc)
    if not data.full_name.strip():
        errors.add("full_name", REQUIRED)
    elif len(data.full_name.strip()) > 120:
        errors.add("full_name", N_("At most %(n)s characters."), n=120)
    if data.sex not in {s.value for s in Sex}:
        errors.add("sex", N_("Choose male (L) or female (P)."))
    if data.birth_date is None:
        errors.add("birth_date", REQUIRED)
    if data.marital_status not in {m.value for m in MaritalStatus}:
        errors.add("marital_status", N_("Choose a marital status."))
    if village(session, data.village_code) is None:
        errors.add("village_code", N_("Choose the village (desa/kelurahan) of the address."))
    return nik, kk


def register_person(session: Session, data: PersonInput, *, actor: User) -> Person:
    """Register a person.

    Rules: NIK valid and agreeing with the sex and birth date entered; No. KK valid; domicile
    is the village of the KTP/KK address (not the NIK's region) and lies in the actor's
    region; a NIK already registered is refused with a pointer to that person.
    """
    require_role(actor, CASEWORK_WRITE_ROLES)
    errors = FieldErrors()
    nik, kk = _validate_person(session, data, errors)
    errors.raise_if_any()
    home = village(session, data.village_code)
    assert home is not None
    require_region(actor, home.regency_code)
    existing = session.scalar(select(Person).where(Person.nik_is(nik)))
    if existing is not None:
        raise Duplicate(
            N_("This NIK is already registered: %(name)s (person no. %(id)s)."),
            existing_id=existing.id,
            name=existing.full_name,
            id=existing.id,
        )
    person = Person(
        nik=nik,
        kk_number=kk,
        full_name=data.full_name.strip(),
        sex=Sex(data.sex),
        birth_date=data.birth_date,
        birth_place=data.birth_place.strip(),
        marital_status=MaritalStatus(data.marital_status),
        is_breadwinner=data.is_breadwinner,
        address=data.address.strip(),
        village_code=home.code,
        regency_code=home.regency_code or "",
        phone=data.phone.strip(),
        created_by_id=actor.id,
    )
    session.add(person)
    session.flush()
    return person


def update_person(session: Session, person: Person, data: PersonInput, *, actor: User) -> Person:
    """Correct a person's data under the same rules as registration."""
    require_role(actor, CASEWORK_WRITE_ROLES)
    require_region(actor, person.regency_code)
    errors = FieldErrors()
    nik, kk = _validate_person(session, data, errors)
    errors.raise_if_any()
    home = village(session, data.village_code)
    assert home is not None
    require_region(actor, home.regency_code)
    other = session.scalar(select(Person).where(Person.nik_is(nik), Person.id != person.id))
    if other is not None:
        raise Duplicate(
            N_("This NIK is already registered: %(name)s (person no. %(id)s)."),
            existing_id=other.id,
            name=other.full_name,
            id=other.id,
        )
    person.nik, person.kk_number = nik, kk
    person.full_name = data.full_name.strip()
    person.sex = Sex(data.sex)
    assert data.birth_date is not None
    person.birth_date = data.birth_date
    person.birth_place = data.birth_place.strip()
    person.marital_status = MaritalStatus(data.marital_status)
    person.is_breadwinner = data.is_breadwinner
    person.address = data.address.strip()
    person.village_code, person.regency_code = home.code, home.regency_code or ""
    person.phone = data.phone.strip()
    session.flush()
    return person


@dataclass
class MemberInput:
    person_id: int
    role: str


@dataclass
class GroupInput:
    name: str
    village_code: str
    business_type_id: int | None
    members: list[MemberInput] = field(default_factory=list)


def group_bounds(session: Session, fiscal_year: int | None = None) -> tuple[int, int]:
    """Member bounds of KUBE groups: from the group program's rules, else 5–20."""
    program = session.scalar(
        select(Program).where(Program.applicant_kind == ApplicantKind.GROUP).order_by(Program.id)
    )
    if program is None or not program.years:
        return DEFAULT_GROUP_BOUNDS
    rules = program.rules_for(fiscal_year or clock.today_wita().year) or program.years[-1]
    return (
        rules.group_min_members or DEFAULT_GROUP_BOUNDS[0],
        rules.group_max_members or DEFAULT_GROUP_BOUNDS[1],
    )


def _validate_group(session: Session, data: GroupInput, errors: FieldErrors) -> list[Person]:
    if not data.name.strip():
        errors.add("name", REQUIRED)
    home = village(session, data.village_code)
    if home is None:
        errors.add("village_code", N_("Choose the village (desa/kelurahan) of the group."))
    if (
        data.business_type_id is not None
        and session.get(BusinessType, data.business_type_id) is None
    ):
        errors.add("business_type_id", N_("Unknown business type."))
    low, high = group_bounds(session)
    if not low <= len(data.members) <= high:
        errors.add(
            "members",
            N_("A KUBE has between %(low)s and %(high)s members; %(count)s given."),
            low=low,
            high=high,
            count=len(data.members),
        )
    ids = [m.person_id for m in data.members]
    if len(set(ids)) != len(ids):
        errors.add("members", N_("A person is listed twice."))
    for role in OFFICER_ROLES:
        count = sum(1 for m in data.members if m.role == role.value)
        if count != 1:
            errors.add(
                "members",
                N_("The group needs exactly one %(role)s; %(count)s given."),
                role=role.value,
                count=count,
            )
    if any(m.role not in {r.value for r in GroupRole} for m in data.members):
        errors.add("members", N_("Unknown member role."))
    persons = list(session.scalars(select(Person).where(Person.id.in_(ids)))) if ids else []
    if len(persons) != len(set(ids)):
        errors.add("members", N_("A listed person does not exist."))
    if home is not None:
        away = [p.full_name for p in persons if p.village_code != home.code]
        if away:
            errors.add(
                "members",
                N_("All members must live in the group's village; not: %(names)s."),
                names=", ".join(sorted(away)),
            )
    return persons


def register_group(session: Session, data: GroupInput, *, actor: User) -> Group:
    """Register a KUBE group with its members.

    Rules: 5–20 members (bounds from the group program's rules), all living in the group's
    village, each listed once, with exactly one ketua, sekretaris and bendahara.
    """
    require_role(actor, CASEWORK_WRITE_ROLES)
    errors = FieldErrors()
    _validate_group(session, data, errors)
    errors.raise_if_any()
    home = village(session, data.village_code)
    assert home is not None
    require_region(actor, home.regency_code)
    group = Group(
        name=data.name.strip(),
        village_code=home.code,
        regency_code=home.regency_code or "",
        business_type_id=data.business_type_id,
    )
    group.members = [
        GroupMember(person_id=m.person_id, role=GroupRole(m.role)) for m in data.members
    ]
    session.add(group)
    session.flush()
    return group
