"""One workflow definition per program (the ``Program.workflow`` key names it)."""

from __future__ import annotations

from casework.i18n import N_
from workflows.definition import WorkflowDefinition
from workflows.standard import standard_definition

KUBE = standard_definition(
    "kube",
    N_("KUBE joint business group aid"),
    submit_guards=("group_composition_valid",),
    approval_letters=("kube_group_notice",),
)
WRSE = standard_definition(
    "wrse",
    N_("Aid to socially and economically vulnerable women (WRSE)"),
    submit_guards=("applicant_sex_allowed", "applicant_age_in_window"),
)
UEP = standard_definition(
    "uep",
    N_("Productive economic enterprise aid (UEP)"),
    submit_guards=("applicant_age_in_window",),
)

DEFINITIONS: dict[str, WorkflowDefinition] = {d.key: d for d in (KUBE, WRSE, UEP)}
