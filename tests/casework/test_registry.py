"""The registry of persons and KUBE groups (casework.services.registry)."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from casework.errors import Duplicate, NotAllowed, ValidationError
from casework.identity import MSG_NIK_SAYS_FEMALE, MSG_NIK_SAYS_MALE
from casework.models import Group, GroupMember, Person
from casework.models.person import GroupRole, Sex
from casework.services.registry import (
    GroupInput,
    MemberInput,
    register_group,
    register_person,
    update_person,
)
from tests import factories

OTHER_VILLAGE = "64.02.08.2008"  # Muhuran, Kec. Kota Bangun
KOTA_BANGUN_DISTRICT = "64.02.08"
KUKAR = "64.02"


# --- persons ------------------------------------------------------------------------------


def test_a_valid_person_is_registered_with_her_domicile_from_the_address(session, staff):
    data = factories.person_input(sex="P", birth_date=date(1985, 6, 15))

    person = register_person(session, data, actor=staff["caseworker"])

    assert person.id is not None
    assert (person.nik, person.kk_number) == (data.nik, data.kk_number)
    assert person.sex == Sex.FEMALE
    assert person.birth_date == date(1985, 6, 15)
    assert person.village_code == factories.KOTA_BANGUN_LIANG
    assert person.regency_code == KUKAR
    assert person.created_by_id == staff["caseworker"].id


def test_the_domicile_is_the_address_not_the_region_the_nik_was_issued_in(session, staff):
    data = factories.person_input(village=factories.KOTA_BANGUN_LIANG)
    data.village_code = factories.SAMARINDA_VILLAGE

    person = register_person(session, data, actor=staff["caseworker"])

    assert person.nik.startswith("640208")
    assert person.regency_code == "64.72"


def test_a_nik_written_with_dots_and_spaces_is_stored_as_sixteen_digits(session, staff):
    data = factories.person_input()
    plain = data.nik
    data.nik = f"{plain[:2]}.{plain[2:4]}.{plain[4:6]} {plain[6:12]} {plain[12:]}"

    person = register_person(session, data, actor=staff["caseworker"])

    assert person.nik == plain


@pytest.mark.parametrize(
    ("nik_sex", "entered", "message"),
    [("P", "L", MSG_NIK_SAYS_FEMALE), ("L", "P", MSG_NIK_SAYS_MALE)],
)
def test_a_sex_that_disagrees_with_the_nik_is_an_error_on_sex(
    session, staff, nik_sex, entered, message
):
    data = dataclasses.replace(factories.person_input(sex=nik_sex), sex=entered)

    with pytest.raises(ValidationError) as refused:
        register_person(session, data, actor=staff["caseworker"])

    assert set(refused.value.fields) == {"sex"}
    assert refused.value.fields["sex"][0].message == message
    assert session.scalar(select(Person).where(Person.nik_is(data.nik))) is None


def test_a_birth_date_that_disagrees_with_the_nik_is_an_error_on_birth_date(session, staff):
    data = dataclasses.replace(
        factories.person_input(birth_date=date(1985, 6, 15)), birth_date=date(1985, 6, 16)
    )

    with pytest.raises(ValidationError) as refused:
        register_person(session, data, actor=staff["caseworker"])

    assert set(refused.value.fields) == {"birth_date"}
    assert refused.value.fields["birth_date"][0].params == {
        "nik_date": "15-06-1985",
        "form_date": "16-06-1985",
    }


def test_all_field_errors_are_reported_at_once(session, staff):
    data = dataclasses.replace(
        factories.person_input(),
        kk_number="12",
        full_name="  ",
        marital_status="unknown",
        village_code=KOTA_BANGUN_DISTRICT,
    )

    with pytest.raises(ValidationError) as refused:
        register_person(session, data, actor=staff["caseworker"])

    assert {"kk_number", "full_name", "marital_status", "village_code"} <= set(refused.value.fields)


def test_a_nik_already_registered_is_a_duplicate_naming_the_existing_person(session, staff):
    first = factories.make_person(session, staff["caseworker"], name="Siti Rahmawati")
    again = dataclasses.replace(factories.person_input(), nik=first.nik, full_name="Siti R.")

    with pytest.raises(Duplicate) as refused:
        register_person(session, again, actor=staff["caseworker"])

    assert refused.value.existing_id == first.id
    assert refused.value.params["name"] == "Siti Rahmawati"
    assert refused.value.status == 409


@pytest.mark.parametrize("code", [KUKAR, KOTA_BANGUN_DISTRICT, "64", "64.02.08.9999", ""], ids=repr)
def test_the_domicile_must_be_a_village(session, staff, code):
    data = dataclasses.replace(factories.person_input(), village_code=code)

    with pytest.raises(ValidationError) as refused:
        register_person(session, data, actor=staff["caseworker"])

    assert set(refused.value.fields) == {"village_code"}


def test_a_kukar_caseworker_cannot_register_a_samarinda_resident(session, staff):
    data = factories.person_input(village=factories.SAMARINDA_VILLAGE)

    with pytest.raises(NotAllowed):
        register_person(session, data, actor=staff["kukar_caseworker"])

    assert session.scalar(select(Person).where(Person.nik_is(data.nik))) is None


def test_a_kukar_caseworker_registers_a_kukar_resident(session, staff):
    person = factories.make_person(session, staff["kukar_caseworker"])

    assert person.regency_code == KUKAR


@pytest.mark.parametrize("role", ["finance", "dprd_liaison", "auditor"])
def test_roles_that_do_not_do_casework_cannot_register_persons(session, staff, role):
    with pytest.raises(NotAllowed):
        register_person(session, factories.person_input(), actor=staff[role])


def test_a_correction_cannot_take_over_another_persons_nik(session, staff):
    first = factories.make_person(session, staff["caseworker"])
    second = factories.make_person(session, staff["caseworker"])
    data = dataclasses.replace(factories.person_input(), nik=first.nik)

    with pytest.raises(Duplicate) as refused:
        update_person(session, second, data, actor=staff["caseworker"])

    assert refused.value.existing_id == first.id


def test_a_correction_cannot_move_a_person_out_of_the_actors_region(session, staff):
    person = factories.make_person(session, staff["kukar_caseworker"])
    data = factories.person_input(village=factories.SAMARINDA_VILLAGE)

    with pytest.raises(NotAllowed):
        update_person(session, person, data, actor=staff["kukar_caseworker"])

    session.refresh(person)
    assert person.regency_code == KUKAR


# --- KUBE groups --------------------------------------------------------------------------


def members(session, staff, size, village=factories.KOTA_BANGUN_LIANG) -> list[Person]:
    return [
        factories.make_person(session, staff["caseworker"], sex="L", village=village)
        for _ in range(size)
    ]


def group_input(session, persons, roles=None, village=factories.KOTA_BANGUN_LIANG) -> GroupInput:
    roles = roles or ["ketua", "sekretaris", "bendahara"] + ["anggota"] * (len(persons) - 3)
    return GroupInput(
        name="KUBE Sejahtera Liang",
        village_code=village,
        business_type_id=factories.business_type(session).id,
        members=[MemberInput(p.id, r) for p, r in zip(persons, roles, strict=True)],
    )


def test_a_valid_group_of_five_is_registered_with_its_officers(session, staff):
    persons = members(session, staff, 5)

    group = register_group(session, group_input(session, persons), actor=staff["caseworker"])

    assert len(group.members) == 5
    assert group.officer(GroupRole.CHAIR) == persons[0]
    assert group.officer(GroupRole.TREASURER) == persons[2]
    assert (group.village_code, group.regency_code) == (factories.KOTA_BANGUN_LIANG, KUKAR)


@pytest.mark.parametrize("size", [4, 21])
def test_a_group_of_fewer_than_5_or_more_than_20_members_is_refused(session, staff, size):
    data = group_input(session, members(session, staff, size))

    with pytest.raises(ValidationError) as refused:
        register_group(session, data, actor=staff["caseworker"])

    assert [m.params for m in refused.value.fields["members"]] == [
        {"low": 5, "high": 20, "count": size}
    ]


def test_a_group_of_20_is_accepted(session, staff):
    group = register_group(
        session, group_input(session, members(session, staff, 20)), actor=staff["caseworker"]
    )
    assert len(group.members) == 20


def test_a_group_with_two_ketua_is_refused(session, staff):
    roles = ["ketua", "ketua", "sekretaris", "bendahara", "anggota"]
    data = group_input(session, members(session, staff, 5), roles)

    with pytest.raises(ValidationError) as refused:
        register_group(session, data, actor=staff["caseworker"])

    assert {"role": "ketua", "count": 2} in [m.params for m in refused.value.fields["members"]]
    assert session.scalar(select(func.count()).select_from(Group)) == 0


def test_a_group_without_a_bendahara_is_refused(session, staff):
    roles = ["ketua", "sekretaris", "anggota", "anggota", "anggota"]
    data = group_input(session, members(session, staff, 5), roles)

    with pytest.raises(ValidationError) as refused:
        register_group(session, data, actor=staff["caseworker"])

    assert {"role": "bendahara", "count": 0} in [m.params for m in refused.value.fields["members"]]


def test_a_member_from_another_village_is_refused(session, staff):
    persons = members(session, staff, 4) + members(session, staff, 1, village=OTHER_VILLAGE)

    with pytest.raises(ValidationError) as refused:
        register_group(session, group_input(session, persons), actor=staff["caseworker"])

    assert refused.value.fields["members"][0].params == {"names": persons[4].full_name}


def test_a_person_listed_twice_is_refused(session, staff):
    persons = members(session, staff, 4)
    data = group_input(session, [*persons, persons[3]])

    with pytest.raises(ValidationError) as refused:
        register_group(session, data, actor=staff["caseworker"])

    assert "A person is listed twice." in [m.message for m in refused.value.fields["members"]]


def test_a_kukar_caseworker_cannot_register_a_samarinda_group(session, staff):
    persons = members(session, staff, 5, village=factories.SAMARINDA_VILLAGE)
    data = group_input(session, persons, village=factories.SAMARINDA_VILLAGE)

    with pytest.raises(NotAllowed):
        register_group(session, data, actor=staff["kukar_caseworker"])


def test_the_database_itself_refuses_a_second_ketua(session, staff):
    group = factories.make_group(session, staff["caseworker"])
    extra = members(session, staff, 1)[0]

    savepoint = session.begin_nested()
    session.add(GroupMember(group_id=group.id, person_id=extra.id, role=GroupRole.CHAIR))
    with pytest.raises(IntegrityError):
        session.flush()
    savepoint.rollback()
