"""The decree (SK) as a letter: one per issued decree, with its lampiran of recipients.

``issue_decree_letter`` writes the SK's letter row in the decree's own transaction (the
outbox, ARCHITECTURE.md rule 3), numbered with the decree's number: a rolled-back issue
leaves no SK. It also ties the approval notices the decree's transition issued to the
decree (``Letter.decree_id``), so the decree page can show how far their rendering is.
``decree_document`` reads what the SK prints when it is rendered: every listed recipient
(NIK masked), or, for an SK perubahan, every change.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload

from casework import clock
from casework.letters.content import recipient_of
from casework.letters.kinds import KINDS
from casework.letters.render import LetterDocument, Letterhead, default_renderer
from casework.models.case import Case
from casework.models.decree import (
    Decree,
    DecreeChange,
    DecreeChangeKind,
    DecreeEntry,
    DecreeKind,
    DecreeNumberSequence,
)
from casework.models.letter import Letter, LetterStatus
from casework.models.person import Group, GroupMember, Person
from casework.models.region import Region, RegionLevel
from casework.models.user import User

KIND = "decree"
"""The letter kind of the SK (casework/letters/kinds.py)."""
ISSUERS = {
    DecreeKind.GOVERNOR: "GUBERNUR KALIMANTAN TIMUR",
    DecreeKind.HEAD_OF_OFFICE: "KEPALA DINAS SOSIAL PROVINSI KALIMANTAN TIMUR",
}
ORDINALS = ("KESATU", "KEDUA", "KETIGA", "KEEMPAT", "KELIMA", "KEENAM", "KETUJUH")
CHANGE_TEXT = {
    DecreeChangeKind.REMOVE: "Dihapus dari daftar penerima",
    DecreeChangeKind.AMOUNT: "Perubahan nilai bantuan",
}


def sequence_unit(decree: Decree) -> str:
    """The ``Letter.unit`` of SKs: their numbers come from the decree sequence of the kind."""
    return f"SK:{decree.kind.value}"


def issue_decree_letter(session: Session, decree: Decree, *, actor: User) -> Letter:
    """Write the SK of a decree being issued (its number and date already set), in the
    decree's transaction, and tie the letters its cases received to it."""
    from casework.services.letters import check_letter_settings, remember_issued

    assert decree.number is not None, "number the decree first"
    check_letter_settings(session)
    seq = session.scalars(
        select(DecreeNumberSequence.last_value).where(
            DecreeNumberSequence.kind == decree.kind.value,
            DecreeNumberSequence.year == decree.decree_date.year,
        )
    ).one()
    letter = Letter(
        kind=KIND,
        decree_id=decree.id,
        trigger="issue_decree",
        unit=sequence_unit(decree),
        year=decree.decree_date.year,
        seq=seq,
        number=decree.number,
        version=1,
        letter_date=decree.decree_date,
        template_name=KINDS[KIND].template,
        template_version=default_renderer().template_version(KINDS[KIND]),
        issued_at=clock.now(),
        issued_by_id=actor.id,
        recipient_name=decree.title[:200],
        recipient_nik_masked="",
        status=LetterStatus.PENDING.value,
        verify_code=secrets.token_urlsafe(24),
    )
    session.add(letter)
    session.flush()
    _tie_case_letters(session, decree)
    remember_issued(session, [letter.id])
    return letter


def _tie_case_letters(session: Session, decree: Decree) -> None:
    """The letters the decree's transition issued to its cases belong to the decree."""
    listed = select(DecreeEntry.case_id).where(DecreeEntry.decree_id == decree.id)
    session.execute(
        update(Letter)
        .where(
            Letter.case_id.in_(listed.scalar_subquery()),
            Letter.trigger == "decree",
            Letter.decree_id.is_(None),
        )
        .values(decree_id=decree.id)
        .execution_options(synchronize_session=False)
    )


# --- what the SK prints -----------------------------------------------------------------


def _address(village: Region) -> str:
    names = {r.level: r.name for r in village.path()}
    parts = [names.get(RegionLevel.VILLAGE, ""), names.get(RegionLevel.DISTRICT, "")]
    parts.append(names.get(RegionLevel.REGENCY, ""))
    return ", ".join(p for p in parts if p)


def _cases(session: Session, ids: Sequence[int]) -> dict[int, Case]:
    found: dict[int, Case] = {}
    for start in range(0, len(ids), 500):
        found.update(
            (c.id, c)
            for c in session.scalars(
                select(Case)
                .where(Case.id.in_(ids[start : start + 500]))
                .options(
                    selectinload(Case.person).selectinload(Person.village),
                    selectinload(Case.group)
                    .selectinload(Group.members)
                    .selectinload(GroupMember.person),
                    selectinload(Case.group).selectinload(Group.village),
                    selectinload(Case.business_type),
                )
            )
        )
    return found


