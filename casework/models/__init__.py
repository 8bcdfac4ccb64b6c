"""All mapped classes, importable from one place."""

from casework.models.base import Base
from casework.models.case import STATE_LABELS, Case, CaseEvent, CaseNumberSequence, CaseState
from casework.models.person import (
    GROUP_ROLE_LABELS,
    MARITAL_LABELS,
    OFFICER_ROLES,
    SEX_LABELS,
    Group,
    GroupMember,
    GroupRole,
    MaritalStatus,
    Person,
    Sex,
)
from casework.models.program import ApplicantKind, BusinessType, DocumentKind, Program, ProgramYear
from casework.models.region import Region, RegionLevel
from casework.models.user import ROLE_LABELS, ApiToken, Role, User
from casework.models.verification import (
    DOCUMENT_KIND_LABELS,
    DTSEN_SOURCE_LABELS,
    DTSEN_STATUS_LABELS,
    Assessment,
    AssessmentItem,
    Document,
    DtsenCheck,
    DtsenSource,
    DtsenStatus,
)

__all__ = [
    "DOCUMENT_KIND_LABELS",
    "DTSEN_SOURCE_LABELS",
    "DTSEN_STATUS_LABELS",
    "GROUP_ROLE_LABELS",
    "MARITAL_LABELS",
    "OFFICER_ROLES",
    "ROLE_LABELS",
    "SEX_LABELS",
    "STATE_LABELS",
    "ApiToken",
    "ApplicantKind",
    "Assessment",
    "AssessmentItem",
    "Base",
    "BusinessType",
    "Case",
    "CaseEvent",
    "CaseNumberSequence",
    "CaseState",
    "Document",
    "DocumentKind",
    "DtsenCheck",
    "DtsenSource",
    "DtsenStatus",
    "Group",
    "GroupMember",
    "GroupRole",
    "MaritalStatus",
    "Person",
    "Program",
    "ProgramYear",
    "Region",
    "RegionLevel",
    "Role",
    "Sex",
    "User",
]
