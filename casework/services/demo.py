"""Realistic demo data, and ``drive_to``: a case taken along the workflow by the engine.

Everything goes through the real services and the engine (with the clock set back), so
the demo cases carry true events, deadlines and verification data.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import clock
from casework.identity import build_nik
from casework.models.case import Case, CaseState
from casework.models.person import GroupRole, MaritalStatus, Person
from casework.models.program import BusinessType, Program
from casework.models.region import Region, RegionLevel
from casework.models.user import Role, User
from casework.privacy import blind_index
from casework.services.cases import CaseInput, open_case
from casework.services.pokir import fund_case_for_demo
from casework.services.reference import ensure_reference_data
from casework.services.registry import (
    GroupInput,
    MemberInput,
    PersonInput,
    register_group,
    register_person,
)
from casework.services.users import create_user
from casework.services.verification import (
    DtsenInput,
    ItemInput,
    attach_document,
    record_assessment,
    record_dtsen_check,
)
from casework.storage import DocumentStore
from workflows.engine import advance, definition_for

S = CaseState
HAPPY_PATH: tuple[tuple[str, CaseState], ...] = (
    ("submit", S.SUBMITTED),
    ("start_verification", S.ADMIN_VERIFICATION),
    ("pass_admin_verification", S.DTSEN_CHECK),
    ("confirm_dtsen", S.FIELD_ASSESSMENT),
    ("recommend", S.RECOMMENDED),
    ("send_to_pokir_review", S.POKIR_REVIEW),
    ("approve", S.APPROVED),
    ("decree", S.DECREED),
    ("start_procurement", S.PROCUREMENT),
    ("record_delivery", S.DELIVERED),
    ("await_usage_report", S.AWAITING_REPORT),
    ("accept_usage_report", S.MONITORING),
    ("close", S.CLOSED),
)
# How to reach a state off the happy path: (last happy state before it, trigger).
SIDE_PATHS = {
    S.RETURNED: (S.ADMIN_VERIFICATION, "return_for_revision"),
    S.REJECTED: (S.DTSEN_CHECK, "reject"),
    S.CANCELLED: (S.DRAFT, "cancel"),
    S.NON_COMPLIANT: (S.AWAITING_REPORT, "mark_non_compliant"),
}
REASONS = {
    "return_for_revision": "Foto KK kurang jelas, mohon unggah ulang.",
    "reject": "Tidak terdaftar di DTSEN dan tidak ada SKTM.",
    "cancel": "Pemohon mengundurkan diri.",
    "mark_non_compliant": "Laporan penggunaan tidak disampaikan setelah dua kali diingatkan.",
}
ROLE_PREFERENCE = (Role.CASEWORKER, Role.VERIFIER, Role.FINANCE, Role.MANAGER)

SAMPLE_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages"
    b"/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
SAMPLE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"

PACKAGES = {
    "menjahit": [
        ("Mesin jahit portable", 1, 2_750_000),
        ("Mesin obras", 1, 1_650_000),
        ("Kain dan benang", 1, 500_000),
    ],
    "kuliner": [
        ("Kompor gas 2 tungku", 1, 850_000),
        ("Etalase kaca", 1, 1_900_000),
        ("Peralatan masak", 1, 1_200_000),
        ("Bahan baku awal", 1, 900_000),
    ],
    "perbengkelan": [
        ("Kompresor angin", 1, 2_400_000),
        ("Set kunci lengkap", 1, 1_300_000),
        ("Dongkrak hidrolik", 1, 900_000),
    ],
}
DEFAULT_PACKAGE = [("Peralatan usaha", 1, 3_000_000), ("Bahan baku awal", 1, 1_500_000)]


def _actor_for(roles: frozenset[Role], actors: Mapping[Role, User]) -> User:
    return next(actors[r] for r in ROLE_PREFERENCE if r in roles and r in actors)


def prepare_for(
    session: Session,
    case: Case,
    trigger: str,
    *,
    actor: User,
    store: DocumentStore,
    decile: int = 2,
) -> None:
    """Record what the trigger's guards need: documents, a DTSEN check, an assessment, …

    Does nothing when the trigger does not lead anywhere from the case's state.
    """
    if definition_for(case).transition(trigger, case.state) is None:
        return
    today = clock.today_wita()
    if trigger == "approve" and case.pokir_line_id is None:
        fund_case_for_demo(session, case, actor=actor)
    if trigger == "pass_admin_verification":
        for kind in ("ktp", "kk", "dtsen_proof", "business_plan"):
            attach_document(
                session,
                case,
                kind=kind,
                filename=f"{kind}.pdf",
                content=SAMPLE_PDF,
                store=store,
                actor=actor,
            )
        attach_document(
            session,
            case,
            kind="photo",
            filename="usaha.jpg",
            content=SAMPLE_JPEG,
            store=store,
            actor=actor,
        )
    elif trigger == "confirm_dtsen":
        record_dtsen_check(
            session,
            case,
            DtsenInput(
                status="registered",
                decile=decile,
                source="siks_ng",
                checked_on=today,
                notes="Data SIKS-NG Dinsos kabupaten/kota.",
            ),
            actor=actor,
        )
    elif trigger in ("accept_usage_report", "close"):
        prepare_followup(session, case, trigger, actor=actor, store=store)
    elif trigger in ("start_procurement", "record_delivery"):
        _prepare_goods(session, case, trigger, actor=actor, store=store)
    elif trigger == "recommend":
        rules = case.program.rules_for(case.fiscal_year)
        limit = rules.unit_value if rules else 5_000_000
        items = PACKAGES.get(case.business_type.code, DEFAULT_PACKAGE)
        scale = min(1.0, limit / sum(q * p for _, q, p in items))
        record_assessment(
            session,
            case,
            feasibility_notes="Usaha layak: pengalaman 3 tahun, pasar desa ada.",
            is_feasible=True,
            assessed_on=today,
            items=[
                ItemInput(name, qty, int(price * scale) // 1000 * 1000)
                for name, qty, price in items
            ],
            actor=actor,
        )


def prepare_followup(
    session: Session, case: Case, trigger: str, *, actor: User, store: DocumentStore
) -> None:
    """An accepted LPJ before ``accept_usage_report``; every planned visit before ``close``."""
    from casework.services import followup

    today = clock.today_wita()
    if trigger == "accept_usage_report" and not followup.has_accepted_report(session, case.id):
        report = followup.receive_usage_report(
            session,
            case,
            followup.UsageReportInput(
                received_on=today,
                income_before=1_500_000,
                filename="lpj.pdf",
                content=SAMPLE_PDF,
                summary="Bantuan digunakan sesuai rencana usaha.",
            ),
            store=store,
            actor=actor,
        )
        followup.accept_usage_report(session, report, actor=actor)
    elif trigger == "close":
        for visit in followup.open_visits(session, case.id):
            followup.record_visit(
                session,
                visit,
                followup.VisitInput(
                    visited_on=today,
                    business_status="active",
                    monthly_income=2_000_000,
                    notes="Usaha berjalan.",
                ),
                store=store,
                actor=actor,
            )


def _prepare_goods(
    session: Session, case: Case, trigger: str, *, actor: User, store: DocumentStore
) -> None:
    """A procurement record (before start_procurement) or a BAST (before record_delivery)."""
    from casework.services.disbursement import (
        HandoverInput,
        ProcurementInput,
        ProcurementItemInput,
        has_handover_or_payment,
        has_procurement_or_payment,
        record_handover,
        record_procurement,
    )

    today = clock.today_wita()
    if case.state not in (CaseState.DECREED.value, CaseState.PROCUREMENT.value):
        return  # nothing to record before the case is decreed
    if (
        trigger == "start_procurement"
        and case.state == CaseState.DECREED.value
        and not has_procurement_or_payment(session, case.id)
    ):
        data = ProcurementInput(
            vendor="CV Maju Bersama Samarinda",
            contract_number=f"KONTRAK/{case.number}",
            contract_date=today,
            items=[ProcurementItemInput("Paket bantuan usaha", 1, case.requested_amount)],
            case_ids=[case.id],
        )
        record_procurement(session, data, actor=actor, start=False)
    elif (
        trigger == "record_delivery"
        and case.state == CaseState.PROCUREMENT.value
        and has_procurement_or_payment(session, case.id)
        and not has_handover_or_payment(session, case.id)
    ):
        data_bast = HandoverInput(today, "Kantor Desa", case.applicant_name, SAMPLE_JPEG)
        record_handover(session, case, data_bast, store=store, actor=actor, deliver=False)


def drive_to(
    session: Session,
    case: Case,
    target: CaseState,
    *,
    actors: Mapping[Role, User],
    store: DocumentStore,
    step: timedelta | None = None,
) -> Case:
    """Take a draft case to ``target`` through the engine, recording what each step needs.

    With ``step``, the clock moves forward by ``step`` between transitions, starting at
    the current ``clock.now()``, so the case gets a realistic history.
    """
    definition = definition_for(case)
    at = clock.now()
    plan: list[str] = []
    side = SIDE_PATHS.get(target)
    stop = side[0] if side else target
    for trigger, state in HAPPY_PATH:
        if stop == S.DRAFT:
            break
        plan.append(trigger)
        if state == stop:
            break
    if side:
        plan.append(side[1])
    for trigger in plan:
        transition = definition.transition(trigger, case.state)
        assert transition is not None, (trigger, case.state)
        actor = _actor_for(transition.roles, actors)
        with clock.frozen(at):
            if trigger == "send_to_pokir_review" and case.pokir_line_id is None:
                fund_case_for_demo(session, case, actor=actor)  # the link pokir review checks
            prepare_for(session, case, trigger, actor=actor, store=store)
            advance(session, case, trigger, actor=actor, reason=REASONS.get(trigger))
        if step is not None:
            at += step
    return case


DEMO_PASSWORD = "berdaya-demo-2026"
DEMO_USERS = (
    ("admin", "Administrator Sistem", Role.ADMIN, None),
    ("kadis", "Andi Muhammad Ishak", Role.MANAGER, None),
    ("kabid", "Saprudin Saida Panda", Role.MANAGER, None),
    ("pendamping", "Rina Wulandari", Role.CASEWORKER, None),
    ("pendamping.kukar", "Siti Rahmawati", Role.CASEWORKER, "64.02"),
    ("verifikator", "Budi Santoso", Role.VERIFIER, None),
    ("keuangan", "Dewi Lestari", Role.FINANCE, None),
    ("dprd", "Hendra Gunawan", Role.DPRD_LIAISON, None),
    ("auditor", "Yusuf Maulana", Role.AUDITOR, None),
)
WOMEN = (
    "Siti",
    "Nur",
    "Rahmawati",
    "Sri",
    "Dewi",
    "Aminah",
    "Fatimah",
    "Hasnah",
    "Rosmini",
    "Wahyuni",
    "Suryani",
    "Halimah",
    "Murni",
    "Jumiati",
    "Nurhayati",
    "Salmah",
    "Kartini",
)
MEN = (
    "Ahmad",
    "Budi",
    "Andi",
    "Rudi",
    "Syamsul",
    "Hamzah",
    "Ismail",
    "Yusran",
    "Darmawan",
    "Abdul",
    "Muhammad",
    "Herman",
    "Rahmat",
    "Saipul",
    "Arbain",
    "Juhri",
)
FAMILY = (
    "Hidayat",
    "Saputra",
    "Rahman",
    "Santoso",
    "Wijaya",
    "Kusuma",
    "Maulana",
    "Syahrani",
    "Hasan",
    "Effendi",
    "Ramadhan",
    "Nugroho",
    "Aji",
    "Lestari",
    "Pratama",
    "Anwar",
)
STREETS = (
    "Jl. Poros Kota Bangun",
    "Jl. Gajah Mada",
    "Jl. Mulawarman",
    "Jl. Ahmad Yani",
    "Jl. Pangeran Antasari",
    "Jl. Diponegoro",
    "Jl. Soekarno-Hatta",
    "Jl. Padat Karya",
)


def _demo_users(session: Session) -> dict[str, User]:
    users = {u.username: u for u in session.scalars(select(User))}
    for username, name, role, region in DEMO_USERS:
        if username not in users:
            users[username] = create_user(
                session,
                username=username,
                full_name=name,
                role=role.value,
                password=DEMO_PASSWORD,
                region_code=region,
                email=f"{username}@dinsos.test",
            )
    return users


class _PersonMaker:
    def __init__(self, session: Session, rng: random.Random, actor: User) -> None:
        self.session, self.rng, self.actor = session, rng, actor
        self.serial = 0
        self.used = set(session.scalars(select(Person.nik_hash)))

    def make(self, village: Region, *, sex: str, age: int, today: date) -> Person:
        rng = self.rng
        birth = today - timedelta(days=age * 365 + rng.randint(30, 330))
        district = village.parent_code or ""
        while True:
            self.serial += 1
            nik = build_nik(
                district_code=district, birth_date=birth, sex=sex, serial=(self.serial % 9998) + 1
            )
            nik_hash = blind_index("nik", nik)
            if nik_hash not in self.used:
                break
        self.used.add(nik_hash)
        first = rng.choice(WOMEN if sex == "P" else MEN)
        kk = (
            nik[:6]
            + f"{rng.randint(1, 28):02d}{rng.randint(1, 12):02d}{rng.randint(10, 24):02d}"
            + f"{rng.randint(1, 9999):04d}"
        )
        marital = (
            rng.choice([MaritalStatus.WIDOWED, MaritalStatus.DIVORCED, MaritalStatus.SINGLE])
            if sex == "P"
            else MaritalStatus.MARRIED
        )
        return register_person(
            self.session,
            PersonInput(
                nik=nik,
                kk_number=kk,
                full_name=f"{first} {rng.choice(FAMILY)}",
                sex=sex,
                birth_date=birth,
                marital_status=marital.value,
                village_code=village.code,
                birth_place=village.name,
                address=f"{rng.choice(STREETS)} RT {rng.randint(1, 30):02d}",
                phone=f"08{rng.randint(11, 59)}{rng.randint(10_000_000, 99_999_999)}",
                is_breadwinner=True,
            ),
            actor=self.actor,
        )


DEMO_LETTERHEAD = {
    "address": "Jalan Contoh Nomor 1, Samarinda 75111 (alamat contoh untuk demo)",
    "signatory_name": "Nama Pejabat Contoh, S.Sos., M.Si.",
    "signatory_rank": "Pembina Utama Muda (IV/c)",
    "signatory_nip": "197001011995031001",
}
"""A fictional signatory and address for demo and test databases (never a real person)."""


def ensure_demo_letter_settings(session: Session) -> None:
    """Fill the letter settings' empty address and signatory with the demo values."""
    from casework.models.letter import LetterSettings

    settings = session.scalars(select(LetterSettings).order_by(LetterSettings.id)).first()
    if settings is None:
        settings = LetterSettings(
            letterhead_lines=["PEMERINTAH PROVINSI KALIMANTAN TIMUR", "DINAS SOSIAL"],
            signatory_position="Kepala Dinas Sosial Provinsi Kalimantan Timur",
            tembusan=["Gubernur Kalimantan Timur (sebagai laporan)"],
        )
        session.add(settings)
    for name, value in DEMO_LETTERHEAD.items():
        if not getattr(settings, name):
            setattr(settings, name, value)
    session.flush()


