"""Typed domain errors (ARCHITECTURE.md rule 4).

Every error carries an English message id (marked for translation) and its parameters;
the web layer translates it for the user's language and maps the type to an HTTP status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from casework.i18n import N_, Label, LabelList


class DomainError(Exception):
    """Base of all errors a user may see. ``code`` is stable for API clients."""

    code = "domain_error"
    status = 400

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params
        super().__init__(self.render())

    def render(self, translate: Any = None) -> str:
        """The message with its parameters, translated by ``translate`` when given."""
        return _render(self.message, self.params, translate)


class NotFound(DomainError):
    code = "not_found"
    status = 404

    def __init__(self, message: str = N_("The record was not found."), **params: Any) -> None:
        super().__init__(message, **params)


class NotAllowed(DomainError):
    code = "not_allowed"
    status = 403

    def __init__(self, message: str = N_("You are not allowed to do this."), **params: Any) -> None:
        super().__init__(message, **params)


class InvalidTransition(DomainError):
    code = "invalid_transition"
    status = 409

    def __init__(
        self, message: str, *, allowed_triggers: Sequence[str] = (), **params: Any
    ) -> None:
        self.allowed_triggers = list(allowed_triggers)
        super().__init__(message, **params)


class Conflict(DomainError):
    """The record's state does not allow this now (an issued decree, a reviewed report, a
    case in another state): 409, so that 403 keeps meaning "your role or region may not"."""

    code = "conflict"
    status = 409


class VersionConflict(DomainError):
    code = "version_conflict"
    status = 409


class Duplicate(DomainError):
    code = "duplicate"
    status = 409

    def __init__(self, message: str, *, existing_id: int | None = None, **params: Any) -> None:
        self.existing_id = existing_id
        super().__init__(message, **params)


class GuardFailed(DomainError):
    """A workflow rule refused the transition; ``rule`` names the guard."""

    code = "guard_failed"
    status = 422

    def __init__(self, rule: str, message: str, **params: Any) -> None:
        self.rule = rule
        super().__init__(message, **params)


class ValidationError(DomainError):
    """Bad input, field by field. ``fields`` maps a field name to a list of messages."""

    code = "validation_error"
    status = 422

    def __init__(
        self,
        fields: Mapping[str, Sequence[FieldMessage]],
        message: str = N_("Some fields are not valid."),
    ) -> None:
        self.fields = {name: list(msgs) for name, msgs in fields.items()}
        super().__init__(message)

    def render_fields(self, translate: Any = None) -> dict[str, list[str]]:
        return {name: [m.render(translate) for m in msgs] for name, msgs in self.fields.items()}


class FieldMessage:
    """One message about one field: an English message id and its parameters."""

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params

    def render(self, translate: Any = None) -> str:
        return _render(self.message, self.params, translate)

    def __repr__(self) -> str:
        return f"FieldMessage({self.render()!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldMessage) and (self.message, self.params) == (
            other.message,
            other.params,
        )


def _shown(value: Any, translate: Any) -> Any:
    if isinstance(value, Label):
        return translate(value)
    if isinstance(value, LabelList):
        return ", ".join(
            " / ".join(translate(x) for x in v) if isinstance(v, LabelList) else translate(v)
            for v in value
        )
    return value


def _render(message: str, params: Mapping[str, Any], translate: Any) -> str:
    if translate is None:
        plain = {k: _shown(v, lambda x: x) for k, v in params.items()}
        return message % plain if plain else message
    shown = {k: _shown(v, translate) for k, v in params.items()}
    text = translate(message)
    return text % shown if shown else text


def field_error(field: str, message: str, **params: Any) -> ValidationError:
    """A ValidationError about a single field."""
    return ValidationError({field: [FieldMessage(message, **params)]})


class FieldErrors:
    """Collects field errors so the user sees all of them at once."""

    def __init__(self) -> None:
        self.fields: dict[str, list[FieldMessage]] = {}

    def add(self, name: str, message: str, **params: object) -> None:
        self.fields.setdefault(name, []).append(FieldMessage(message, **params))

    def absorb(self, error: ValidationError) -> None:
        for name, messages in error.fields.items():
            self.fields.setdefault(name, []).extend(messages)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError(self.fields)
