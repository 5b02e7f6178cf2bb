"""``amtsweg worker`` and ``amtsweg serve``: they deliver, and they stop cleanly."""

from __future__ import annotations

import signal
import socket
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.outbox.testing import SMTPCapture
from amtsweg.testing import World

from .factories import make_case
from .processes import TIMEOUT, Processes, share_database


def submit(world: World) -> OutboxMessage:
    with transaction.atomic():
        case = make_case(world)
        return outbox_enqueue(
            kind="email.receipt", payload={"case": case.pk}, dedupe_key=f"email.receipt:{case.pk}"
        )


@pytest.mark.django_db(transaction=True)  # the worker loop closes connections inside a test transaction
def test_worker_batch_delivers_queued_and_lost_messages(world: World, smtp_server: SMTPCapture) -> None:
    queued = submit(world)  # its task is queued on commit
    lost = submit(world)
    for task in DBTaskResult.objects.all():
        if task.args_kwargs["args"] == [lost.pk]:
            task.delete()  # lost: only the start-up recovery finds it
    assert [task.args_kwargs["args"] for task in DBTaskResult.objects.all()] == [[queued.pk]]
    before = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
    call_command("worker", "--batch", "--no-startup-delay", verbosity=0)
    assert {number: signal.getsignal(number) for number in before} == before  # the test runner's handlers
    assert len(smtp_server.wait_for(2)) == 2
    for message in (queued, lost):
        message.refresh_from_db()
        assert message.status == "done"


@pytest.mark.django_db
def test_worker_rejects_a_zero_sweep_interval() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="greater than zero"):
        call_command("worker", "--batch", "--sweep-seconds", "0", verbosity=0)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


@pytest.mark.django_db(transaction=True)
def test_serve_runs_the_portal_and_a_worker_and_ctrl_c_stops_both(
    world: World, smtp_server: SMTPCapture, workers: Processes, tmp_path: Path
) -> None:
    message = submit(world)  # queued on commit: the built-in worker must deliver it
    port = _free_port()
    server = workers.start(share_database(tmp_path), smtp_server, ["serve", f"127.0.0.1:{port}"])

    deadline = time.monotonic() + TIMEOUT
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:
                assert response.status == 200
                break
        except OSError:
            assert server.poll() is None and time.monotonic() < deadline, workers.logs()
            time.sleep(0.2)
    [mail] = smtp_server.wait_for(1, timeout=TIMEOUT)
    assert mail.message["Message-ID"] == f"<amtsweg.outbox-{message.pk}@127.0.0.1>"
    [worker_pid] = _children(server.pid)
    assert _alive(worker_pid)

    server.send_signal(signal.SIGINT)  # Ctrl-C
    assert server.wait(TIMEOUT) == 0, workers.logs()
    assert not _alive(worker_pid)
    assert "Worker stopped (status 0)" in workers.logs()
