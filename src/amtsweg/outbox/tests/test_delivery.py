"""Delivery of outbox messages: claim, handler, done; failures retried with backoff; failed for good."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from amtsweg.outbox import registry
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure
from amtsweg.outbox.services import (
    Outcome,
    backoff,
    describe_error,
    external_effect,
    long_running,
    outbox_deliver,
)
from amtsweg.outbox.tasks import deliver_outbox_message
from amtsweg.tenancy.models import Alliance

from .factories import enqueue

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(T0)
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def register(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, registry.Handler], None]:
    def add(kind: str, function: registry.Handler) -> None:
        monkeypatch.setitem(registry._HANDLERS, kind, function)

    return add


class Flaky:
    """A handler that fails ``failures`` times, then succeeds; counts its calls."""

    def __init__(self, failures: int, error: Exception | None = None) -> None:
        self.failures = failures
        self.error = error or ConnectionRefusedError(111, "Connection refused")
        self.calls = 0

    def __call__(self, message: OutboxMessage) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise self.error


def queued_runs(message_id: int) -> list[datetime | None]:
    """``run_after`` of the delivery tasks waiting in the database queue for ``message_id``."""
    return [
        row.run_after
        for row in DBTaskResult.objects.filter(task_path=deliver_outbox_message.module_path, status="READY")
        if row.args_kwargs["args"] == [message_id]
    ]


def test_delivered_message_is_done_after_one_attempt(clock: Clock, register: Callable[..., None]) -> None:
    handler = Flaky(0)
    register("test.ok", handler)
    message = enqueue("test.ok")
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    message.refresh_from_db()
    assert (message.status, message.attempts, message.done_at, message.locked_until) == ("done", 1, T0, None)
    assert handler.calls == 1
    # Delivered once: a second task for the same message (a duplicate, a recovery) does nothing.
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    assert handler.calls == 1


def test_failures_are_retried_with_growing_backoff_until_delivered(
    clock: Clock, register: Callable[..., None]
) -> None:
    handler = Flaky(3)
    register("test.flaky", handler)
    message = enqueue("test.flaky")
    waits = []
    for attempt in (1, 2, 3):
        assert outbox_deliver(message_id=message.pk) == Outcome.RETRY
        message.refresh_from_db()
        assert message.status == "pending"
        assert message.attempts == attempt
        assert message.locked_until is None
        assert message.last_error == "ConnectionRefusedError: [Errno 111] Connection refused"
        waits.append(message.next_attempt_at - clock.now)
        # The retry is queued to run when it is due, not before.
        assert queued_runs(message.pk) == [message.next_attempt_at]
        assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED  # not due yet
        clock.advance(waits[-1])
        DBTaskResult.objects.all().delete()
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("done", 4)
    assert handler.calls == 4
    # 30 s, 2 min, 8 min, each shortened by up to a quarter (jitter)
    for wait, nominal in zip(waits, (30, 120, 480), strict=True):
        assert nominal * 0.75 <= wait.total_seconds() <= nominal


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    for attempt, nominal in ((1, 30), (2, 120), (3, 480), (4, 1920), (5, 7680), (6, 21600), (12, 21600)):
        samples = [backoff(attempt).total_seconds() for _ in range(50)]
        assert all(nominal * 0.75 <= s <= nominal for s in samples), (attempt, min(samples), max(samples))
        assert max(samples) - min(samples) > 0  # jittered, not all the same
    assert backoff(1000) <= timedelta(hours=6)


@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_message_fails_after_max_attempts(clock: Clock, register: Callable[..., None]) -> None:
    handler = Flaky(99)
    register("test.broken", handler)
    message = enqueue("test.broken")
    outcomes = []
    for _ in range(3):
        outcomes.append(outbox_deliver(message_id=message.pk))
        clock.advance(timedelta(hours=7))
    assert outcomes == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.locked_until) == ("failed", 3, None)
    assert "Connection refused" in message.last_error
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    assert handler.calls == 3


def test_permanent_failure_fails_at_once(clock: Clock, register: Callable[..., None]) -> None:
    handler = Flaky(1, PermanentFailure("recipient address is not valid"))
    register("test.permanent", handler)
    message = enqueue("test.permanent")
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error == "PermanentFailure: recipient address is not valid"
    assert queued_runs(message.pk) == []


def test_unknown_kind_fails_at_once_with_a_clear_error(clock: Clock) -> None:
    message = enqueue("test.nobody-handles-this")
    assert outbox_deliver(message_id=message.pk) == Outcome.FAILED
    message.refresh_from_db()
    assert message.status == "failed"
    assert "no handler for outbox messages of kind 'test.nobody-handles-this'" in message.last_error


def test_a_kind_cannot_be_registered_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_HANDLERS", dict(registry._HANDLERS))
    monkeypatch.setattr(registry, "_frozen", False)  # as during start-up

    @registry.handler("test.once")
    def first(message: OutboxMessage) -> None: ...

    registry.handler("test.once")(first)  # the same function again (a re-import) is fine
    with pytest.raises(RuntimeError, match="registered twice"):

        @registry.handler("test.once")
        def second(message: OutboxMessage) -> None: ...

    monkeypatch.setattr(registry, "_frozen", True)
    with pytest.raises(RuntimeError, match="after start-up"):

        @registry.handler("test.late")
        def late(message: OutboxMessage) -> None: ...


def test_the_email_handlers_are_registered() -> None:
    assert {"email.postbox", "email.receipt"} <= set(registry.registered_kinds())


def test_error_text_keeps_class_and_message_but_no_addresses() -> None:
    error = describe_error(OSError("550 5.1.1 <clara.citizen@example.org>: Recipient address rejected"))
    assert error == "OSError: 550 5.1.1 <[address removed]>: Recipient address rejected"
    assert len(describe_error(ValueError("x" * 5000))) == 1000


def test_database_effect_and_done_commit_together(clock: Clock, register: Callable[..., None]) -> None:
    """A handler's writes are rolled back when it fails, so a retry does not find half an effect."""
    calls: list[int] = []

    def write_then_fail(message: OutboxMessage) -> None:
        calls.append(1)
        Alliance.objects.create(name=f"Effect {len(calls)}", slug=f"effect-{len(calls)}")
        if len(calls) == 1:
            raise RuntimeError("fails after writing")

    register("test.db-effect", write_then_fail)
    message = enqueue("test.db-effect")
    assert outbox_deliver(message_id=message.pk) == Outcome.RETRY
    assert not Alliance.objects.filter(slug__startswith="effect-").exists()
    clock.advance(timedelta(minutes=1))
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    assert list(Alliance.objects.filter(slug__startswith="effect-").values_list("slug", flat=True)) == [
        "effect-2"
    ]


