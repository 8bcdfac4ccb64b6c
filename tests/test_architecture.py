"""The architecture checks itself (ARCHITECTURE.md, STYLE.md).

- the domain (casework/, workflows/) never imports Flask or anything of the web stack;
- only the engine assigns ``state``: workflows/engine.py on a Case, on its own _Token or in
  an UPDATE of the cases table, and its set-based half workflows/bulk.py (``advance_many``)
  only in an UPDATE of the cases table;
- every workflow definition is complete, and a broken one is refused.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from casework.models import CaseState, Role
from workflows.definition import DefinitionError, StateDef, TransitionDef, WorkflowDefinition
from workflows.effects import EFFECTS
from workflows.guards import GUARDS
from workflows.programs import DEFINITIONS

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ("casework", "workflows")
ENGINE = ROOT / "workflows" / "engine.py"
BULK = ROOT / "workflows" / "bulk.py"  # advance_many, re-exported by the engine
RECORDS = ROOT / "workflows" / "records.py"  # advance_record: pokir lines and other records


def python_files(*packages: str) -> list[Path]:
    return sorted(p for pkg in packages for p in (ROOT / pkg).rglob("*.py"))


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def imported_modules(tree: ast.Module) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name | ast.Attribute)
            and getattr(node.func, "id", getattr(node.func, "attr", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            yield str(node.args[0].value)


def is_web(module: str) -> bool:
    # Jinja2 alone is a template engine, not the web stack: the domain renders emails and
    # letters with it (ARCHITECTURE.md puts letters and reminders in casework/).
    top = module.split(".")[0]
    return top in ("flask", "werkzeug", "wtforms", "web", "admin") or top.startswith("flask_")


@pytest.mark.parametrize("path", python_files(*DOMAIN), ids=lambda p: str(p.relative_to(ROOT)))
def test_the_domain_never_imports_the_web_stack(path):
    offending = [m for m in imported_modules(parse(path)) if is_web(m)]
    assert offending == [], f"{path.relative_to(ROOT)} imports {offending}"


@pytest.mark.parametrize(
    ("source", "web"),
    [
        ("import flask", True),
        ("from flask import current_app", True),
        ("from flask_login import current_user", True),
        ("import werkzeug.exceptions", True),
        ("from web.db import db", True),
        ("importlib.import_module('flask')", True),
        ("from sqlalchemy import select", False),
        ("from casework.errors import NotFound", False),
        ("import flaskish_but_not_flask", False),
    ],
)
def test_the_import_scan_recognises_web_imports(source, web):
    assert any(is_web(m) for m in imported_modules(ast.parse(source))) is web


def state_assignments(tree: ast.Module) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
    """Every place that sets an attribute named ``state``, with its enclosing nodes."""

    def visit(node: ast.AST, parents: list[ast.AST]) -> Iterator[tuple[ast.AST, list[ast.AST]]]:
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [t for target in node.targets for t in _flatten(target)]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = list(_flatten(node.target))
        for target in targets:
            if isinstance(target, ast.Attribute) and target.attr == "state":
                yield target, parents
        if _sets_state_by_name(node):
            yield node, parents
        for child in ast.iter_child_nodes(node):
            yield from visit(child, [*parents, node])

    yield from visit(tree, [])


def _flatten(target: ast.expr) -> Iterator[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        for element in target.elts:
            yield from _flatten(element)
    else:
        yield target


def _sets_state_by_name(node: ast.AST) -> bool:
    """setattr(x, "state", …) or an UPDATE's ``.values(state=…)``."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name) and func.id == "setattr":
        return len(node.args) > 1 and getattr(node.args[1], "value", None) == "state"
    if isinstance(func, ast.Attribute) and func.attr == "values":
        return any(k.arg == "state" for k in node.keywords) or any(
            isinstance(a, ast.Dict) and any(getattr(k, "value", None) == "state" for k in a.keys)
            for a in node.args
        )
    return False


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}"


def test_nothing_outside_the_engine_assigns_a_state():
    files = [
        p
        for p in python_files("casework", "workflows", "admin", "web")
        if p not in (ENGINE, BULK, RECORDS)
    ]
    found = [_where(p, node) for p in files for node, _ in state_assignments(parse(p))]
    assert found == []


def _updates_the_cases_table(node: ast.AST) -> bool:
    """``update(Case)…values(state=…)`` or ``update(_cases)…values(state=…)``."""
    current: ast.AST = node
    while isinstance(current, ast.Call | ast.Attribute):
        if (
            isinstance(current, ast.Call)
            and isinstance(current.func, ast.Name)
            and current.func.id == "update"
        ):
            first = current.args[0] if current.args else None
            return isinstance(first, ast.Name) and first.id in ("Case", "_cases")
        current = current.func if isinstance(current, ast.Call) else current.value
    return False


def _allowed_in_engine(node: ast.AST, parents: list[ast.AST]) -> bool:
    """``self.state`` inside class _Token, ``case.state`` where ``case`` is a Case, or an
    UPDATE of the cases table."""
    if _updates_the_cases_table(node):
        return True
    if not isinstance(node, ast.Attribute) or not isinstance(node.value, ast.Name):
        return False
    name = node.value.id
    classes = [p.name for p in parents if isinstance(p, ast.ClassDef)]
    if name == "self":
        return classes == ["_Token"]
    function = next(
        (p for p in reversed(parents) if isinstance(p, ast.FunctionDef | ast.AsyncFunctionDef)),
        None,
    )
    if function is None:
        return False
    annotations = {a.arg: a.annotation for a in function.args.args + function.args.kwonlyargs}
    annotation = annotations.get(name)
    return isinstance(annotation, ast.Name) and annotation.id == "Case"


