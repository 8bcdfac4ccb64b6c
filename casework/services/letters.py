"""Letters: issued by workflow transitions as outbox rows, rendered after commit, voided or
re-issued by managers, verified by anyone holding the code.

The engine calls ``check_letter_settings`` before it writes anything and
``issue_case_letters`` (or ``issue_letters_for_cases`` on the set-based path) after, in
the transition's transaction: the number is taken there, so a rolled-back transition leaves
no letter and no used number. ``render_pending_letters`` runs after commit (the web layer
right after the request, the scheduler every minute) and never holds a transaction while
WeasyPrint works.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy import case as when
from sqlalchemy.orm import Session, selectinload

from casework import clock
from casework.errors import FieldErrors, GuardFailed, NotAllowed, NotFound
from casework.i18n import N_, LabelList
from casework.letters.content import Reading, document_for, letterhead, recipient_of
from casework.letters.kinds import KINDS
from casework.letters.numbering import FIELDS, format_number, reserve, template_fields
from casework.letters.render import LetterRenderer, default_renderer
from casework.letters.store import LetterStore, StoredLetter
from casework.letters.worker import render_each
from casework.models.case import Case
from casework.models.letter import Letter, LetterSettings, LetterStatus
from casework.models.person import Group, GroupMember
from casework.models.user import Role, User
from casework.services.access import get_scoped, require_role

log = logging.getLogger("berdaya.letters")

ISSUED_KEY = "berdaya.letters_issued"
"""``session.info`` key listing the ids of letters issued in the session's transaction."""
CLAIM_TIMEOUT = timedelta(minutes=10)
RENDER_BATCH = 20
LETTER_MANAGERS = frozenset({Role.ADMIN, Role.MANAGER})
SETTING_LABELS = {
    "letterhead_lines": N_("Letterhead lines"),
    "address": N_("Letterhead address"),
    "city": N_("City"),
    "kka": N_("Archive classification code (KKA)"),
    "unit_code": N_("Unit code"),
    "number_template": N_("Number template"),
    "signatory_position": N_("Signatory position"),
    "signatory_name": N_("Signatory name"),
    "signatory_nip": N_("Signatory NIP"),
}

UnitOfWork = Callable[[], AbstractContextManager[Session]]


# --- settings -------------------------------------------------------------------------


class LetterSettingsIncomplete(GuardFailed):
    """Letters cannot be issued: the letterhead or the signatory is not configured."""

    def __init__(self, missing: Sequence[str]) -> None:
        self.missing = list(missing)
        super().__init__(
            "letter_settings",
            N_("Letters cannot be issued until the letter settings are complete: %(missing)s."),
            missing=LabelList(SETTING_LABELS[name] for name in missing),
        )


def current_settings(session: Session) -> LetterSettings | None:
    """The letter settings row (None before any is configured)."""
    return session.scalars(select(LetterSettings).order_by(LetterSettings.id)).first()


def missing_settings(settings: LetterSettings | None) -> list[str]:
    """Names of the required settings that are empty."""
    if settings is None:
        return list(SETTING_LABELS)
    missing = [
        name
        for name in SETTING_LABELS
        if name != "letterhead_lines" and not str(getattr(settings, name) or "").strip()
    ]
    if not any(line.strip() for line in settings.letterhead_lines or []):
        missing.insert(0, "letterhead_lines")
    return missing


def check_letter_settings(session: Session) -> LetterSettings:
    """The settings, complete; LetterSettingsIncomplete (before any number is taken) if not."""
    settings = current_settings(session)
    missing = missing_settings(settings)
    if missing:
        raise LetterSettingsIncomplete(missing)
    assert settings is not None
    return settings


@dataclass
class LetterSettingsInput:
    letterhead_lines: list[str]
    address: str
    city: str
    kka: str
    unit_code: str
    number_template: str
    signatory_position: str
    signatory_name: str
    signatory_nip: str
    signatory_rank: str = ""
    contact: str = ""
    logo_path: str = ""
    tembusan: list[str] = field(default_factory=list)


def _lines(values: Iterable[str]) -> list[str]:
    return [v.strip() for v in values if v and v.strip()]


def _check_settings_input(data: LetterSettingsInput) -> None:
    errors = FieldErrors()
    if not _lines(data.letterhead_lines):
        errors.add("letterhead_lines", N_("This field is required."))
    for name in ("address", "city", "kka", "unit_code", "signatory_position", "signatory_name"):
        if not str(getattr(data, name)).strip():
            errors.add(name, N_("This field is required."))
    nip = data.signatory_nip.strip()
    if not (len(nip) == 18 and nip.isdigit()):
        errors.add("signatory_nip", N_("A NIP has 18 digits."))
    try:
        names = template_fields(data.number_template)
    except ValueError:
        names = {"?"}
    if "seq" not in names or not names <= FIELDS:
        errors.add(
            "number_template",
            N_("Use {seq} and only these fields: %(fields)s."),
            fields=", ".join("{" + f + "}" for f in sorted(FIELDS)),
        )
    errors.raise_if_any()


