"""Recovery: messages whose task was lost are scheduled again; nothing is scheduled twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import task_backends
from django_tasks_db.models import DBTaskResult

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_recover
from amtsweg.outbox.tasks import deliver_outbox_message, schedule_delivery

from .factories import enqueue

pytestmark = pytest.mark.django_db


def queued_ids() -> list[int]:
    return sorted(
        row.args_kwargs["args"][0]
        for row in DBTaskResult.objects.filter(task_path=deliver_outbox_message.module_path, status="READY")
    )


def test_enqueue_schedules_the_delivery_on_commit(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        message = enqueue("test.x")
    assert queued_ids() == [message.pk]


def test_nothing_is_scheduled_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks: Any,
) -> None:
    def change_that_fails() -> None:
        with transaction.atomic():
            enqueue("test.x", key="rolled-back")
            raise RuntimeError("the change that caused the side effect failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()
    assert not OutboxMessage.objects.filter(dedupe_key="rolled-back").exists()
    assert queued_ids() == []


def test_same_dedupe_key_gives_the_same_message_once() -> None:
    first = enqueue("test.x", {"case": 1}, key="email.receipt:1")
    second = enqueue("test.x", {"case": 1}, key="email.receipt:1")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1


def test_lost_tasks_are_scheduled_again_once() -> None:
    lost = enqueue("test.x")  # its task never reached the queue (on_commit does not run in this test)
    queued = enqueue("test.x")
    schedule_delivery(queued.pk)
    later = enqueue("test.x", run_after=timezone.now() + timedelta(hours=1))
    done = enqueue("test.x")
    OutboxMessage.objects.filter(pk=done.pk).update(status=OutboxMessage.Status.DONE)

    assert outbox_recover() == 1
    assert queued_ids() == sorted([lost.pk, queued.pk])
    assert outbox_recover() == 0  # already queued: no second task
    assert queued_ids() == sorted([lost.pk, queued.pk])
    assert later.pk not in queued_ids()


def test_locked_messages_are_left_alone_until_the_lease_expires(monkeypatch: pytest.MonkeyPatch) -> None:
    now = timezone.now()
    message = enqueue("test.x")
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, locked_until=now + timedelta(minutes=5))
    assert outbox_recover() == 0
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(minutes=6))
    # The worker holding it died: its task is RUNNING for ever in the queue, so only recovery helps.
    assert outbox_recover() == 1
    assert queued_ids() == [message.pk]


def test_enqueue_failure_is_survived_and_recovered(monkeypatch: pytest.MonkeyPatch, caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="amtsweg.outbox")
    message = enqueue("test.x")

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("queue unreachable")

    monkeypatch.setattr(type(task_backends["default"]), "enqueue", broken)
    schedule_delivery(message.pk)  # does not raise: the message is stored, the sweep will find it
    assert "could not be queued" in caplog.text
    monkeypatch.undo()
    assert outbox_recover() == 1
    assert queued_ids() == [message.pk]


@override_settings(
    TASKS={
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default", "documents"]}
    },
    OUTBOX_SWEEP_SECONDS=60,
)
def test_without_a_visible_queue_recovery_waits_one_interval_and_repeats_at_most_once_per_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = task_backends["default"]
    now = timezone.now()
    message = enqueue("test.x")
    assert outbox_recover() == 0  # due for less than one sweep interval: its task is probably just queued
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=61))
    assert outbox_recover() == 1
    assert [r.args for r in backend.results] == [[message.pk]]  # type: ignore[attr-defined]
    assert outbox_recover() == 0  # not again in the same interval
    monkeypatch.setattr(timezone, "now", lambda: now + timedelta(seconds=122))
    assert outbox_recover() == 1


def test_one_sweep_schedules_at_most_limit_messages_oldest_first() -> None:
    now = timezone.now()
    messages = [enqueue("test.x", run_after=now - timedelta(minutes=minutes)) for minutes in (1, 3, 2)]
    assert outbox_recover(limit=2) == 2
    assert queued_ids() == sorted([messages[1].pk, messages[2].pk])
    assert outbox_recover(limit=2) == 1
    assert queued_ids() == sorted(m.pk for m in messages)