def test_database_effect_is_undone_when_the_lease_was_lost(
    clock: Clock, register: Callable[..., None]
) -> None:
    """A worker that took longer than its lease must not commit: another worker has taken over."""

    def slow_write(message: OutboxMessage) -> None:
        Alliance.objects.create(name="Slow", slug="slow")
        # Meanwhile the lease ran out and another worker claimed the message (attempt 2).
        OutboxMessage.objects.filter(pk=message.pk).update(attempts=2)

    register("test.slow", slow_write)
    message = enqueue("test.slow")
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    assert not Alliance.objects.filter(slug="slow").exists()
    message.refresh_from_db()
    assert message.status == "pending"


def test_external_effect_runs_outside_a_transaction(clock: Clock, register: Callable[..., None]) -> None:
    """SMTP must not run inside a transaction: on SQLite that would block every other writer meanwhile."""
    from django.db import connection

    outside = len(connection.savepoint_ids)  # the test itself runs in a transaction
    depths: dict[str, int] = {}

    @external_effect
    def send(message: OutboxMessage) -> None:
        depths["external"] = len(connection.savepoint_ids)

    def write(message: OutboxMessage) -> None:
        depths["database"] = len(connection.savepoint_ids)

    register("test.external", send)
    register("test.database", write)
    for kind in ("test.external", "test.database"):
        assert outbox_deliver(message_id=enqueue(kind).pk) == Outcome.DONE
    assert depths == {"external": outside, "database": outside + 1}


