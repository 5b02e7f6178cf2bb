"""Outbox handlers of appointments: the e-mails to the person who booked (confirm link, booking with
iCalendar file, reminder the day before, cancellation, new time).

Guests have no account, so the e-mails go to the appointment's address. They name the time, the
office and the services (what the person needs to come), never the case behind an appointment.
Each handler re-reads the appointment and sends nothing when its e-mail no longer fits (a
reservation confirmed or expired before its link went out, a reminder of a cancelled appointment).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from amtsweg.outbox import conf
from amtsweg.outbox.handlers import send_to_address
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect

from .ics import appointment_ics
from .models import Appointment
from .services import appointment_token
from .video import meeting_url

logger = logging.getLogger("amtsweg.appointments")

ICS_MIMETYPE = "text/calendar"


def _appointment(outbox: OutboxMessage, key: str = "appointment_id") -> Appointment | None:
    value = outbox.payload.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise PermanentFailure(f"payload has no {key!r} id")
    appointment = (
        Appointment.objects.select_related("office__office__authority")
        .prefetch_related("items__service__service")
        .filter(pk=value)
        .first()
    )
    if appointment is None:
        logger.info("outbox message %s: appointment is gone, nothing sent", outbox.pk)
    return appointment


def _manage_url(appointment: Appointment) -> str:
    from .views_portal import manage_url

    return manage_url(appointment_token(appointment))


def _video_url(appointment: Appointment) -> str | None:
    return meeting_url(appointment, display_name=appointment.name, moderator=False)


def _languages(appointment: Appointment) -> list[str]:
    """The person's language first, then the others (the e-mail carries each translation)."""
    codes = [code for code, _name in settings.LANGUAGES]
    first = appointment.language if appointment.language in codes else settings.LANGUAGE_CODE
    return [first, *[code for code in codes if code != first]]


def _context(appointment: Appointment, **extra: Any) -> dict[str, Any]:
    office = appointment.office.office
    return {
        "name": appointment.name,
        "reference": appointment.reference,
        "starts_at": appointment.starts_at,
        "ends_at": appointment.ends_at,
        "authority": office.authority.name,
        "office": office.name,
        "address": f"{office.street}, {office.postcode} {office.city}",
        "services": [(item.service.service.name, item.quantity) for item in appointment.items.all()],
        "video": appointment.mode == Appointment.Mode.VIDEO,
        "video_url": _video_url(appointment) or "",
        "link": _manage_url(appointment),
        **extra,
    }


def _ics(appointment: Appointment, *, cancel: bool = False) -> tuple[str, bytes, str]:
    body = appointment_ics(
        appointment, manage_url=_manage_url(appointment), video_url=_video_url(appointment), cancel=cancel
    )
    return (f"termin-{appointment.reference}.ics", body, ICS_MIMETYPE)


def _send(
    outbox: OutboxMessage,
    appointment: Appointment,
    *,
    subject: str | Promise,
    template: str,
    context: dict[str, Any],
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> None:
    send_to_address(
        outbox,
        appointment.email,
        subject=subject,
        template=f"email/appointments_{template}",
        context=context,
        attachments=attachments or [],
        languages=_languages(appointment),
    )


@handler("appointments.email_confirm")
@external_effect
def email_confirm(outbox: OutboxMessage) -> None:
    """The link to confirm a reservation (payload ``{"appointment_id": n}``)."""
    appointment = _appointment(outbox)
    if appointment is None:
        return
    hold = appointment.hold_expires_at
    if appointment.status != Appointment.Status.RESERVED or (hold is not None and hold <= timezone.now()):
        logger.info("outbox message %s: reservation no longer waits for confirmation", outbox.pk)
        return
    _send(
        outbox,
        appointment,
        subject=_("Bitte bestätigen Sie Ihren Termin"),
        template="confirm",
        context=_context(appointment, hold_expires_at=hold, video_url=""),
    )


@handler("appointments.email_booked")
@external_effect
def email_booked(outbox: OutboxMessage) -> None:
    """The booking, with the calendar file (payload ``{"appointment_id": n}``)."""
    appointment = _appointment(outbox)
    if appointment is None:
        return
    if appointment.status not in (Appointment.Status.BOOKED, Appointment.Status.ATTENDED):
        logger.info("outbox message %s: appointment is no longer booked, nothing sent", outbox.pk)
        return
    _send(
        outbox,
        appointment,
        subject=_("Ihr Termin ist gebucht"),
        template="booked",
        context=_context(appointment),
        attachments=[_ics(appointment)],
    )


@handler("appointments.email_reminder")
@external_effect
def email_reminder(outbox: OutboxMessage) -> None:
    """The reminder the day before (payload ``{"appointment_id": n}``)."""
    appointment = _appointment(outbox)
    if appointment is None:
        return
    if appointment.status != Appointment.Status.BOOKED or appointment.starts_at <= timezone.now():
        logger.info("outbox message %s: appointment is not upcoming, no reminder", outbox.pk)
        return
    _send(
        outbox,
        appointment,
        subject=_("Erinnerung an Ihren Termin"),
        template="reminder",
        context=_context(appointment),
    )


@handler("appointments.email_cancelled")
@external_effect
def email_cancelled(outbox: OutboxMessage) -> None:
    """The cancellation, with a calendar file that removes the event (payload ``{"appointment_id": n}``)."""
    appointment = _appointment(outbox)
    if appointment is None:
        return
    if appointment.status != Appointment.Status.CANCELLED or appointment.rescheduled_to_id is not None:
        # A move cancels the old row too; its e-mail is the one about the new time.
        logger.info("outbox message %s: appointment is not cancelled, nothing sent", outbox.pk)
        return
    _send(
        outbox,
        appointment,
        subject=_("Ihr Termin ist abgesagt"),
        template="cancelled",
        context=_context(
            appointment,
            by_office=appointment.cancelled_by in ("staff", "system"),
            book_url=conf.public_url() + reverse("portal:appointments_start"),
        ),
        attachments=[_ics(appointment, cancel=True)],
    )


@handler("appointments.email_rescheduled")
@external_effect
def email_rescheduled(outbox: OutboxMessage) -> None:
    """The new time, with the updated calendar file.

    Payload ``{"appointment_id": <new>, "previous_id": <old>}``.
    """
    appointment = _appointment(outbox)
    if appointment is None:
        return
    if appointment.status != Appointment.Status.BOOKED:
        logger.info("outbox message %s: the new time is no longer booked, nothing sent", outbox.pk)
        return
    previous = (
        Appointment.objects.filter(pk=outbox.payload.get("previous_id"))
        .values_list("starts_at", flat=True)
        .first()
        if isinstance(outbox.payload.get("previous_id"), int)
        else None
    )
    _send(
        outbox,
        appointment,
        subject=_("Ihr Termin wurde verschoben"),
        template="rescheduled",
        context=_context(appointment, previous_starts_at=previous),
        attachments=[_ics(appointment)],
    )
