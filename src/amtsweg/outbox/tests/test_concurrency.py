"""Claims are exclusive: many workers given the same message run its handler once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from amtsweg.outbox import registry
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import Outcome, external_effect, outbox_deliver

from .factories import enqueue

WORKERS = 8


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("external", [True, False], ids=["external-effect", "database-effect"])
def test_parallel_deliveries_of_one_message_run_the_handler_once(
    monkeypatch: pytest.MonkeyPatch, external: bool
) -> None:
    calls: list[str] = []
    lock = threading.Lock()

    def slow(message: OutboxMessage) -> None:
        with lock:
            calls.append(threading.current_thread().name)
        time.sleep(0.2)  # a slow mail server: the other workers arrive while this one is still sending

    monkeypatch.setitem(registry._HANDLERS, "test.slow", external_effect(slow) if external else slow)
    message = enqueue("test.slow")
    start = threading.Barrier(WORKERS)

    def deliver() -> Outcome:
        start.wait()
        try:
            return outbox_deliver(message_id=message.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(WORKERS) as pool:
        outcomes = [future.result() for future in [pool.submit(deliver) for _ in range(WORKERS)]]
    assert len(calls) == 1
    assert sorted(outcomes) == sorted([Outcome.DONE] + [Outcome.NOT_CLAIMED] * (WORKERS - 1))
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("done", 1)
