"""Each program's workflow as a diagram and a table, drawn from the definition the engine runs."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import request
from flask_admin import BaseView, expose
from flask_babel import get_locale, gettext
from markupsafe import Markup

from admin.case_columns import state_label
from admin.security import RoleGate
from casework.models.user import ROLE_LABELS
from workflows.definition import WorkflowDefinition
from workflows.diagram import render_svg, to_dot
from workflows.programs import DEFINITIONS


@lru_cache(maxsize=32)
def _svg(key: str, locale: str, dot_source: str) -> str:
    """Rendering calls Graphviz; the result depends only on the definition and language."""
    return render_svg(dot_source)


def diagram_svg(definition: WorkflowDefinition) -> Markup:
    dot_source = to_dot(definition, gettext)
    # Graphviz output is trusted (generated from our own definitions, labels escaped by DOT).
    return Markup(_svg(definition.key, str(get_locale()), dot_source))


class WorkflowView(RoleGate, BaseView):
    read_action = "workflow.read"

    @expose("/")
    def index(self) -> Any:
        key = request.args.get("program", next(iter(DEFINITIONS)))
        definition = DEFINITIONS.get(key) or next(iter(DEFINITIONS.values()))
        return self.render(
            "admin/workflow.html",
            definitions=DEFINITIONS,
            definition=definition,
            svg=diagram_svg(definition),
            state_label=state_label,
            role_label=lambda role: gettext(ROLE_LABELS[role]),
        )
