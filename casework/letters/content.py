"""What each kind of letter says about its case: the body data read from the database.

Read when the letter is rendered (right after the transition commits), so it shows the
decree number, the assessed package and the planned visits as the transition left them.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casework.identity import mask_number
from casework.letters.kinds import KINDS
from casework.letters.render import LetterDocument, Letterhead
from casework.models.case import Case
from casework.models.decree import Decree, DecreeEntry
from casework.models.followup import FollowupRule, MonitoringVisit
from casework.models.letter import Letter, LetterSettings
from casework.models.person import GroupRole
from casework.models.region import Region, RegionLevel
from casework.models.verification import Assessment

GROUP_ROLE_NAMES = {
    GroupRole.CHAIR: "Ketua",
    GroupRole.SECRETARY: "Sekretaris",
    GroupRole.TREASURER: "Bendahara",
    GroupRole.MEMBER: "Anggota",
}


def recipient_of(case: Case) -> tuple[str, str]:
    """The addressee's name and masked NIK (a KUBE's: the group and its chair's NIK)."""
    if case.person is not None:
        return case.person.full_name, mask_number(case.person.nik)
    assert case.group is not None
    chair = case.group.officer(GroupRole.CHAIR)
    return f"KUBE {case.group.name}", mask_number(chair.nik) if chair is not None else ""


def _place_lines(village: Region) -> list[str]:
    names = {r.level: r.name for r in village.path()}
    lines = [f"Desa/Kelurahan {names.get(RegionLevel.VILLAGE, '')}"]
    if RegionLevel.DISTRICT in names:
        lines.append(f"Kecamatan {names[RegionLevel.DISTRICT]}")
    if RegionLevel.REGENCY in names:
        lines.append(names[RegionLevel.REGENCY])
    return lines


def recipient_lines(case: Case) -> tuple[str, ...]:
    """The address block under "Yth.": street address, village, district, regency."""
    if case.person is not None:
        street = [case.person.address] if case.person.address.strip() else []
        return tuple(street + _place_lines(case.person.village))
    assert case.group is not None
    chair = case.group.officer(GroupRole.CHAIR)
    attention = [f"u.p. Ketua Kelompok, {chair.full_name}"] if chair is not None else []
    return tuple(attention + _place_lines(case.group.village))


def letterhead(settings: LetterSettings) -> Letterhead:
    logo = settings.logo_path.strip()
    return Letterhead(
        lines=tuple(settings.letterhead_lines),
        address=settings.address,
        contact=settings.contact,
        logo_uri=f"file://{logo}" if logo else "",
        city=settings.city,
        signatory_position=settings.signatory_position,
        signatory_name=settings.signatory_name,
        signatory_rank=settings.signatory_rank,
        signatory_nip=settings.signatory_nip,
        tembusan=tuple(settings.tembusan),
    )


class DecreeLine(NamedTuple):
    """The decree a case was issued in, and the amount it fixed."""

    number: str | None
    decree_date: date
    amount: int


class Reading:
    """What the bodies of a run of letters read from the database, each thing once: the
    latest field assessment (with its items) and the decree line of every case of the run
    in one query each, a program's follow-up rule once per program. Made for one letter it
    reads that letter's case alone, as a run of one."""

    def __init__(self, session: Session, case_ids: Collection[int] = ()) -> None:
        self.session = session
        self._assessments: dict[int, Assessment | None] = {}
        self._decree_lines: dict[int, DecreeLine | None] = {}
        self._rules: dict[int, FollowupRule] = {}
        if case_ids:
            self._load(case_ids)

    def _load(self, case_ids: Collection[int]) -> None:
        ids = sorted(set(case_ids) - self._assessments.keys())
        self._assessments.update(dict.fromkeys(ids))
        self._decree_lines.update(dict.fromkeys(ids))
        assessments = self.session.scalars(
            select(Assessment)
            .where(Assessment.case_id.in_(ids))
            .options(selectinload(Assessment.items))
            .order_by(Assessment.id)
        )
        for assessment in assessments:  # the latest of a case last
            self._assessments[assessment.case_id] = assessment
        lines = self.session.execute(  # a case is issued in one decree (a unique column)
            select(
                DecreeEntry.issued_case_id, Decree.number, Decree.decree_date, DecreeEntry.amount
            )
            .join(DecreeEntry, DecreeEntry.decree_id == Decree.id)
            .where(DecreeEntry.issued_case_id.in_(ids))
        )
        for case_id, number, decree_date, amount in lines:
            if case_id is not None:
                self._decree_lines[case_id] = DecreeLine(number, decree_date, amount)

    def assessment(self, case_id: int) -> Assessment | None:
        """The case's latest field assessment."""
        if case_id not in self._assessments:
            self._load([case_id])
        return self._assessments[case_id]

    def decree_line(self, case_id: int) -> DecreeLine | None:
        """The decree the case was issued in."""
        if case_id not in self._decree_lines:
            self._load([case_id])
        return self._decree_lines[case_id]

    def report_due_on(self, case: Case) -> date:
        """The case's LPJ due date, by its program's follow-up rule."""
        from casework.services.followup import followup_rule_for, report_due_by_rule

        if case.program_id not in self._rules:
            self._rules[case.program_id] = followup_rule_for(self.session, case.program_id)
        return report_due_by_rule(self._rules[case.program_id], case.fiscal_year)


