"""``flask --app wsgi bench seed --cases N``: a realistic case load, set-based and resumable.

Synthetic data for measurements, written with Core inserts in batches (no engine, no
services: this is a generator, not a workflow). What it writes, per batch of cases:

* persons with unique, well-formed NIKs (kecamatan code + birth date + sex + serial from a
  running counter, serials 9000–9999 so demo data does not collide) and No. KK, in every
  village of the ten kabupaten/kota; women for WRSE;
* for KUBE cases a group of five members (ketua, sekretaris, bendahara, two anggota);
* cases of all programs (WRSE, UEP, KUBE) and fiscal years with rules, spread over all
  states with a realistic distribution (most closed or rejected, a tail in every open
  state), numbered from the program's sequence, with a deadline for open states (the
  engine's ``due_at_for``), an assignee for most, a pokir line for some;
* the case's last (up to) three events along the shortest workflow path to its state,
  versions consistent with the case's version;
* document metadata rows (KTP for every submitted case, KK for every other one).

Resumable: ``--cases`` is the total wanted; cases already written by the generator's user
count, and every batch commits on its own. Ids are given explicitly (the generator is the
only writer while it runs); PostgreSQL's id sequences are moved past them at the end.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.orm import Session

from casework import clock
from casework.models import Case, CaseState, Person, Program, Role, User
from casework.models.case import CaseEvent, CaseNumberSequence
from casework.models.person import Group, GroupMember, GroupRole, name_key
from casework.models.pokir import DprdMember, PokirLine
from casework.models.program import BusinessType, DocumentKind
from casework.models.region import Region, RegionLevel
from casework.models.verification import Document
from casework.services.reference import ensure_reference_data
from casework.services.users import create_user
from workflows.definition import StateDef, TransitionDef, WorkflowDefinition
from workflows.engine import due_at_for
from workflows.programs import DEFINITIONS

try:  # the keyed-hash NIK columns, once persons are encrypted at rest
    from casework.privacy import person_identity_values as _identity_values

    _HASHED = hasattr(Person, "nik_hash")
except ImportError:  # pragma: no cover - before the privacy change
    _HASHED = False

BENCH_USER = "bench-seed"
PASSWORD = "bench-password-not-secret"
BATCH = 10_000
SERIAL_BASE = 9_000
BIRTH_DAYS = 16_000  # 1960-01-01 + up to ~44 years
EVENTS_KEPT = 3
KUBE_MEMBERS = (
    GroupRole.CHAIR,
    GroupRole.SECRETARY,
    GroupRole.TREASURER,
    GroupRole.MEMBER,
    GroupRole.MEMBER,
)
PROGRAM_SHARE = {"WRSE": 0.45, "UEP": 0.40, "KUBE": 0.15}
# Share of cases per state (normalised per program over the states its workflow reaches).
STATE_WEIGHTS = {
    CaseState.DRAFT: 3,
    CaseState.SUBMITTED: 5,
    CaseState.ADMIN_VERIFICATION: 4,
    CaseState.DTSEN_CHECK: 3,
    CaseState.FIELD_ASSESSMENT: 4,
    CaseState.RECOMMENDED: 3,
    CaseState.POKIR_REVIEW: 2,
    CaseState.APPROVED: 3,
    CaseState.DECREED: 3,
    CaseState.PROCUREMENT: 4,
    CaseState.DELIVERED: 3,
    CaseState.AWAITING_REPORT: 7,
    CaseState.MONITORING: 7,
    CaseState.CLOSED: 30,
    CaseState.NON_COMPLIANT: 2,
    CaseState.RETURNED: 2,
    CaseState.REJECTED: 12,
    CaseState.CANCELLED: 3,
}
POKIR_STATES = {
    CaseState.POKIR_REVIEW,
    CaseState.APPROVED,
    CaseState.DECREED,
    CaseState.PROCUREMENT,
    CaseState.DELIVERED,
    CaseState.AWAITING_REPORT,
    CaseState.MONITORING,
    CaseState.CLOSED,
    CaseState.NON_COMPLIANT,
}
FIRST_NAMES_F = [
    "Siti",
    "Nur",
    "Sri",
    "Dewi",
    "Rina",
    "Ani",
    "Wati",
    "Yuli",
    "Fitri",
    "Lestari",
    "Ratna",
    "Indah",
    "Wulan",
    "Ayu",
    "Putri",
    "Sari",
    "Rahma",
    "Aisyah",
    "Fatimah",
    "Maria",
    "Agustina",
    "Hartini",
    "Suryani",
    "Mulyani",
    "Kartini",
    "Nurhayati",
]
FIRST_NAMES_M = [
    "Ahmad",
    "Muhammad",
    "Budi",
    "Agus",
    "Andi",
    "Rudi",
    "Hendra",
    "Joko",
    "Bambang",
    "Eko",
    "Dedi",
    "Arif",
    "Yusuf",
    "Irwan",
    "Syamsul",
    "Rahmat",
    "Hasan",
    "Abdul",
    "Fajar",
    "Heru",
    "Wahyu",
    "Slamet",
    "Daeng",
    "Aji",
    "Hamka",
]
FAMILY_NAMES = [
    "Rahmawati",
    "Susanti",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Pratama",
    "Nugroho",
    "Santoso",
    "Setiawan",
    "Lestari",
    "Handayani",
    "Purnama",
    "Hakim",
    "Syahrani",
    "Basri",
    "Mappa",
    "Lamba",
    "Ismail",
    "Tanjung",
    "Siregar",
    "Rasyid",
    "Hamzah",
    "Latif",
    "Anwar",
    "Sulaiman",
    "Yusran",
    "Amir",
]
KUBE_WORDS = [
    "Maju",
    "Bersama",
    "Sejahtera",
    "Mandiri",
    "Harapan",
    "Makmur",
    "Berkah",
    "Sentosa",
    "Jaya",
    "Karya",
]
STREETS = ["Jl. Poros", "Jl. Pahlawan", "Jl. Merdeka", "Jl. Mulawarman", "Gg. Melati"]


def fast_nik(district_digits: str, birth: date, sex: str, serial: int) -> str:
    """``casework.identity.build_nik`` for checked arguments, without its checks (hot loop;
    tests/scale checks the two agree)."""
    day = birth.day + (40 if sex == "P" else 0)
    return f"{district_digits}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def identity_columns(nik: str, kk: str) -> dict[str, str]:
    """The NIK/KK columns of a person row: keyed hashes once they exist, clear before."""
    return _identity_values(nik, kk) if _HASHED else {"nik": nik, "kk_number": kk}


def person_row(n: int, person_id: int, village: Village, sex: str, ctx: RowContext) -> dict:
    """Person number ``n`` of the generator (the counter makes the NIK unique)."""
    rnd = ctx.rnd
    birth = date(1960, 1, 1) + timedelta(days=n % BIRTH_DAYS)
    serial = SERIAL_BASE + (n // BIRTH_DAYS) % (10_000 - SERIAL_BASE)
    nik = fast_nik(village.district_digits, birth, sex, serial)
    kk = nik[:6] + f"{n:010d}"
    first = rnd.choice(FIRST_NAMES_F if sex == "P" else FIRST_NAMES_M)
    full_name = f"{first} {rnd.choice(FAMILY_NAMES)}"
    return {
        "id": person_id,
        **identity_columns(nik, kk),
        "full_name": full_name,
        "name_key": name_key(full_name),
        "sex": sex,
        "birth_place": village.name,
        "birth_date": birth,
        "marital_status": rnd.choice(("kawin", "cerai_mati", "cerai_hidup", "belum_kawin")),
        "is_breadwinner": sex == "P" or rnd.random() < 0.8,
        "address": f"{rnd.choice(STREETS)} RT {rnd.randint(1, 40):02d}",
        "email": None,
        "village_code": village.code,
        "regency_code": village.regency,
        "phone": f"08{rnd.randint(10**9, 10**10 - 1)}",
        "created_at": ctx.now,
        "created_by_id": ctx.creator_id,
    }


@dataclass(frozen=True)
class Village:
    code: str
    district: str
    regency: str
    name: str

    @property
    def district_digits(self) -> str:
        return self.district.replace(".", "")


@dataclass(frozen=True)
class ProgramInfo:
    id: int
    code: str
    definition: WorkflowDefinition
    years: tuple[int, ...]
    unit_value: dict[int, int]
    # state -> shortest path of transitions from the initial state
    paths: dict[str, list[TransitionDef]]
    states: tuple[str, ...]
    weights: tuple[float, ...]


@dataclass
class RowContext:
    rnd: random.Random
    now: datetime
    creator_id: int


@dataclass
class Plan:
    """Everything the batches draw from, read (or created) once."""

    programs: list[ProgramInfo]
    villages: list[Village]
    business_types: list[int]
    assignees: dict[str, list[int]]
    pokir_lines: dict[tuple[int, int, str], int]
    creator_id: int
    due_cache: dict[tuple[str, str, int, date], datetime | None] = field(default_factory=dict)


def shortest_paths(definition: WorkflowDefinition) -> dict[str, list[TransitionDef]]:
    """Breadth-first: the shortest transition path from the initial state to each state."""
    start = definition.initial.value
    paths: dict[str, list[TransitionDef]] = {start: []}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        for t in definition.transitions_from(state):
            if t.dest.value not in paths:
                paths[t.dest.value] = [*paths[state], t]
                queue.append(t.dest.value)
    return paths


def _program_info(session: Session, program: Program) -> ProgramInfo:
    definition = DEFINITIONS[program.workflow]
    paths = shortest_paths(definition)
    states = tuple(s.value for s in STATE_WEIGHTS if s.value in paths)
    years = {y.fiscal_year: y.unit_value for y in program.years}
    return ProgramInfo(
        id=program.id,
        code=program.code,
        definition=definition,
        years=tuple(sorted(years)),
        unit_value=years,
        paths=paths,
        states=states,
        weights=tuple(float(STATE_WEIGHTS[CaseState(s)]) for s in states),
    )


def _villages(session: Session) -> list[Village]:
    district = Region.__table__.alias("district")
    rows = session.execute(
        select(Region.code, Region.parent_code, district.c.parent_code, Region.name)
        .join(district, district.c.code == Region.parent_code)
        .where(Region.level == RegionLevel.VILLAGE)
        .order_by(Region.code)
    )
    return [Village(code, d or "", r or "", name) for code, d, r, name in rows]


def _creator(session: Session) -> int:
    found = session.scalar(select(User.id).where(User.username == BENCH_USER))
    if found is not None:
        return found
    return create_user(
        session,
        username=BENCH_USER,
        full_name="Bench Seed",
        role=Role.ADMIN.value,
        password=PASSWORD,
    ).id


def _assignees(session: Session, regencies: list[str]) -> dict[str, list[int]]:
    """Two caseworkers and a verifier per kabupaten/kota (created once)."""
    found: dict[str, list[int]] = {}
    for regency in regencies:
        ids = []
        for n, role in enumerate((Role.CASEWORKER, Role.CASEWORKER, Role.VERIFIER)):
            username = f"bench-{regency.replace('.', '')}-{n}"
            uid = session.scalar(select(User.id).where(User.username == username))
            if uid is None:
                uid = create_user(
                    session,
                    username=username,
                    full_name=f"Petugas {regency} {n + 1}",
                    role=role.value,
                    password=PASSWORD,
                    region_code=regency,
                ).id
            ids.append(uid)
        found[regency] = ids
    return found


def _pokir_lines(
    session: Session, programs: list[ProgramInfo], regencies: list[str], creator_id: int
) -> dict[tuple[int, int, str], int]:
    """One DPRD member and one pokir line per fiscal year, program and kabupaten/kota."""
    member_id = session.scalar(select(DprdMember.id).where(DprdMember.name == "Bench Anggota"))
    if member_id is None:
        member = DprdMember(name="Bench Anggota", fraksi="Bench", dapil="Kaltim", komisi="IV")
        session.add(member)
        session.flush()
        member_id = member.id
    lines: dict[tuple[int, int, str], int] = {}
    for p in programs:
        for year in p.years:
            for regency in regencies:
                ref = f"BENCH-{p.code}-{regency}"
                line_id = session.scalar(
                    select(PokirLine.id).where(
                        PokirLine.fiscal_year == year, PokirLine.sipd_ref == ref
                    )
                )
                if line_id is None:
                    line = PokirLine(
                        fiscal_year=year,
                        member_id=member_id,
                        sipd_ref=ref,
                        program_id=p.id,
                        regency_code=regency,
                        quota=10_000,
                        ceiling=10**12,
                        reses_date=date(year - 1, 8, 1),
                        created_by_id=creator_id,
                    )
                    session.add(line)
                    session.flush()
                    line_id = line.id
                lines[(year, p.id, regency)] = line_id
    return lines


def make_plan(session: Session) -> Plan:
    ensure_reference_data(session)
    programs = [
        _program_info(session, p)
        for p in session.scalars(select(Program).where(Program.code.in_(PROGRAM_SHARE)))
    ]
    if len(programs) != len(PROGRAM_SHARE):
        raise RuntimeError("reference data missing: run the migrations and load regions")
    villages = _villages(session)
    if not villages:
        raise RuntimeError("no villages: run `flask --app wsgi regions load` first")
    regencies = sorted({v.regency for v in villages})
    creator_id = _creator(session)
    plan = Plan(
        programs=programs,
        villages=villages,
        business_types=list(session.scalars(select(BusinessType.id).order_by(BusinessType.id))),
        assignees=_assignees(session, regencies),
        pokir_lines=_pokir_lines(session, programs, regencies, creator_id),
        creator_id=creator_id,
    )
    session.flush()
    return plan


# --- one batch ---------------------------------------------------------------------------


@dataclass
class Counters:
    """Where the next batch starts: next ids, the person counter, the case sequences."""

    person: int
    group: int
    case: int
    event: int
    document: int
    member: int
    person_serial: int
    sequences: dict[tuple[str, int], int]


def _next_id(session: Session, table: Any) -> int:
    return int(session.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def read_counters(session: Session, creator_id: int) -> Counters:
    return Counters(
        person=_next_id(session, Person.__table__),
        group=_next_id(session, Group.__table__),
        case=_next_id(session, Case.__table__),
        event=_next_id(session, CaseEvent.__table__),
        document=_next_id(session, Document.__table__),
        member=_next_id(session, GroupMember.__table__),
        person_serial=int(
            session.scalar(
                select(func.count()).select_from(Person).where(Person.created_by_id == creator_id)
            )
            or 0
        ),
        sequences={
            (s.program_code, s.fiscal_year): s.last_value
            for s in session.scalars(select(CaseNumberSequence))
        },
    )


@dataclass
class Rows:
    persons: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    members: list[dict] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    documents: list[dict] = field(default_factory=list)


class BatchBuilder:
    """Builds the rows of one batch; ids and numbers continue from ``counters``."""

    def __init__(self, plan: Plan, counters: Counters, rnd: random.Random, now: datetime):
        self.plan, self.c, self.rnd, self.now = plan, counters, rnd, now
        self.ctx = RowContext(rnd, now, plan.creator_id)
        self.rows = Rows()
        self.shares = [PROGRAM_SHARE[p.code] for p in plan.programs]

    def _person(self, village: Village, sex: str) -> int:
        pid = self.c.person
        self.rows.persons.append(person_row(self.c.person_serial, pid, village, sex, self.ctx))
        self.c.person += 1
        self.c.person_serial += 1
        return pid

    def _group(self, village: Village) -> int:
        gid = self.c.group
        name = f"{self.rnd.choice(KUBE_WORDS)} {self.rnd.choice(KUBE_WORDS)} {village.name} {gid}"
        self.rows.groups.append(
            {
                "id": gid,
                "name": name,
                "name_key": name_key(name),
                "village_code": village.code,
                "regency_code": village.regency,
                "business_type_id": self.rnd.choice(self.plan.business_types),
                "created_at": self.now,
            }
        )
        for role in KUBE_MEMBERS:
            person_id = self._person(village, self.rnd.choice("LP"))
            self.rows.members.append(
                {"id": self.c.member, "group_id": gid, "person_id": person_id, "role": role.value}
            )
            self.c.member += 1
        self.c.group += 1
        return gid

    def _number(self, code: str, year: int) -> str:
        key = (code, year)
        self.c.sequences[key] = self.c.sequences.get(key, 0) + 1
        return f"{code}-{year}-{self.c.sequences[key]:06d}"

    def _due(self, p: ProgramInfo, state: StateDef, year: int, entered: datetime) -> Any:
        key = (p.code, state.name.value, year, entered.date())
        if key not in self.plan.due_cache:
            self.plan.due_cache[key] = due_at_for(state, Case(fiscal_year=year), entered)
        return self.plan.due_cache[key]

    def add_case(self) -> None:
        rnd, plan = self.rnd, self.plan
        p = rnd.choices(plan.programs, self.shares)[0]
        state = rnd.choices(p.states, p.weights)[0]
        state_def = p.definition.state(state)
        year = rnd.choice(p.years)
        village = rnd.choice(plan.villages)
        path = p.paths[state]
        # final states are older; open ones entered recently (deadlines near now)
        age_days = rnd.uniform(30, 700) if state_def.final else rnd.expovariate(1 / 8)
        entered = (self.now - timedelta(days=age_days)).replace(microsecond=0)
        case_id = self.c.case
        if p.code == "KUBE":
            person_id, group_id = None, self._group(village)
        else:
            sex = "P" if p.code == "WRSE" else rnd.choice("LP")
            person_id, group_id = self._person(village, sex), None
        assignees = plan.assignees[village.regency]
        line = plan.pokir_lines.get((year, p.id, village.regency))
        pokir = line if CaseState(state) in POKIR_STATES and rnd.random() < 0.1 else None
        created = entered - timedelta(days=2 * len(path) + 1)
        self.rows.cases.append(
            {
                "id": case_id,
                "number": self._number(p.code, year),
                "program_id": p.id,
                "fiscal_year": year,
                "person_id": person_id,
                "group_id": group_id,
                "village_code": village.code,
                "regency_code": village.regency,
                "business_type_id": rnd.choice(plan.business_types),
                "requested_package": "Paket usaha",
                "requested_amount": p.unit_value[year],
                "state": state,
                "version": len(path) + 1,
                "state_entered_at": entered,
                "due_at": None if state_def.final else self._due(p, state_def, year, entered),
                "assignee_id": rnd.choice(assignees) if rnd.random() < 0.8 else None,
                "pokir_line_id": pokir,
                "dtsen_override_reason": None,
                "dtsen_override_by_id": None,
                "created_at": created,
                "created_by_id": plan.creator_id,
            }
        )
        self._events(case_id, p, state, entered)
        if path:
            self._documents(case_id, created)
        self.c.case += 1

    def _events(self, case_id: int, p: ProgramInfo, state: str, entered: datetime) -> None:
        """The last transitions of the path to ``state``; versions end at the case's."""
        path = p.paths[state]
        states = [p.definition.initial.value, *(t.dest.value for t in path)]
        start = max(0, len(path) - EVENTS_KEPT)
        for i in range(start, len(path)):
            self.rows.events.append(
                {
                    "id": self.c.event,
                    "case_id": case_id,
                    "trigger": path[i].trigger,
                    "from_state": states[i],
                    "to_state": states[i + 1],
                    "actor_id": self.plan.creator_id,
                    "reason": None,
                    "at": entered - timedelta(days=2 * (len(path) - 1 - i)),
                    "case_version": i + 2,
                }
            )
            self.c.event += 1

    def _documents(self, case_id: int, created: datetime) -> None:
        kinds = [DocumentKind.KTP] + ([DocumentKind.KK] if case_id % 2 == 0 else [])
        for kind in kinds:
            self.rows.documents.append(
                {
                    "id": self.c.document,
                    "case_id": case_id,
                    "kind": kind.value,
                    "original_name": f"{kind.value}.pdf",
                    "stored_name": f"bench-{case_id}-{kind.value}",
                    "content_type": "application/pdf",
                    "size_bytes": 120_000 + case_id % 50_000,
                    "sha256": f"{case_id:064x}",
                    "uploaded_at": created,
                    "uploaded_by_id": self.plan.creator_id,
                }
            )
            self.c.document += 1


