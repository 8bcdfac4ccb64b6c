"""Who is acting, from where: the audit log's context for the current request, command or job.

The web layer binds a context per request (address, request id, and how to find the
logged-in user); CLI commands and scheduler jobs may bind one with ``acting_as``. Code that
binds nothing is recorded as "system". The domain never imports Flask: the web layer hands
over a plain callable that finds the user when a write is recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace

SYSTEM_NAME = "system"


@dataclass(frozen=True)
class Actor:
    """The acting user (``user_id`` None for the system) as the audit log records them."""

    user_id: int | None
    name: str


@dataclass(frozen=True)
class AuditContext:
    """Where writes of this unit of work come from."""

    ip: str | None = None
    request_id: str | None = None
    actor: Actor | None = None
    find_actor: Callable[[], Actor | None] | None = None
    find_request_id: Callable[[], str | None] | None = None

    def current_actor(self) -> Actor:
        """The explicit actor, else the one ``find_actor`` finds, else the system."""
        if self.actor is not None:
            return self.actor
        found = self.find_actor() if self.find_actor is not None else None
        return found or Actor(None, SYSTEM_NAME)

    def current_request_id(self) -> str | None:
        """The given request id, else the one ``find_request_id`` finds."""
        if self.request_id is not None or self.find_request_id is None:
            return self.request_id
        return self.find_request_id()


_context: ContextVar[AuditContext | None] = ContextVar("berdaya_audit_context", default=None)


def current() -> AuditContext:
    """The bound context, or an empty one (the system acting)."""
    return _context.get() or AuditContext()


def bind(context: AuditContext | None) -> None:
    """Make ``context`` the current one (the web layer does this at each request's start)."""
    _context.set(context)


@contextmanager
def acting_as(actor: Actor, *, ip: str | None = None) -> Iterator[AuditContext]:
    """Record writes inside the block as made by ``actor`` (CLI commands, jobs, tests)."""
    previous = _context.get()
    base = previous or AuditContext()
    context = replace(base, actor=actor, ip=ip or base.ip)
    token = _context.set(context)
    try:
        yield context
    finally:
        _context.reset(token)