def test_interrupted_attempt_is_taken_over_after_the_lease(
    clock: Clock, register: Callable[..., None]
) -> None:
    """A worker killed mid-attempt leaves its lease; after it expires, another worker takes over."""
    handler = Flaky(0)
    register("test.resume", handler)
    message = enqueue("test.resume")
    # Worker A claimed attempt 1 and died: the row says "locked until now + lease".
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=1, locked_until=T0 + timedelta(minutes=5))
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    assert handler.calls == 0
    clock.advance(timedelta(minutes=5, seconds=1))
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE
    message.refresh_from_db()
    assert (message.status, message.attempts, handler.calls) == ("done", 2, 1)
    assert message.last_error == "attempt 1 interrupted: the worker stopped before it finished"


@override_settings(OUTBOX_MAX_ATTEMPTS=3)
def test_attempts_that_keep_killing_the_worker_end_as_failed(
    clock: Clock, register: Callable[..., None]
) -> None:
    handler = Flaky(0)
    register("test.poison", handler)
    message = enqueue("test.poison")
    OutboxMessage.objects.filter(pk=message.pk).update(attempts=3, locked_until=T0 + timedelta(minutes=5))
    clock.advance(timedelta(minutes=6))
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    message.refresh_from_db()
    assert (message.status, handler.calls) == ("failed", 0)
    assert "interrupted" in message.last_error


def test_future_message_waits_until_due(clock: Clock, register: Callable[..., None]) -> None:
    handler = Flaky(0)
    register("test.later", handler)
    message = enqueue("test.later", run_after=T0 + timedelta(hours=1))
    assert outbox_deliver(message_id=message.pk) == Outcome.NOT_CLAIMED
    clock.advance(timedelta(hours=1))
    assert outbox_deliver(message_id=message.pk) == Outcome.DONE


def test_missing_message_is_ignored(clock: Clock) -> None:
    assert outbox_deliver(message_id=987654) == Outcome.NOT_CLAIMED


def test_the_task_delivers_and_reports_the_outcome(clock: Clock, register: Callable[..., None]) -> None:
    handler = Flaky(0)
    register("test.task", handler)
    message = enqueue("test.task")
    assert deliver_outbox_message.call(message.pk) == "done"
    assert handler.calls == 1


@pytest.fixture
def _no_jitter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("random.uniform", lambda a, b: b)


@pytest.mark.usefixtures("_no_jitter")
@override_settings(OUTBOX_BACKOFF_SECONDS=10, OUTBOX_BACKOFF_MAX_SECONDS=100)
def test_backoff_settings_apply() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 40, 100, 100]


@override_settings(OUTBOX_LEASE_SECONDS=300)
def test_long_running_handler_leases_its_message_for_its_own_time(
    clock: Clock, register: Callable[..., None]
) -> None:
    """A handler marked long_running (OCR of a long scan) holds its message for its own time: a second
    worker cannot take it over after the default lease while the first is still working."""
    leases: dict[str, datetime | None] = {}

    @long_running(lambda: 1900.0)
    def slow(message: OutboxMessage) -> None:
        leases["slow"] = OutboxMessage.objects.get(pk=message.pk).locked_until

    def quick(message: OutboxMessage) -> None:
        leases["quick"] = OutboxMessage.objects.get(pk=message.pk).locked_until

    register("test.long", slow)
    register("test.quick", quick)
    assert outbox_deliver(message_id=enqueue("test.long").pk) == Outcome.DONE
    assert outbox_deliver(message_id=enqueue("test.quick").pk) == Outcome.DONE
    assert leases == {"slow": T0 + timedelta(seconds=1900), "quick": T0 + timedelta(seconds=300)}
