"""Applicant import from Excel: template, streaming reader, row checks, set-based import.

No Flask here: the admin screen and the CLI call :func:`dry_run` and
:func:`import_applicants` with the session, the actor and a ``translate`` function.
"""

from casework.importing.loader import ImportResult, open_cases_many
from casework.importing.service import CellError, ImportReport, dry_run, import_applicants
from casework.importing.template import applicant_template

__all__ = [
    "CellError",
    "ImportReport",
    "ImportResult",
    "applicant_template",
    "dry_run",
    "import_applicants",
    "open_cases_many",
]
