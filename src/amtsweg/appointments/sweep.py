"""The appointments part of the worker's periodic sweep (every minute by default).

Expired holds are released, missed appointments recorded, tomorrow's reminders queued; once an
hour the lead time of every office (how far ahead its earliest free slot is) is sampled for the
statistics.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from .models import LeadTimeSample
from .services import holds_expire, no_shows_record, reminders_enqueue

LEAD_TIME_INTERVAL = timedelta(hours=1)


def appointments_sweep(*, now: datetime | None = None) -> None:
    from .stats import lead_time_sample

    now = now or timezone.now()
    holds_expire(now=now)
    no_shows_record(now=now)
    reminders_enqueue(now=now)
    latest = LeadTimeSample.objects.order_by("-measured_at").values_list("measured_at", flat=True).first()
    if latest is None or latest <= now - LEAD_TIME_INTERVAL:
        lead_time_sample(now=now)
