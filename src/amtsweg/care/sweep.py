"""The care finder's part of the worker's periodic sweep (every minute by default): reminders to
facilities that have not reported by their finder's due time, the daily open-data release (made once
the day's reports are due, see ``opendata.releases_daily``) and the expiry of unconfirmed place alerts.

Each step is idempotent (unique rows per facility/finder and day), so a sweep that runs twice, or on
two workers at once, sends and stores everything once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone

from . import alerts
from .opendata import releases_daily
from .reminders import reminders_send

logger = logging.getLogger("amtsweg.care")


def care_sweep(*, now: datetime | None = None) -> None:
    now = now or timezone.now()
    steps: list[Callable[..., object]] = [reminders_send, releases_daily, alerts.alerts_expire]
    for step in steps:
        try:
            step(now=now)
        except Exception:  # one failing step must not hold up the others; the next sweep retries
            logger.exception("care sweep step %s failed", step.__name__)
