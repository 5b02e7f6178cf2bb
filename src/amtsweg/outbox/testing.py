"""Test helpers for e-mail and the outbox: a real SMTP server (aiosmtpd) on 127.0.0.1; synchronous delivery.

Use the ``smtp_server`` fixture in any test (import it into a conftest): Django then sends through SMTP
to a server started for the test on a random port, and the test asserts on what the server received.
``deliver_due_messages()`` runs what the background worker would run, in the test's process.
"""

from __future__ import annotations

import asyncio
import email
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from typing import Any, Literal

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from .models import OutboxMessage

HoldStage = Literal["data", "quit"]


@dataclass(frozen=True)
class ReceivedMail:
    """One e-mail the test server accepted: envelope and parsed message."""

    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return str(part.get_content()) if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return str(part.get_content()) if part is not None else ""


class _Handler:
    def __init__(self, capture: SMTPCapture) -> None:
        self.capture = capture

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if await self.capture._hold_here("data"):
            # The sender was stopped while we held its message: the message was never accepted.
            return "451 4.3.0 not accepted"
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        message = email.message_from_bytes(raw, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.capture._received(
            ReceivedMail(sender=str(envelope.mail_from), recipients=list(envelope.rcpt_tos), message=message)
        )
        return "250 2.0.0 OK"

    async def handle_QUIT(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        await self.capture._hold_here("quit")
        return "221 Bye"


class _Controller(Controller):
    def _trigger_server(self) -> None:
        # Bound to port 0: the system chose a free port, which the test needs to know.
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SMTPCapture:
    """An SMTP server on 127.0.0.1 that records every e-mail it accepts.

    ``hold("data")`` makes the next session stall when it sends its message, without accepting it;
    ``hold("quit")`` after accepting it, before answering QUIT. ``held`` is set when that happens;
    ``release()`` lets it go on. Tests use this to stop a worker at an exact point of sending.
    """

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.messages: list[ReceivedMail] = []
        self.held = threading.Event()
        self._released = threading.Event()
        self._hold: HoldStage | None = None
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._controller = _Controller(_Handler(self), hostname=self.host, port=0)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._released.set()
        self._controller.stop()

    def hold(self, stage: HoldStage) -> None:
        with self._lock:
            self._hold = stage
            self.held.clear()
            self._released.clear()

    def release(self) -> None:
        self._released.set()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """The received e-mails once there are ``count`` or more; fails the test after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    pytest.fail(f"SMTP server received {len(self.messages)} e-mail(s), expected {count}")
                self._arrived.wait(remaining)
            return list(self.messages)

    def _received(self, mail: ReceivedMail) -> None:
        with self._arrived:
            self.messages.append(mail)
            self._arrived.notify_all()

    async def _hold_here(self, stage: HoldStage) -> bool:
        with self._lock:
            if self._hold != stage:
                return False
            self._hold = None  # one session only: the next one goes through
            self.held.set()
        while not self._released.is_set():
            await asyncio.sleep(0.02)
        return True


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPCapture]:
    """A running :class:`SMTPCapture`; Django's e-mail goes to it over SMTP for this test."""
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    capture = SMTPCapture()
    capture.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = capture.host
    settings.EMAIL_PORT = capture.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield capture
    finally:
        capture.stop()


def deliver_due_messages(*, kinds: list[str] | None = None) -> int:
    """Attempt every pending, due message once in this process (what the worker would do); the number done.

    For tests of other modules: ``submit → deliver_due_messages() → assert on smtp_server.messages``.
    """
    from django.utils import timezone

    from .services import Outcome, outbox_deliver

    due = OutboxMessage.objects.filter(
        status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
    )
    if kinds is not None:
        due = due.filter(kind__in=kinds)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    return sum(outbox_deliver(message_id=pk) == Outcome.DONE for pk in ids)