def update_letter_settings(
    session: Session, data: LetterSettingsInput, *, actor: User
) -> LetterSettings:
    """Set the letterhead, numbering and signatory (administrators); all fields checked."""
    require_role(actor, {Role.ADMIN})
    _check_settings_input(data)
    settings = current_settings(session)
    if settings is None:
        settings = LetterSettings()
        session.add(settings)
    settings.letterhead_lines = _lines(data.letterhead_lines)
    settings.tembusan = _lines(data.tembusan)
    for name in ("address", "contact", "logo_path", "city", "kka", "unit_code",
                 "number_template", "signatory_position", "signatory_name", "signatory_rank",
                 "signatory_nip"):  # fmt: skip
        setattr(settings, name, str(getattr(data, name)).strip())
    settings.updated_at = clock.now()
    settings.updated_by_id = actor.id
    session.flush()
    return settings


# --- issuing --------------------------------------------------------------------------


def _remember(session: Session, ids: Iterable[int]) -> None:
    session.info.setdefault(ISSUED_KEY, []).extend(ids)


remember_issued = _remember
"""Note letters written in the session's transaction, to render them after its commit."""


def _row(
    settings: LetterSettings,
    case: Case,
    kind: str,
    seq: int,
    today: date,
    values: dict[str, Any],
) -> dict[str, Any]:
    name, nik = recipient_of(case)
    number = format_number(
        settings.number_template,
        kka=settings.kka,
        seq=seq,
        unit=settings.unit_code,
        year=today.year,
        month=today.month,
    )
    return {
        **values,
        "kind": kind,
        "case_id": case.id,
        "unit": settings.unit_code,
        "year": today.year,
        "seq": seq,
        "number": number,
        "version": 1,
        "letter_date": today,
        "template_name": KINDS[kind].template,
        "template_version": default_renderer().template_version(KINDS[kind]),
        "recipient_name": name[:200],
        "recipient_nik_masked": nik,
        "status": LetterStatus.PENDING.value,
        "verify_code": secrets.token_urlsafe(24),
    }


def issue_case_letters(
    session: Session,
    case: Case,
    kinds: Sequence[str],
    *,
    trigger: str,
    reason: str | None,
    actor: User,
    settings: LetterSettings | None = None,
) -> list[Letter]:
    """Write the letters a transition issues to the case's applicant (numbers taken now).

    Flushes in the transition's transaction; the PDFs are rendered after commit.
    """
    return _issue(session, [case], kinds, trigger, reason, actor, settings)


def issue_letters_for_cases(
    session: Session,
    case_ids: Sequence[int],
    kinds: Sequence[str],
    *,
    trigger: str,
    reason: str | None,
    actor: User,
) -> list[Letter]:
    """The set-based twin of ``issue_case_letters``: one number reservation for all."""
    settings = check_letter_settings(session)
    cases: list[Case] = []
    for start in range(0, len(case_ids), 500):
        cases.extend(
            session.scalars(
                select(Case)
                .where(Case.id.in_(case_ids[start : start + 500]))
                .options(
                    selectinload(Case.person),
                    selectinload(Case.group)
                    .selectinload(Group.members)
                    .selectinload(GroupMember.person),
                )
                .order_by(Case.id)
            )
        )
    return _issue(session, cases, kinds, trigger, reason, actor, settings)


def _issue(
    session: Session,
    cases: Sequence[Case],
    kinds: Sequence[str],
    trigger: str,
    reason: str | None,
    actor: User,
    settings: LetterSettings | None,
) -> list[Letter]:
    settings = settings or check_letter_settings(session)
    if not cases or not kinds:
        return []
    today, now = clock.today_wita(), clock.now()
    first = reserve(session, settings.unit_code, today.year, len(cases) * len(kinds))
    values = {"trigger": trigger, "reason": reason, "issued_at": now, "issued_by_id": actor.id}
    rows = [
        _row(settings, case, kind, first + i * len(kinds) + j, today, values)
        for i, case in enumerate(cases)
        for j, kind in enumerate(kinds)
    ]
    letters = list(session.scalars(insert(Letter).returning(Letter), rows))
    _remember(session, (letter.id for letter in letters))
    return letters


