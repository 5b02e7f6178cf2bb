"""Reminders to facilities that have not reported by their finder's due time (one e-mail per facility
and day), sent through the outbox.

Care places change every day, so reminders go out every day, weekends and holidays included. A facility
has reported for a day when any of its offers has a report on that (local) day; a facility without any
care offer cannot report and is not reminded. A facility without a reminder address (``report_email``,
else the public ``email``) gets no e-mail and no reminder row: it shows on the Heimaufsicht's list
(``selectors_supervision``) with "keine Erinnerungsadresse".
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from amtsweg.outbox import conf
from amtsweg.outbox.handlers import send_to_address
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect, outbox_enqueue

from .models import CareFinder, CareOffer, Facility, ReportReminder

logger = logging.getLogger("amtsweg.care")

REMINDER_KIND = "care.reminder_mail"
REPORT_URL = "portal:care_operator_report"  # /pflegefinder/meine-einrichtungen/<pk>/meldung/


def local_midnight(day: date) -> datetime:
    """The start of ``day`` in the platform's time zone (settings.TIME_ZONE), as an aware datetime."""
    return timezone.make_aware(datetime.combine(day, time.min))


def reminder_address(facility: Facility) -> str:
    return facility.report_email or facility.email


def _due_facilities(finder: CareFinder, *, today: date) -> list[Facility]:
    reported_today = CareOffer.objects.filter(facility=OuterRef("pk"), reported_at__gte=local_midnight(today))
    return list(
        Facility.objects.filter(authority_id=finder.authority_id, active=True)
        .filter(Exists(CareOffer.objects.filter(facility=OuterRef("pk"))))
        .exclude(Exists(reported_today))
        .exclude(Exists(ReportReminder.objects.filter(facility=OuterRef("pk"), due_date=today)))
        .only("pk", "authority_id", "email", "report_email")
        .order_by("pk")
    )


def reminders_send(*, now: datetime) -> int:
    """Remind every active facility of every finder (enabled, reminders on) whose due time has passed
    today and that has not reported today; the number of reminders created.

    One ``ReportReminder`` row per facility and day (unique): a second run, or a second worker running
    at the same time, finds the row (or loses the insert race) and sends nothing. The row and its
    outbox message are stored in one transaction, so the e-mail goes out exactly when the row exists.
    """
    local = timezone.localtime(now)
    today = local.date()
    created = 0
    finders = CareFinder.objects.filter(enabled=True, reminders_enabled=True)
    for finder in finders:
        if local.time() < finder.report_due_time:
            continue
        for facility in _due_facilities(finder, today=today):
            if not reminder_address(facility):
                continue  # listed for the Heimaufsicht instead
            try:
                with transaction.atomic():
                    reminder = ReportReminder.objects.create(facility=facility, due_date=today, sent_at=now)
                    outbox_enqueue(
                        kind=REMINDER_KIND,
                        payload={"reminder_id": reminder.pk},
                        dedupe_key=f"{REMINDER_KIND}:{facility.pk}:{today.isoformat()}",
                        authority_id=facility.authority_id,
                    )
            except IntegrityError:
                continue  # another worker reminded this facility a moment ago
            created += 1
    if created:
        logger.info("care reminders: %s facilities reminded for %s", created, today.isoformat())
    return created


def _reminder_id(outbox: OutboxMessage) -> int:
    value = outbox.payload.get("reminder_id")
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure("payload has no 'reminder_id'")
    return value


@handler(REMINDER_KIND)
@external_effect
def reminder_mail(outbox: OutboxMessage) -> None:
    """E-mail the reminder (payload ``{"reminder_id": id}``) to the facility's reminder address, unless
    the facility has reported in the meantime or is gone."""
    reminder = (
        ReportReminder.objects.select_related("facility__authority__care_finder")
        .filter(pk=_reminder_id(outbox))
        .first()
    )
    if reminder is None:
        logger.info("outbox message %s: reminder is gone, nothing sent", outbox.pk)
        return
    facility = reminder.facility
    if CareOffer.objects.filter(
        facility=facility, reported_at__gte=local_midnight(reminder.due_date)
    ).exists():
        logger.info("outbox message %s: facility has reported meanwhile, nothing sent", outbox.pk)
        return
    address = reminder_address(facility)
    if not address or not facility.active:
        logger.info("outbox message %s: facility inactive or without address, nothing sent", outbox.pk)
        return
    finder = facility.authority.care_finder
    send_to_address(
        outbox,
        address,
        subject=format_lazy(_("Erinnerung: Freie Plätze für {facility} melden"), facility=facility.name),
        template="care/email/reminder_mail",
        context={
            "facility": facility.name,
            "due_date": reminder.due_date,
            "due_time": finder.report_due_time,
            "link": conf.public_url() + reverse(REPORT_URL, kwargs={"pk": facility.pk}),
            "supervision": facility.authority.name,
            "supervision_email": finder.contact_email,
        },
    )
