"""Delivery channels: each sends one rendered message or raises (SMS/WhatsApp fit later)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Message:
    """A rendered notification, addressed to a user (inbox) or an email address."""

    subject: str
    body: str
    user_id: int | None = None
    email: str | None = None
    case_id: int | None = None
    notification_id: int | None = None


class DeliveryError(Exception):
    """The channel could not deliver the message (the row stays retryable)."""


class Channel(Protocol):
    """Sends one message; returns None when delivered, raises when not."""

    name: str

    def send(self, message: Message) -> None: ...


__all__ = ["Channel", "DeliveryError", "Message"]
