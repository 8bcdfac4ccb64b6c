"""The in-app inbox: a message row the user reads in the admin ("Kotak masuk")."""

from __future__ import annotations

from sqlalchemy.orm import Session

from casework.channels import DeliveryError, Message
from casework.models.notification import InboxMessage


class InboxChannel:
    """Writes in the session that marks the notification sent: both commit or neither."""

    name = "inbox"

    def __init__(self, session: Session) -> None:
        self.session = session

    def send(self, message: Message) -> None:
        if message.user_id is None:
            raise DeliveryError("no user for the inbox")
        self.session.add(
            InboxMessage(
                notification_id=message.notification_id,
                user_id=message.user_id,
                case_id=message.case_id,
                subject=message.subject[:200],
                body=message.body,
            )
        )
        self.session.flush()