def _common(reading: Reading, case: Case) -> dict[str, Any]:
    return {
        "case_number": case.number,
        "program_name": case.program.name,
        "program_code": case.program.code,
        "fiscal_year": case.fiscal_year,
        "business_type": case.business_type.name,
        "amount": case.requested_amount,
        "report_due_on": reading.report_due_on(case),
    }


def _package(reading: Reading, case: Case) -> dict[str, Any]:
    assessment = reading.assessment(case.id)
    items = [
        {"name": i.name, "quantity": i.quantity, "unit": i.unit, "unit_price": i.unit_price,
         "subtotal": i.subtotal}
        for i in (assessment.items if assessment is not None else [])
    ]  # fmt: skip
    row = reading.decree_line(case.id)
    amount = row.amount if row is not None else case.requested_amount
    return {
        "items": items,
        "package_text": case.requested_package,
        "amount": amount,
        "decree_number": row.number if row is not None else None,
        "decree_date": row.decree_date if row is not None else None,
    }


def _members(case: Case) -> dict[str, Any]:
    assert case.group is not None
    members = [
        {"name": m.person.full_name, "nik": mask_number(m.person.nik),
         "role": GROUP_ROLE_NAMES[m.role]}
        for m in case.group.members
    ]  # fmt: skip
    return {"group_name": case.group.name, "members": members}


def _visits(reading: Reading, case: Case) -> dict[str, Any]:
    visits = reading.session.scalars(
        select(MonitoringVisit)
        .where(MonitoringVisit.case_id == case.id, MonitoringVisit.visited_on.is_(None))
        .order_by(MonitoringVisit.due_on)
    )
    return {"visits": [{"due_on": v.due_on, "months": v.offset_months} for v in visits]}


BodyBuilder = Callable[[Reading, Case, Letter], dict[str, Any]]


def _approval(reading: Reading, case: Case, letter: Letter) -> dict[str, Any]:
    return {**_common(reading, case), **_package(reading, case)}


def _kube(reading: Reading, case: Case, letter: Letter) -> dict[str, Any]:
    return {**_approval(reading, case, letter), **_members(case)}


def _with_reason(reading: Reading, case: Case, letter: Letter) -> dict[str, Any]:
    return {**_common(reading, case), "reason": letter.reason or "", "due_at": case.due_at}


def _monitoring(reading: Reading, case: Case, letter: Letter) -> dict[str, Any]:
    return {**_common(reading, case), **_visits(reading, case)}


BODIES: dict[str, BodyBuilder] = {
    "approval_notice": _approval,
    "kube_group_notice": _kube,
    "rejection_notice": _with_reason,
    "return_notice": _with_reason,
    "monitoring_notice": _monitoring,
    "usage_report_reminder": _approval,
}


def document_for(
    session: Session,
    letter: Letter,
    head: Letterhead,
    verify_url: str,
    reading: Reading | None = None,
) -> LetterDocument:
    """The document of a case letter, ready for the renderer (``reading``: what a run of
    letters has read for all of them, or nothing for a letter on its own)."""
    case = letter.case
    assert case is not None, "only case letters are built here"
    reading = reading or Reading(session)
    return LetterDocument(
        kind=KINDS[letter.kind],
        number=letter.number,
        letter_date=letter.letter_date,
        recipient_name=letter.recipient_name,
        recipient_lines=recipient_lines(case),
        verify_url=verify_url,
        head=head,
        body=BODIES[letter.kind](reading, case, letter),
    )
