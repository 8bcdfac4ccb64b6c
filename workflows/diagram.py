"""The workflow diagram, generated from the same definition the engine runs."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

from workflows.definition import WorkflowDefinition


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(definition: WorkflowDefinition, translate: Callable[[str], str] = lambda s: s) -> str:
    """Graphviz DOT of the definition: states (SLA in working days) and transitions (roles)."""
    lines = [
        f"digraph {_quote(definition.key)} {{",
        '  graph [rankdir=TB, fontname="Liberation Sans", nodesep=0.4, ranksep=0.45];',
        '  node [shape=box, style="rounded,filled", fillcolor="#eef4fb", '
        'fontname="Liberation Sans", fontsize=11];',
        '  edge [fontname="Liberation Sans", fontsize=9, color="#555555"];',
    ]
    for state in definition.states:
        label = translate(definition.state_label(state.name.value))
        if state.sla_days is not None:
            label += "\\n" + translate("%(days)s working days") % {"days": state.sla_days}
        elif state.due_rule == "usage_report":
            label += "\\n" + translate("due 10 January next year")
        attrs = [f"label={_quote(label)}"]
        if state.final:
            attrs.append('fillcolor="#e8e8e8", peripheries=2')
        if state.name == definition.initial:
            attrs.append('fillcolor="#d9f2d9"')
        lines.append(f"  {state.name.value} [{', '.join(attrs)}];")
    for t in definition.transitions:
        roles = ", ".join(sorted(r.value for r in t.roles))
        label = f"{t.trigger}\\n[{roles}]"
        if t.guards:
            label += "\\n" + ", ".join(t.guards)
        for source in t.sources:
            style = ', style="dashed"' if t.reason_required else ""
            lines.append(f"  {source.value} -> {t.dest.value} [label={_quote(label)}{style}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str) -> str:
    """SVG rendered by Graphviz ``dot`` (Debian package graphviz, installed by the set-up)."""
    executable = shutil.which("dot")
    if executable is None:
        raise RuntimeError("Graphviz 'dot' is not installed (Debian package graphviz)")
    result = subprocess.run(
        [executable, "-Tsvg"],
        input=dot_source.encode(),
        capture_output=True,
        check=True,
        timeout=30,
    )
    svg = result.stdout.decode()
    return svg[svg.index("<svg") :]
