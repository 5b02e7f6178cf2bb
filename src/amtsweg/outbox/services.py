"""Writes of the outbox: queue a side effect inside the caller's transaction; deliver, recover and retry."""

from __future__ import annotations

import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy.access import audit
from amtsweg.tenancy.models import AuditEvent

from . import conf
from .models import OutboxMessage
from .registry import Handler, PermanentFailure, get_handler


@dataclass(frozen=True)
class OutboxRequest:
    """One side effect to record: handler kind, ids-only payload and the key that makes it unique."""

    kind: str
    payload: dict[str, Any]
    dedupe_key: str
    authority_id: int | None = None
    run_after: datetime | None = None


def outbox_enqueue(
    *,
    kind: str,
    payload: dict[str, Any],
    dedupe_key: str,
    authority_id: int | None = None,
    run_after: datetime | None = None,
) -> OutboxMessage:
    """Record one side effect to deliver once the surrounding transaction commits (see below)."""
    return outbox_enqueue_many(
        [OutboxRequest(kind, payload, dedupe_key, authority_id=authority_id, run_after=run_after)]
    )[0]


def outbox_enqueue_many(requests: list[OutboxRequest]) -> list[OutboxMessage]:
    """Record side effects to deliver once the surrounding transaction commits.

    Must be called inside ``transaction.atomic``: the messages are stored with the change that causes
    them, so either both exist or neither. The same ``dedupe_key`` never creates a second message: one
    ``INSERT … ON CONFLICT (dedupe_key) DO UPDATE … RETURNING id`` stores new messages and returns the
    ids of existing ones, without a savepoint per message. Payloads hold ids only, never personal data.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("outbox_enqueue must be called inside transaction.atomic")
    now = timezone.now()
    messages = OutboxMessage.objects.bulk_create(
        [
            OutboxMessage(
                kind=request.kind,
                payload=request.payload,
                dedupe_key=request.dedupe_key,
                authority_id=request.authority_id,
                next_attempt_at=request.run_after or now,
            )
            for request in requests
        ],
        update_conflicts=True,
        unique_fields=["dedupe_key"],
        update_fields=["dedupe_key"],
    )
    timing = [(message.pk, request.run_after) for message, request in zip(messages, requests, strict=True)]
    transaction.on_commit(lambda: _schedule_all(timing))
    return messages


def _schedule_all(timing: list[tuple[int, datetime | None]]) -> None:
    for message_id, run_after in timing:
        _schedule(message_id, run_after)


def _schedule(message_id: int, run_after: datetime | None) -> None:
    # Imported late: the task module imports the worker machinery, which models must not need.
    from .tasks import schedule_delivery

    schedule_delivery(message_id, run_after=run_after)


# --- delivery (run by the background worker through amtsweg.outbox.tasks) --------------------------

logger = logging.getLogger("amtsweg.outbox")

EXTERNAL_EFFECT = "outbox_external_effect"
_EMAIL_ADDRESS = re.compile(r"[^\s<>@\"'(),;:]+@[^\s<>@\"'(),;:]+")


def external_effect(function: Handler) -> Handler:
    """Mark a handler whose effect lies outside the database (SMTP, another system's API).

    Such a handler runs outside a transaction (on SQLite an open transaction would block every other
    writer while the mail server answers); the message is marked done after it returns. A worker killed
    between the two makes the effect happen again (at-least-once), so the effect must carry a key the
    receiver can de-duplicate on (e-mails: the Message-ID from the outbox id). Handlers without this
    mark run in one transaction with marking the message done: their database effect happens exactly once.
    """
    setattr(function, EXTERNAL_EFFECT, True)
    return function


LEASE = "outbox_lease_seconds"


def long_running(seconds: Callable[[], float]) -> Callable[[Handler], Handler]:
    """Mark a handler whose attempts may outlast ``OUTBOX_LEASE_SECONDS`` (e.g. OCR of a long scan):
    its messages are leased for ``seconds()`` (read at each claim, so settings apply) instead, so that
    no second worker takes a message over while the first is still working on it."""

    def mark(function: Handler) -> Handler:
        setattr(function, LEASE, seconds)
        return function

    return mark


def _lease_for(kind: str) -> timedelta:
    try:
        seconds = getattr(get_handler(kind), LEASE, None)
    except PermanentFailure:
        seconds = None  # no handler: the attempt fails at once anyway
    return timedelta(seconds=float(seconds())) if seconds is not None else conf.lease()


class Outcome(StrEnum):
    DONE = "done"
    RETRY = "retry"
    FAILED = "failed"
    NOT_CLAIMED = "not-claimed"  # done already, not due, or another worker holds it


class _LeaseLost(Exception):
    """Another worker took the message over while this one was still working on it."""


def backoff(attempt: int) -> timedelta:
    """Wait after failed ``attempt`` (1-based): 30 s, 2 min, 8 min, 32 min, … capped at 6 h, minus jitter.

    The jitter (up to a quarter) spreads retries of many messages that failed together (a mail server
    outage) so that they do not hit the server again in the same second.
    """
    base = conf.backoff_base().total_seconds()
    seconds = min(conf.backoff_cap().total_seconds(), base * 4.0 ** min(attempt - 1, 32))
    return timedelta(seconds=seconds * random.uniform(0.75, 1.0))


def describe_error(exc: BaseException) -> str:
    """Exception class and message for ``last_error``, without e-mail addresses, at most 1000 characters."""
    text = _EMAIL_ADDRESS.sub("[address removed]", str(exc))
    return f"{type(exc).__name__}: {text}"[:1000]


def outbox_deliver(*, message_id: int) -> Outcome:
    """Attempt message ``message_id`` once, if it is due and no other worker holds it.

    The attempt is claimed with one conditional UPDATE (compare-and-set on status, lock and attempt
    count), so of any number of workers given the same message only one runs its handler. The claim
    leases the message for ``OUTBOX_LEASE_SECONDS``; a worker that dies mid-attempt leaves the lease to
    expire, and :func:`outbox_recover` then schedules the message again. A failure is recorded and
    retried with :func:`backoff`; after ``OUTBOX_MAX_ATTEMPTS`` attempts, or on ``PermanentFailure``,
    the message is failed and appears on the failed-deliveries page.
    """
    attempt = _claim(message_id)
    if attempt is None:
        return Outcome.NOT_CLAIMED
    message = OutboxMessage.objects.get(pk=message_id)
    try:
        function = get_handler(message.kind)
        if getattr(function, EXTERNAL_EFFECT, False):
            function(message)
            if not _mark_done(message_id, attempt):
                raise _LeaseLost
        else:
            with transaction.atomic():
                function(message)
                if not _mark_done(message_id, attempt):
                    raise _LeaseLost  # rolls the handler's writes back: the other worker makes them
    except _LeaseLost:
        logger.warning(
            "outbox message %s (%s): lease lost during attempt %s", message_id, message.kind, attempt
        )
        return Outcome.NOT_CLAIMED
    except Exception as exc:
        return _record_failure(message, attempt, exc)
    logger.info("outbox message %s (%s) delivered on attempt %s", message_id, message.kind, attempt)
    return Outcome.DONE


def _claim(message_id: int) -> int | None:
    """Take message ``message_id`` for one attempt; the attempt number, or None if it is not ours to take."""
    now = timezone.now()
    current = (
        OutboxMessage.objects.filter(pk=message_id, status=OutboxMessage.Status.PENDING)
        .values("kind", "attempts", "locked_until", "next_attempt_at")
        .first()
    )
    if current is None or current["next_attempt_at"] > now:
        return None
    previous_lock: datetime | None = current["locked_until"]
    if previous_lock is not None and previous_lock > now:
        return None
    attempt = int(current["attempts"]) + 1
    updates: dict[str, Any] = {"attempts": attempt, "locked_until": now + _lease_for(current["kind"])}
    if previous_lock is not None:
        # The previous attempt never finished: its worker was killed (or lost its database connection).
        updates["last_error"] = f"attempt {attempt - 1} interrupted: the worker stopped before it finished"
    claimed = (
        OutboxMessage.objects.filter(
            pk=message_id,
            status=OutboxMessage.Status.PENDING,
            attempts=current["attempts"],
            next_attempt_at__lte=now,
        )
        .filter(Q(locked_until=previous_lock) if previous_lock else Q(locked_until__isnull=True))
        .update(**updates)
    )
    if not claimed:
        return None
    if previous_lock is not None and attempt > conf.max_attempts():
        # Attempts that kill their worker (a crash, memory exhaustion) must not loop forever.
        OutboxMessage.objects.filter(pk=message_id, attempts=attempt).update(
            status=OutboxMessage.Status.FAILED, locked_until=None
        )
        logger.error("outbox message %s failed: attempts keep getting interrupted", message_id)
        return None
    return attempt


def _mark_done(message_id: int, attempt: int) -> bool:
    return bool(
        OutboxMessage.objects.filter(
            pk=message_id, status=OutboxMessage.Status.PENDING, attempts=attempt
        ).update(status=OutboxMessage.Status.DONE, done_at=timezone.now(), locked_until=None)
    )


def _record_failure(message: OutboxMessage, attempt: int, exc: Exception) -> Outcome:
    error = describe_error(exc)
    mine = OutboxMessage.objects.filter(pk=message.pk, status=OutboxMessage.Status.PENDING, attempts=attempt)
    if isinstance(exc, PermanentFailure) or attempt >= conf.max_attempts():
        mine.update(status=OutboxMessage.Status.FAILED, locked_until=None, last_error=error)
        logger.error(
            "outbox message %s (%s) failed on attempt %s: %s", message.pk, message.kind, attempt, error
        )
        return Outcome.FAILED
    next_attempt_at = timezone.now() + backoff(attempt)
    if mine.update(locked_until=None, last_error=error, next_attempt_at=next_attempt_at):
        logger.warning(
            "outbox message %s (%s) attempt %s failed, next at %s: %s",
            message.pk,
            message.kind,
            attempt,
            next_attempt_at.isoformat(timespec="seconds"),
            error,
        )
        _schedule_now_or_later(message.pk, next_attempt_at)
    return Outcome.RETRY


def _schedule_now_or_later(message_id: int, run_after: datetime | None) -> None:
    from .tasks import schedule_delivery

    schedule_delivery(message_id, run_after=run_after)


def outbox_recover(*, limit: int = 1000) -> int:
    """Schedule again every due message that has no task in the queue; the number scheduled.

    Catches messages whose task was lost: a worker killed mid-attempt (its lease expires), a queue that
    lost its contents (Redis flushed), or an enqueue after commit that failed. With the database task
    backend the queue is inspected, so nothing is scheduled twice; with other backends a message is
    scheduled again only after it has been due for one sweep interval, and at most once per interval.
    """
    now = timezone.now()
    queued = _queued_message_ids()
    due = OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).filter(
        Q(locked_until__isnull=True) | Q(locked_until__lte=now)
    )
    if queued is None:
        due = due.filter(next_attempt_at__lte=now - timedelta(seconds=conf.sweep_seconds()))
    else:
        due = due.filter(next_attempt_at__lte=now)
    ids: list[int] = []
    for pk in due.order_by("next_attempt_at").values_list("pk", flat=True).iterator(chunk_size=2000):
        if queued is None or pk not in queued:
            ids.append(pk)
            if len(ids) >= limit:
                break
    if queued is None and ids:
        OutboxMessage.objects.filter(pk__in=ids, status=OutboxMessage.Status.PENDING).update(
            next_attempt_at=now
        )
    for pk in ids:
        _schedule_now_or_later(pk, None)
    if ids:
        logger.info("outbox recovery scheduled %s message(s) again", len(ids))
    return len(ids)


def _queued_message_ids() -> set[int] | None:
    """Ids of messages with a delivery task waiting in the database queue; None if the queue is elsewhere."""
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    from .tasks import deliver_outbox_message

    backend = task_backends[deliver_outbox_message.backend]
    if not isinstance(backend, DatabaseBackend):
        return None
    from django_tasks_db.models import DBTaskResult

    rows = DBTaskResult.objects.filter(
        backend_name=backend.alias, task_path=deliver_outbox_message.module_path, status="READY"
    ).values_list("args_kwargs", flat=True)
    ids: set[int] = set()
    for args_kwargs in rows:
        args = args_kwargs.get("args") or [args_kwargs.get("kwargs", {}).get("message_id")]
        if args and isinstance(args[0], int):
            ids.add(args[0])
    return ids


def outbox_retry(*, message: OutboxMessage, actor: User | AnonymousUser, channel: str) -> OutboxMessage:
    """Give a failed (or delayed) message another attempt now, on a member of staff's request; audited.

    The attempt count is kept: if the new attempt fails too, the message fails again at once instead of
    starting another round of backoff.
    """
    now = timezone.now()
    if message.status == OutboxMessage.Status.DONE:
        raise Problem(
            "Diese Zustellung ist bereits erledigt.",
            "This delivery is already done.",
            status_code=409,
            code="delivery-done",
        )
    if message.locked_until is not None and message.locked_until > now:
        raise Problem(
            "Diese Zustellung wird gerade versucht.",
            "This delivery is being attempted right now.",
            status_code=409,
            code="delivery-in-progress",
        )
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, status=message.status, attempts=message.attempts
        ).update(status=OutboxMessage.Status.PENDING, next_attempt_at=now, locked_until=None)
        if not updated:
            raise Problem(
                "Die Zustellung wurde gerade von anderer Stelle geändert. Bitte laden Sie die Seite neu.",
                "The delivery has just been changed elsewhere. Please reload.",
                status_code=409,
                code="delivery-changed",
            )
        audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=message,
            authority_id=message.authority_id,
            channel=channel,
            changes={"status": [message.status, OutboxMessage.Status.PENDING], "retry": [None, "manual"]},
        )
        transaction.on_commit(lambda: _schedule_now_or_later(message.pk, None))
    message.refresh_from_db()
    return message
