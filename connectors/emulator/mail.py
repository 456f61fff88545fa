"""A local stand-in for the mail server alerts are sent through: an SMTP
server on 127.0.0.1 that keeps what it receives and can be told to refuse
the next message. The demo and the tests use it."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from .app import RECORDS_KEPT


@dataclass(frozen=True)
class ReceivedMail:
    sender: str
    recipients: tuple[str, ...]
    subject: str
    body: str
    login: str | None
    message: EmailMessage


def free_port(host: str = "127.0.0.1") -> int:
    """A port nothing listens on (until someone takes it)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class MailCatcher:
    """Use as a context manager:

        with MailCatcher() as smtp:
            ...send to smtp.host, smtp.port...
            assert smtp.messages[0].subject == "..."

    With `credentials=(user, password)` it offers AUTH over plain text (it
    has no TLS), refuses other credentials and notes who logged in. `refuse_next(451)` refuses the next message at
    DATA, or at RCPT with `at="rcpt"`. It keeps the newest RECORDS_KEPT messages."""

    def __init__(self, host: str = "127.0.0.1", credentials: tuple[str, str] | None = None, port: int = 0,
                 on_message: Callable[[ReceivedMail], None] | None = None):
        self.host = host
        self.port = port or free_port(host)
        self.credentials = credentials
        self.on_message = on_message
        self._lock = threading.Lock()
        self._messages: deque[ReceivedMail] = deque(maxlen=RECORDS_KEPT)
        self._refusals: list[tuple[str, str]] = []
        options = {}
        if credentials is not None:
            options = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(self, hostname=host, port=self.port, **options)

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._lock:
            return list(self._messages)

    def refuse_next(self, code: int, text: str | None = None, at: str = "data") -> None:
        if at not in ("rcpt", "data"):
            raise ValueError("at must be 'rcpt' or 'data'")
        text = text or ("Try again later" if code < 500 else "Refused")
        with self._lock:
            self._refusals.append((at, f"{code} {text}"))

    def _refusal(self, at: str) -> str | None:
        with self._lock:
            if self._refusals and self._refusals[0][0] == at:
                return self._refusals.pop(0)[1]
            return None

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        ok = (isinstance(auth_data, LoginPassword)
              and (auth_data.login.decode(), auth_data.password.decode()) == self.credentials)
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        refusal = self._refusal("rcpt")
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        refusal = self._refusal("data")
        if refusal is not None:
            return refusal
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        mail = ReceivedMail(envelope.mail_from, tuple(envelope.rcpt_tos), message["Subject"],
                            message.get_content().replace("\r\n", "\n"), login, message)
        with self._lock:
            self._messages.append(mail)
        if self.on_message is not None:
            self.on_message(mail)
        return "250 Message accepted for delivery"

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
