"""The columns of an applicant import sheet, per kind of program (person or KUBE group).

Labels are English message ids (translated by the caller: Indonesian by default); a sheet's
header is matched against the translated label, the English label or the field key, so a
template downloaded in either language reads back.
"""

from __future__ import annotations

from dataclasses import dataclass

from casework.i18n import N_
from casework.models.program import ApplicantKind


@dataclass(frozen=True)
class ImportColumn:
    key: str
    label: str
    kind: str = "text"
    """``text`` (stored as text, so Excel keeps NIK digits), ``date``, ``rupiah`` or ``choice``."""
    required: bool = True
    hint: str = ""
    width: int = 18


PERSON_COLUMNS = (
    ImportColumn("nik", N_("NIK"), hint=N_("16 digits, as on the KTP"), width=20),
    ImportColumn("kk_number", N_("KK number"), hint=N_("16 digits, as on the KK"), width=20),
    ImportColumn("full_name", N_("Full name"), width=28),
    ImportColumn("sex", N_("Sex (L/P)"), "choice", hint=N_("L = male, P = female"), width=10),
    ImportColumn("birth_place", N_("Place of birth"), required=False),
    ImportColumn("birth_date", N_("Date of birth"), "date", hint=N_("DD-MM-YYYY"), width=14),
    ImportColumn("marital_status", N_("Marital status"), "choice", width=16),
    ImportColumn(
        "is_breadwinner",
        N_("Main breadwinner (Y/T)"),
        "choice",
        required=False,
        hint=N_("Y = yes, T = no"),
        width=12,
    ),
    ImportColumn("address", N_("Address (as on KTP/KK)"), required=False, width=30),
    ImportColumn(
        "village_code",
        N_("Village code"),
        hint=N_("Kemendagri code of the desa/kelurahan, e.g. 64.02.08.2007"),
        width=16,
    ),
    ImportColumn("phone", N_("Phone"), required=False, width=16),
)
CASE_COLUMNS = (
    ImportColumn("business_type", N_("Business type code"), "choice", width=18),
    ImportColumn("requested_package", N_("Requested package"), required=False, width=30),
    ImportColumn(
        "requested_amount",
        N_("Requested amount (Rp)"),
        "rupiah",
        required=False,
        hint=N_("Whole Rupiah, at most the unit value"),
        width=18,
    ),
)
GROUP_COLUMNS = (
    ImportColumn(
        "group_name",
        N_("KUBE name"),
        hint=N_("Rows with the same KUBE name form one group"),
        width=24,
    ),
    ImportColumn(
        "member_role",
        N_("Role in the group"),
        "choice",
        hint=N_("ketua, sekretaris, bendahara or anggota"),
        width=14,
    ),
)


def columns_for(kind: ApplicantKind) -> tuple[ImportColumn, ...]:
    """The sheet's columns, in order, for a program whose applicants are ``kind``."""
    if kind == ApplicantKind.GROUP:
        return GROUP_COLUMNS + PERSON_COLUMNS + CASE_COLUMNS
    return PERSON_COLUMNS + CASE_COLUMNS