def write_rows(session: Session, rows: Rows) -> None:
    """Insert the batch, parents first: COPY on PostgreSQL, executemany on SQLite.

    The columns' bind processors (UTC datetimes, encrypted numbers) run once per value
    here; the driver gets plain tuples, without SQLAlchemy's per-row parameter handling.
    """
    connection = session.connection()
    for table, data in (
        (Person.__table__, rows.persons),
        (Group.__table__, rows.groups),
        (GroupMember.__table__, rows.members),
        (Case.__table__, rows.cases),
        (CaseEvent.__table__, rows.events),
        (Document.__table__, rows.documents),
    ):
        if data:
            assert isinstance(table, Table)
            _write_table(connection, table, data)


def _bound_tuples(table: Table, dialect: Any, data: list[dict]) -> tuple[list[str], list[tuple]]:
    names = list(data[0])
    processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
    if not any(processors):
        return names, [tuple(row.values()) for row in data]
    steps = list(enumerate(processors))
    tuples = []
    for row in data:
        values = list(row.values())
        for i, process in steps:
            if process is not None:
                values[i] = process(values[i])
        tuples.append(tuple(values))
    return names, tuples


def _write_table(connection: Any, table: Table, data: list[dict]) -> None:
    dialect = connection.dialect
    names, tuples = _bound_tuples(table, dialect, data)
    columns = ", ".join(names)
    if dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        sql = f"COPY {table.name} ({columns}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in tuples:
                copy.write_row(row)
        return
    marks = ", ".join("?" * len(names))
    connection.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", tuples)