def seed_demo(session: Session, *, store: DocumentStore, cases: int = 300, seed: int = 2026) -> str:
    """Reference data, one user per role and ``cases`` cases in every state and kabupaten."""
    ensure_reference_data(session)
    ensure_demo_letter_settings(session)
    users = _demo_users(session)
    actors = {
        Role.CASEWORKER: users["pendamping"],
        Role.VERIFIER: users["verifikator"],
        Role.FINANCE: users["keuangan"],
        Role.MANAGER: users["kabid"],
    }
    rng = random.Random(seed)
    regencies = list(
        session.scalars(
            select(Region).where(Region.level == RegionLevel.REGENCY).order_by(Region.code)
        )
    )
    villages: dict[str, list[Region]] = {}
    for village in session.scalars(select(Region).where(Region.level == RegionLevel.VILLAGE)):
        villages.setdefault(village.code[:5], []).append(village)
    programs = {p.code: p for p in session.scalars(select(Program))}
    business = list(session.scalars(select(BusinessType)))
    states = [s for s in CaseState]
    now = clock.now()
    maker = _PersonMaker(session, rng, users["pendamping"])
    for i in range(cases):
        regency = regencies[i % len(regencies)]
        village = rng.choice(villages[regency.code])
        program = programs[("WRSE", "UEP", "UEP", "KUBE")[i % 4]]
        target = states[i % len(states)]
        days_back = rng.randint(20, 240)
        start = now - timedelta(days=days_back)
        year = start.astimezone(clock.WITA).year
        if program.rules_for(year) is None:
            year = 2026
        with clock.frozen(start):
            today = clock.today_wita()
            if program.code == "KUBE":
                members = [
                    maker.make(village, sex=rng.choice("LP"), age=rng.randint(25, 55), today=today)
                    for _ in range(5)
                ]
                roles = [
                    GroupRole.CHAIR,
                    GroupRole.SECRETARY,
                    GroupRole.TREASURER,
                    GroupRole.MEMBER,
                    GroupRole.MEMBER,
                ]
                group = register_group(
                    session,
                    GroupInput(
                        name=f"{rng.choice(('Maju', 'Sejahtera', 'Berkah', 'Mandiri', 'Harapan'))} "
                        f"{village.name.title()} {i}",
                        village_code=village.code,
                        business_type_id=rng.choice(business).id,
                        members=[
                            MemberInput(m.id, r.value) for m, r in zip(members, roles, strict=True)
                        ],
                    ),
                    actor=users["pendamping"],
                )
                applicant: dict[str, int | None] = {"group_id": group.id}
            else:
                sex = "P" if program.code == "WRSE" else rng.choice("LP")
                person = maker.make(village, sex=sex, age=rng.randint(22, 55), today=today)
                applicant = {"person_id": person.id}
            kind = rng.choice(business)
            case = open_case(
                session,
                CaseInput(
                    program_id=program.id,
                    fiscal_year=year,
                    business_type_id=kind.id,
                    requested_package=f"Paket usaha {kind.name.lower()}",
                    requested_amount=(program.rules_for(year) or program.years[-1]).unit_value,
                    **applicant,
                ),
                actor=users["pendamping"],
            )
        step = timedelta(days=days_back) / 14
        with clock.frozen(start + timedelta(hours=2)):
            drive_to(session, case, target, actors=actors, store=store, step=step)
    session.flush()
    count = session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) or 0
    return (
        f"demo data: {len(DEMO_USERS)} users (password {DEMO_PASSWORD}), "
        f"{cases} cases (last id {count}), {len(regencies)} kabupaten/kota"
    )
