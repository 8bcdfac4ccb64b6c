"""Translation markers for the domain.

The domain does not translate (it knows no request or locale); it marks user-facing
messages with ``N_`` so that ``pybabel extract`` finds them, and the web layer translates
them with Flask-Babel when it shows them. Message ids are English; the Indonesian
catalogue in ``translations/id`` is the default language on screen.
"""

from typing import Any


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it."""
    return message


class Label(str):
    """A message parameter that is itself a message id (a state or action label).

    DomainError.render translates it together with the message, so an Indonesian sentence
    says "Diajukan", not "submitted".
    """

    __slots__ = ()


class LabelList(tuple[Any, ...]):
    """Labels (or nested LabelLists, shown as "a / b"), translated and joined with ", "."""

    __slots__ = ()
