"""The nightly provider check: every open payment compared with what its provider says.

A notification can be lost (the provider's server gave up, our site was down), so once a day
``payments_provider_check`` asks each online provider (``PaymentProvider.status``) about every
unsettled payment that has a provider reference and was not checked recently, and applies any
difference through ``payment_transition`` (source POLL, the provider's event id as report id: a
state already reported by a notification changes nothing). A provider that does not answer is
skipped for the rest of the run and reported; the log names provider keys and counts only, never
a payer.

Scheduling: ``payments_check_schedule`` is called by the worker's periodic sweep (every minute); it
queues one outbox message ``payments.check`` per day (de-duplicated by date) to run at
``PAYMENT_CHECK_HOUR`` (default 2 o'clock local time), whichever worker is up. The management command
``amtsweg payments_check`` runs the check at once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import handler
from amtsweg.outbox.services import external_effect, outbox_enqueue

from .models import Payment, PaymentEvent
from .providers import provider
from .services import Outcome, payment_transition
from .states import UNSETTLED

logger = logging.getLogger(__name__)

DEFAULT_OLDER_THAN = timedelta(hours=20)  # checked in the last night's run or later: not again today
KIND = "payments.check"


@dataclass
class CheckReport:
    """What one run did: payments asked about, changed, and providers that did not answer."""

    checked: int = 0
    changed: int = 0
    unchanged: int = 0
    unknown: int = 0  # the provider does not know the payment (or would not say)
    unavailable: dict[str, str] = field(default_factory=dict)  # provider key → reason
    skipped: int = 0  # payments of providers not configured, offline or unavailable

    def as_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "unknown": self.unknown,
            "unavailable": dict(self.unavailable),
            "skipped": self.skipped,
        }


def payments_provider_check(
    *, older_than: timedelta = DEFAULT_OLDER_THAN, limit: int | None = None
) -> CheckReport:
    """Compare every unsettled payment at an online provider with the provider's status (see module)."""
    now = timezone.now()
    due = (
        Payment.objects.filter(status__in=UNSETTLED)
        .exclude(provider="")
        .exclude(provider_reference="")
        .exclude(last_checked_at__gte=now - older_than)
        .order_by("provider", "created_at", "pk")
    )
    if limit is not None:
        due = due[:limit]
    report = CheckReport()
    for payment in due.iterator(chunk_size=200):
        chosen = provider(payment.provider)
        if chosen is None or not chosen.online or payment.provider in report.unavailable:
            if chosen is None and payment.provider not in report.unavailable:
                report.unavailable[payment.provider] = "not configured"
            report.skipped += 1
            continue
        try:
            reported = chosen.status(payment)
        except Exception as exc:  # a provider that fails is reported, never stops the run
            report.unavailable[payment.provider] = type(exc).__name__
            report.skipped += 1
            logger.warning(
                "provider %s did not answer the status check (%s); skipped",
                payment.provider,
                type(exc).__name__,
            )
            continue
        report.checked += 1
        Payment.objects.filter(pk=payment.pk).update(last_checked_at=timezone.now())
        if reported is None:
            report.unknown += 1
            continue
        if reported.status == payment.status:
            report.unchanged += 1
            continue
        result = payment_transition(
            payment=payment,
            to=reported.status,
            source=PaymentEvent.Source.POLL,
            external_id=reported.external_id,
            detail={"provider": chosen.key, "check": "nightly"},
        )
        if result.outcome == Outcome.APPLIED:
            report.changed += 1
        else:
            report.unchanged += 1
    logger.info("payment provider check: %s", report.as_dict())
    return report


# --- daily schedule ------------------------------------------------------------------------------


def check_hour() -> int:
    return int(getattr(settings, "PAYMENT_CHECK_HOUR", 2))


def payments_check_schedule(*, now: datetime | None = None) -> OutboxMessage:
    """Queue today's check (once per day: the outbox de-duplicates by the date's key)."""
    now = timezone.localtime(now or timezone.now())
    run_at = timezone.make_aware(datetime.combine(now.date(), time(hour=check_hour())), now.tzinfo)
    with transaction.atomic():
        return outbox_enqueue(
            kind=KIND, payload={}, dedupe_key=f"{KIND}:{now.date().isoformat()}", run_after=run_at
        )


@handler(KIND)
@external_effect  # asks other servers; each change it makes is idempotent on its own
def payments_check_run(message: OutboxMessage) -> None:
    payments_provider_check()
