"""The crash test: a worker killed mid-delivery loses nothing, and the e-mail goes out exactly once.

Real processes: ``amtsweg worker`` started as a subprocess on the test's database (the PostgreSQL test
database, or a file copy of the SQLite one), a real SMTP server in the test process, and ``kill -9``.
The SMTP server holds the worker at an exact point of sending, so the kill lands where it should.
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import pytest
from django.db import transaction

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.outbox.testing import SMTPCapture
from amtsweg.testing import World

from .factories import make_case
from .processes import TIMEOUT, Processes, share_database

pytestmark = pytest.mark.django_db(transaction=True)

WORKER = ["worker", "--no-startup-delay", "--interval", "0.1", "--sweep-seconds", "0.5"]


def submit(world: World) -> OutboxMessage:
    """What case creation does: the case and its e-mail job commit together; the task is queued on commit."""
    with transaction.atomic():
        case = make_case(world)
        return outbox_enqueue(
            kind="email.receipt",
            payload={"case": case.pk},
            dedupe_key=f"email.receipt:{case.pk}",
            authority_id=case.authority_id,
        )


def kill_when_held(smtp: SMTPCapture, worker: subprocess.Popen[bytes], workers: Processes) -> None:
    assert smtp.held.wait(TIMEOUT), f"the worker never reached the mail server:\n{workers.logs()}"
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(TIMEOUT) == -signal.SIGKILL
    smtp.release()


def stop_gracefully(worker: subprocess.Popen[bytes], workers: Processes) -> None:
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(TIMEOUT) == 0, workers.logs()


def test_worker_killed_before_the_email_is_sent_sends_it_exactly_once_after_restart(
    world: World, smtp_server: SMTPCapture, workers: Processes, tmp_path: Path
) -> None:
    message = submit(world)
    database = share_database(tmp_path)
    smtp_server.hold("data")  # the worker gets as far as handing over the e-mail, which is never accepted

    first = workers.start(database, smtp_server, WORKER)
    kill_when_held(smtp_server, first, workers)
    assert smtp_server.messages == []
    state = database.message(message.pk)
    assert (state["status"], state["attempts"]) == ("pending", 1)
    assert state["locked_until"] is not None  # the dead worker's lease; its task stays "running" for ever

    second = workers.start(database, smtp_server, WORKER)
    [mail] = smtp_server.wait_for(1, timeout=TIMEOUT)
    time.sleep(1.5)  # three more recovery sweeps: nothing is sent again
    stop_gracefully(second, workers)

    assert len(smtp_server.messages) == 1, workers.logs()
    assert mail.recipients == ["clara@example.org"]
    assert mail.message["Message-ID"] == f"<amtsweg.outbox-{message.pk}@127.0.0.1>"
    state = database.message(message.pk)
    assert (state["status"], state["attempts"]) == ("done", 2)
    assert state["last_error"] == "attempt 1 interrupted: the worker stopped before it finished"


def test_worker_killed_after_the_server_took_the_email_resends_it_with_the_same_message_id(
    world: World, smtp_server: SMTPCapture, workers: Processes, tmp_path: Path
) -> None:
    """The one window that cannot be closed (SMTP has no two-phase commit): at-least-once, de-duplicable."""
    message = submit(world)
    database = share_database(tmp_path)
    smtp_server.hold("quit")  # accepted, but the worker dies before it can mark the message done

    first = workers.start(database, smtp_server, WORKER)
    kill_when_held(smtp_server, first, workers)
    assert len(smtp_server.messages) == 1

    second = workers.start(database, smtp_server, WORKER)
    first_copy, second_copy = smtp_server.wait_for(2, timeout=TIMEOUT)
    time.sleep(1.5)
    stop_gracefully(second, workers)

    assert len(smtp_server.messages) == 2, workers.logs()
    assert first_copy.message["Message-ID"] == second_copy.message["Message-ID"]
    assert first_copy.message["Message-ID"] == f"<amtsweg.outbox-{message.pk}@127.0.0.1>"
    assert database.message(message.pk)["status"] == "done"