# --- rendering ------------------------------------------------------------------------


def verify_url(base_url: str, code: str) -> str:
    """The public verification address of a letter."""
    return f"{base_url.rstrip('/')}/verify/{code}"


def stored_name(letter: Letter) -> str:
    """Where a letter's PDF is stored under LETTER_DIR: one file per version, never reused."""
    return f"{letter.year}/{letter.id:08d}-v{letter.version}-{letter.verify_code[:8]}.pdf"


def _claim(
    session: Session,
    ids: Sequence[int] | None,
    limit: int,
    now: datetime,
    timeout: timedelta = CLAIM_TIMEOUT,
) -> list[int]:
    claimable = and_(
        Letter.status == LetterStatus.PENDING.value,
        or_(Letter.claimed_at.is_(None), Letter.claimed_at <= now - timeout),
    )
    wanted = select(Letter.id).where(claimable).order_by(Letter.id).limit(limit)
    if ids is not None:
        wanted = wanted.where(Letter.id.in_(ids))
    claimed = session.execute(
        update(Letter)
        .where(Letter.id.in_(wanted.scalar_subquery()), claimable)
        .values(claimed_at=now)
        .returning(Letter.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


@dataclass(frozen=True)
class _Job:
    """One letter to render, read inside a unit of work, used after it closed."""

    letter_id: int
    kind: str
    path: str
    document: Any


def _jobs(session: Session, ids: Sequence[int], base_url: str) -> list[_Job]:
    from casework.letters.decree import decree_document

    settings = current_settings(session)
    assert settings is not None  # the letters were issued with complete settings
    head = letterhead(settings)
    letters = session.scalars(
        select(Letter)
        .where(Letter.id.in_(ids))
        .options(selectinload(Letter.case).selectinload(Case.person))
        .order_by(Letter.id)
    ).all()
    reading = Reading(session, [x.case_id for x in letters if x.case_id is not None])
    return [
        _Job(
            x.id,
            x.kind,
            stored_name(x),
            decree_document(session, x, head, verify_url(base_url, x.verify_code))
            if x.case_id is None
            else document_for(session, x, head, verify_url(base_url, x.verify_code), reading),
        )
        for x in letters
    ]


def _mark_rendered(
    session: Session, renderer: LetterRenderer, done: Sequence[tuple[int, str, StoredLetter]]
) -> None:
    """Record each rendered letter's file (id, kind, stored file) in ONE statement run for
    all of them: a letter that has a file already keeps it, a letter voided meanwhile keeps
    its status."""
    if not done:
        return
    table = cast(Table, Letter.__table__)
    statement = (
        update(table)
        .where(table.c.id == bindparam("letter_id"), table.c.file_path.is_(None))
        .values(
            file_path=bindparam("stored_path"),
            sha256=bindparam("stored_sha256"),
            size_bytes=bindparam("stored_size"),
            rendered_at=bindparam("stored_at"),
            template_version=bindparam("stored_version"),
            status=when(
                (table.c.status == LetterStatus.PENDING.value, LetterStatus.RENDERED.value),
                else_=table.c.status,
            ),
        )
    )
    now = clock.now()
    session.execute(
        statement,
        [
            {
                "letter_id": letter_id,
                "stored_path": stored.relative_path,
                "stored_sha256": stored.sha256,
                "stored_size": stored.size_bytes,
                "stored_at": now,
                "stored_version": renderer.template_version(KINDS[kind]),
            }
            for letter_id, kind, stored in done
        ],
    )


def render_pending_letters(
    unit_of_work: UnitOfWork,
    store: LetterStore,
    *,
    base_url: str,
    ids: Sequence[int] | None = None,
    limit: int = 200,
    renderer: LetterRenderer | None = None,
) -> int:
    """Render pending letters (those of ``ids`` only, when given) to PDF; return how many.

    Claims rows with a conditional UPDATE (a second scheduler skips them; a claim older than
    CLAIM_TIMEOUT is taken over), renders outside any transaction, stores each PDF once and
    marks the row. A letter voided meanwhile keeps its status and gets its file.
    """
    renderer = renderer or default_renderer()
    with unit_of_work() as session:
        claimed = _claim(session, ids, limit, clock.now())
    done = 0
    start = 0
    try:
        for start in range(0, len(claimed), RENDER_BATCH):
            with unit_of_work() as session:
                jobs = _jobs(session, claimed[start : start + RENDER_BATCH], base_url)
            pdfs = render_each(renderer, [job.document for job in jobs])
            stored = [
                (job, store.save(job.path, pdf))
                for job, pdf in zip(jobs, pdfs, strict=True)
                if pdf is not None
            ]
            with unit_of_work() as session:
                _mark_rendered(
                    session, renderer, [(job.letter_id, job.kind, saved) for job, saved in stored]
                )
            done += len(stored)
    except BaseException:
        _give_back(unit_of_work, claimed[start:])
        raise
    return done


def _give_back(unit_of_work: UnitOfWork, ids: Sequence[int]) -> None:
    """Release the claims of a run that stopped half-way (the database was locked, the disk
    full...), so the next run renders those letters at once instead of after CLAIM_TIMEOUT.
    Best effort: when even this fails, the claims time out as before."""
    if not ids:
        return
    try:
        with unit_of_work() as session:
            session.execute(
                update(Letter)
                .where(Letter.id.in_(ids), Letter.status == LetterStatus.PENDING.value)
                .values(claimed_at=None)
                .execution_options(synchronize_session=False)
            )
    except Exception:
        log.exception("could not release the claims of letters %s", list(ids))


# --- void and re-issue ----------------------------------------------------------------


def _require_manager(session: Session, letter: Letter, actor: User) -> None:
    require_role(actor, LETTER_MANAGERS)
    if letter.case_id is not None:
        get_scoped(session, Case, letter.case_id, actor)
    if letter.voided_at is not None:
        raise NotAllowed(N_("This letter was voided."))
    if letter.superseded_at is not None:
        raise NotAllowed(N_("A newer version of this letter exists."))


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        errors = FieldErrors()
        errors.add("reason", N_("A reason is required for this action."))
        errors.raise_if_any()
    return reason


def void_letter(session: Session, letter: Letter, *, reason: str, actor: User) -> Letter:
    """Void a letter (managers and administrators): it keeps its number and its file, and
    the public page says it is voided."""
    _require_manager(session, letter, actor)
    letter.void_reason = _reason(reason)
    letter.voided_at = clock.now()
    letter.voided_by_id = actor.id
    letter.status = LetterStatus.VOIDED.value
    session.flush()
    return letter


def reissue_letter(session: Session, letter: Letter, *, reason: str, actor: User) -> Letter:
    """Issue a new version of a rendered letter (same number, new code and file); the old
    version is marked superseded and its file is kept as it is."""
    _require_manager(session, letter, actor)
    reason = _reason(reason)
    if letter.status != LetterStatus.RENDERED.value:
        raise NotAllowed(N_("Only a letter whose PDF is ready can be re-issued."))
    check_letter_settings(session)
    now = clock.now()
    letter.superseded_at = now
    copied = ("kind", "case_id", "decree_id", "trigger", "reason", "unit", "year", "seq",
              "number", "template_name", "recipient_name", "recipient_nik_masked")  # fmt: skip
    new = Letter(
        **{name: getattr(letter, name) for name in copied},
        version=letter.version + 1,
        letter_date=clock.today_wita(),
        template_version=default_renderer().template_version(KINDS[letter.kind]),
        issued_at=now,
        issued_by_id=actor.id,
        status=LetterStatus.PENDING.value,
        verify_code=secrets.token_urlsafe(24),
        supersedes_id=letter.id,
        reissue_reason=reason,
    )
    if new.case_id is not None:
        case = session.get_one(Case, new.case_id)
        new.recipient_name, new.recipient_nik_masked = recipient_of(case)
    session.add(new)
    session.flush()
    _remember(session, [new.id])
    return new


# --- reading --------------------------------------------------------------------------


def letters_of_case(session: Session, case_id: int) -> list[Letter]:
    """Every letter of a case, newest first (all versions)."""
    stmt = select(Letter).where(Letter.case_id == case_id).order_by(Letter.id.desc())
    return list(session.scalars(stmt))


def get_letter(session: Session, letter_id: int, actor: User) -> Letter:
    """A letter the actor may read: staff who see personal data, within their region."""
    if not actor.active or not actor.sees_personal_data:
        raise NotAllowed()
    letter = session.get(Letter, letter_id)
    if letter is None:
        raise NotFound()
    if letter.case_id is not None:
        get_scoped(session, Case, letter.case_id, actor)
    return letter


def letter_for_code(session: Session, code: str) -> Letter:
    """The letter with the verification code (NotFound for an unknown code)."""
    letter = session.scalars(select(Letter).where(Letter.verify_code == code)).first()
    if letter is None:
        raise NotFound(N_("No letter has this verification code."))
    return letter


def is_identical(letter: Letter, content: bytes) -> bool:
    """Whether ``content`` is byte for byte the PDF stored for the letter."""
    return letter.sha256 is not None and hashlib.sha256(content).hexdigest() == letter.sha256