def save_sequences(session: Session, sequences: dict[tuple[str, int], int]) -> None:
    for (code, year), last in sequences.items():
        row = session.scalar(
            select(CaseNumberSequence).where(
                CaseNumberSequence.program_code == code, CaseNumberSequence.fiscal_year == year
            )
        )
        if row is None:
            session.add(CaseNumberSequence(program_code=code, fiscal_year=year, last_value=last))
        elif row.last_value < last:
            row.last_value = last
    session.flush()


def seeded_cases(session: Session, creator_id: int) -> int:
    stmt = select(func.count()).select_from(Case).where(Case.created_by_id == creator_id)
    return int(session.scalar(stmt) or 0)


def seed_batches(unit_of_work: Callable[[], Any], total: int, batch: int = BATCH) -> Iterator[int]:
    """Seed until ``total`` generator cases exist; yield the cases written per batch."""
    with unit_of_work() as session:
        plan = make_plan(session)
        done = seeded_cases(session, plan.creator_id)
    while done < total:
        size = min(batch, total - done)
        with unit_of_work() as session:
            counters = read_counters(session, plan.creator_id)
            builder = BatchBuilder(plan, counters, random.Random(done), clock.now())
            for _ in range(size):
                builder.add_case()
            write_rows(session, builder.rows)
            save_sequences(session, counters.sequences)
        done += size
        yield size


def finish(session: Session) -> None:
    """Move PostgreSQL's id sequences past the explicit ids; refresh planner statistics."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        for table in ("persons", "groups", "group_members", "cases", "case_events", "documents"):
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT coalesce(max(id), 1) FROM {table}))"
                )
            )
    session.execute(text("ANALYZE"))


def utc_now() -> datetime:
    return datetime.now(UTC)
