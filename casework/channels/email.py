"""Email over SMTP (settings from config: BERDAYA_SMTP_*)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

from casework.channels import DeliveryError, Message


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    user: str | None = None
    password: str | None = None
    starttls: bool = False
    sender: str = "berdaya@localhost"
    timeout: float = 30.0


class EmailChannel:
    """One SMTP connection per send: simple, and a broken connection never spans messages."""

    name = "email"

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, message: Message) -> None:
        if not message.email:
            raise DeliveryError("no email address")
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.email
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls()
                if s.user:
                    smtp.login(s.user, s.password or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(str(exc)) from exc
