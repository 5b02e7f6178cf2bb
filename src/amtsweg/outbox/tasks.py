"""Delivery of outbox messages by the background worker (Django tasks API, ``django-tasks``).

The task carries only the message id; everything else is read from the outbox row, which stays the
source of truth: a lost task loses nothing (``outbox_recover`` schedules the message again), and a
duplicated task does nothing twice (the attempt is claimed atomically).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from .services import Outcome, outbox_deliver

logger = logging.getLogger("amtsweg.outbox")


@task()
def deliver_outbox_message(message_id: int) -> str:
    """Attempt outbox message ``message_id`` once (see :func:`amtsweg.outbox.services.outbox_deliver`)."""
    outcome: Outcome = outbox_deliver(message_id=message_id)
    return outcome.value


def enqueue_delivery(message_id: int, *, run_after: datetime | None = None) -> None:
    """Queue the delivery task of message ``message_id`` (raises if the queue refuses)."""
    queued = deliver_outbox_message.using(run_after=run_after) if run_after else deliver_outbox_message
    queued.enqueue(message_id)


def schedule_delivery(message_id: int, *, run_after: datetime | None = None) -> None:
    """Hand message ``message_id`` to the task queue, to run now or at ``run_after``.

    Called after the commit that stored the message. It never raises: if the queue is unreachable the
    message is still safely stored, and the worker's recovery sweep schedules it again.
    """
    try:
        enqueue_delivery(message_id, run_after=run_after)
    except Exception:
        logger.warning(
            "outbox message %s could not be queued; the recovery sweep will", message_id, exc_info=True
        )