def test_the_engine_assigns_state_only_on_a_case_or_its_token():
    places = list(state_assignments(parse(ENGINE)))
    assert places, "the engine must be where states are written"
    wrong = [
        _where(ENGINE, node) for node, parents in places if not _allowed_in_engine(node, parents)
    ]
    assert wrong == []


def test_the_bulk_path_writes_state_only_in_an_update_of_the_cases_table():
    if not BULK.exists():
        pytest.skip("advance_many lives in workflows/engine.py")
    places = list(state_assignments(parse(BULK)))
    wrong = [_where(BULK, node) for node, _ in places if not _updates_the_cases_table(node)]
    assert wrong == []


def _updates_the_record_table(node: ast.AST) -> bool:
    """``update(table)…values(state=…)``: the registered record's own table."""
    current: ast.AST = node
    while isinstance(current, ast.Call | ast.Attribute):
        if (
            isinstance(current, ast.Call)
            and isinstance(current.func, ast.Name)
            and current.func.id == "update"
        ):
            first = current.args[0] if current.args else None
            return isinstance(first, ast.Name) and first.id == "table"
        current = current.func if isinstance(current, ast.Call) else current.value
    return False


def test_the_record_path_writes_state_only_in_an_update_of_the_record_table():
    places = list(state_assignments(parse(RECORDS)))
    assert places, "workflows/records.py must be where record states are written"
    wrong = [_where(RECORDS, node) for node, _ in places if not _updates_the_record_table(node)]
    assert wrong == []


@pytest.mark.parametrize(
    ("source", "found"),
    [
        ("case.state = 'closed'", 1),
        ("case.state, x = 'closed', 1", 1),
        ("setattr(case, 'state', 'closed')", 1),
        ("session.execute(update(Case).values(state='closed'))", 1),
        ("session.execute(update(Case).values({'state': 'closed'}))", 1),
        ("case.state_entered_at = now", 0),
        ("state = 'closed'", 0),
        ("if case.state == 'closed': pass", 0),
    ],
)
def test_the_state_scan_recognises_assignments(source, found):
    assert len(list(state_assignments(ast.parse(source)))) == found


# --- workflow definitions -----------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_every_program_workflow_is_valid(key):
    DEFINITIONS[key].validate(GUARDS, EFFECTS)


@pytest.mark.parametrize("key", sorted(DEFINITIONS))
def test_every_guard_and_effect_named_in_a_workflow_exists(key):
    definition = DEFINITIONS[key]
    assert {g for t in definition.transitions for g in t.guards} <= set(GUARDS)
    assert {e for t in definition.transitions for e in t.effects} <= set(EFFECTS)


S = CaseState
ROLES = frozenset({Role.MANAGER})


def tiny(
    transitions: tuple[TransitionDef, ...],
    states: tuple[StateDef, ...] = (StateDef(S.DRAFT), StateDef(S.CLOSED, final=True)),
) -> WorkflowDefinition:
    return WorkflowDefinition("tiny", "Tiny", S.DRAFT, states, transitions)


def move(trigger: str, source: S, dest: S, **kwargs: object) -> TransitionDef:
    return TransitionDef(trigger, (source,), dest, ROLES, trigger, **kwargs)  # type: ignore[arg-type]


def test_a_small_complete_definition_is_accepted():
    tiny((move("close", S.DRAFT, S.CLOSED),)).validate(GUARDS, EFFECTS)


@pytest.mark.parametrize(
    ("definition", "problem"),
    [
        (
            tiny((move("close", S.DRAFT, S.CLOSED, guards=("moon_is_full",)),)),
            "unknown guard 'moon_is_full'",
        ),
        (
            tiny((move("close", S.DRAFT, S.CLOSED, effects=("send_flowers",)),)),
            "unknown effect 'send_flowers'",
        ),
        (
            tiny(
                (move("close", S.DRAFT, S.CLOSED),),
                (
                    StateDef(S.DRAFT),
                    StateDef(S.CLOSED, final=True),
                    StateDef(S.REJECTED, final=True),
                ),
            ),
            "unreachable states: rejected",
        ),
        (
            tiny(
                (move("submit", S.DRAFT, S.SUBMITTED), move("close", S.DRAFT, S.CLOSED)),
                (StateDef(S.DRAFT), StateDef(S.SUBMITTED), StateDef(S.CLOSED, final=True)),
            ),
            "state submitted is a dead end but not final",
        ),
        (
            tiny((move("close", S.DRAFT, S.CLOSED), move("reopen", S.CLOSED, S.DRAFT))),
            "final state closed has outgoing transitions",
        ),
        (
            tiny((move("close", S.DRAFT, S.CANCELLED),)),
            "uses undefined state cancelled",
        ),
        (
            tiny((move("close", S.DRAFT, S.CLOSED), move("close", S.DRAFT, S.CLOSED))),
            "trigger close defined twice from draft",
        ),
        (
            tiny((TransitionDef("close", (S.DRAFT,), S.CLOSED, frozenset(), "close"),)),
            "transition close names no role",
        ),
        (
            tiny(
                (move("close", S.DRAFT, S.CLOSED),),
                (
                    StateDef(S.DRAFT, sla_days=5, due_rule="usage_report"),
                    StateDef(S.CLOSED, final=True),
                ),
            ),
            "has both an SLA and a fixed due date",
        ),
    ],
    ids=[
        "unknown_guard",
        "unknown_effect",
        "unreachable_state",
        "dead_end",
        "final_with_exit",
        "undefined_state",
        "duplicate_trigger",
        "no_role",
        "sla_and_due_rule",
    ],
)
def test_a_broken_definition_is_refused(definition, problem):
    with pytest.raises(DefinitionError) as refused:
        definition.validate(GUARDS, EFFECTS)
    assert problem in str(refused.value)