def _recipient_rows(session: Session, decree: Decree) -> list[dict[str, Any]]:
    entries = list(
        session.scalars(
            select(DecreeEntry)
            .where(DecreeEntry.decree_id == decree.id, DecreeEntry.revoked.is_(False))
            .order_by(DecreeEntry.id)
        )
    )
    cases = _cases(session, [e.case_id for e in entries])
    rows = []
    for entry in entries:
        case = cases[entry.case_id]
        name, nik = recipient_of(case)
        village = case.person.village if case.person is not None else case.group.village  # type: ignore[union-attr]
        rows.append(
            {
                "name": name,
                "nik": nik,
                "address": _address(village),
                "business": case.business_type.name,
                "amount": entry.amount,
            }
        )
    return rows


def _change_rows(session: Session, decree: Decree) -> list[dict[str, Any]]:
    changes = list(
        session.scalars(
            select(DecreeChange)
            .where(DecreeChange.decree_id == decree.id)
            .order_by(DecreeChange.id)
        )
    )
    cases = _cases(session, [c.case_id for c in changes])
    rows = []
    for change in changes:
        name, nik = recipient_of(cases[change.case_id])
        rows.append(
            {
                "name": name,
                "nik": nik,
                "change": CHANGE_TEXT[change.kind],
                "old_amount": change.old_amount,
                "new_amount": change.new_amount,
                "reason": change.reason,
            }
        )
    return rows


def _dicta(decree: Decree, corrective: bool, count: int) -> list[str]:
    program = f"{decree.program.name} Tahun Anggaran {decree.fiscal_year}"
    if corrective:
        original = decree.corrects.number if decree.corrects is not None else ""
        first = (
            f"Mengubah Keputusan Nomor {original} tentang penerima bantuan {program}"
            " sebagaimana tercantum dalam Lampiran yang merupakan bagian tidak terpisahkan"
            " dari Keputusan ini."
        )
    else:
        first = (
            f"Menetapkan {count} penerima bantuan {program} sebagaimana tercantum dalam"
            " Lampiran yang merupakan bagian tidak terpisahkan dari Keputusan ini."
        )
    return [
        first,
        "Bantuan sebagaimana dimaksud dalam Diktum KESATU diberikan dalam bentuk paket barang"
        " usaha dan wajib dipertanggungjawabkan oleh penerima dengan Laporan Penggunaan"
        " Bantuan (LPJ).",
        "Segala biaya yang timbul akibat ditetapkannya Keputusan ini dibebankan pada Anggaran"
        " Pendapatan dan Belanja Daerah Provinsi Kalimantan Timur"
        f" Tahun Anggaran {decree.fiscal_year}.",
        "Keputusan ini mulai berlaku pada tanggal ditetapkan.",
    ]


def decree_body(session: Session, decree: Decree) -> dict[str, Any]:
    """What the SK and its lampiran print (plain values only)."""
    session.scalars(select(Region)).all()  # every region once: addresses without a query each
    corrective = decree.corrects_id is not None
    rows = [] if corrective else _recipient_rows(session, decree)
    changes = _change_rows(session, decree) if corrective else None
    return {
        "issuer": ISSUERS[decree.kind],
        "title": decree.title,
        "considerations": list(decree.considerations),
        "legal_basis": list(decree.legal_basis),
        "program_name": decree.program.name,
        "fiscal_year": decree.fiscal_year,
        "dicta": _dicta(decree, corrective, len(rows)),
        "ordinals": ORDINALS,
        "rows": rows,
        "total": sum(r["amount"] for r in rows),
        "changes": changes,
    }


def decree_document(
    session: Session, letter: Letter, head: Letterhead, verify_url: str
) -> LetterDocument:
    """The SK of ``letter`` (kind "decree"), signed by the decree's own signatory."""
    assert letter.decree_id is not None
    decree = session.get_one(Decree, letter.decree_id)
    signed = dataclasses.replace(
        head,
        signatory_position=decree.signatory_position,
        signatory_name=decree.signatory_name,
        signatory_rank="",
        signatory_nip=decree.signatory_nip,
    )
    return LetterDocument(
        kind=KINDS[KIND],
        number=letter.number,
        letter_date=letter.letter_date,
        recipient_name=letter.recipient_name,
        recipient_lines=(),
        verify_url=verify_url,
        head=signed,
        body=decree_body(session, decree),
    )
