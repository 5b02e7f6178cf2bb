"""iCalendar (RFC 5545) files of an appointment, for the booking e-mails and the manage page.

The UID stays the same for the life of an appointment, also when it is moved, so a calendar
replaces the event on a new time (``SEQUENCE`` counts the changes) and removes it on a
cancellation (``METHOD:CANCEL`` with ``STATUS:CANCELLED``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.utils import timezone

from .models import Appointment

PRODID = "-//Amtsweg//Terminvergabe//DE"


def uid(appointment: Appointment) -> str:
    """Stable for the life of the appointment, also across moves (``ical_uid`` is kept then)."""
    host = urlsplit(str(settings.PUBLIC_URL)).hostname or "localhost"
    return f"{appointment.ical_uid or appointment.reference}@{host}"


def location(appointment: Appointment) -> str:
    office = appointment.office.office
    return f"{office.name}, {office.street}, {office.postcode} {office.city}"


def summary(appointment: Appointment) -> str:
    services = ", ".join(
        f"{item.quantity} × {item.service.service.name}" if item.quantity > 1 else item.service.service.name
        for item in appointment.items.all()
    )
    return f"Termin {appointment.office.office.authority.name}: {services}"


def appointment_ics(
    appointment: Appointment,
    *,
    manage_url: str,
    video_url: str | None = None,
    cancel: bool = False,
    now: datetime | None = None,
) -> bytes:
    """The calendar file of ``appointment``: ``METHOD:PUBLISH``, or ``METHOD:CANCEL`` with ``cancel``."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if cancel else "PUBLISH")
    event = icalendar.Event()
    event.add("uid", uid(appointment))
    event.add("dtstamp", now or timezone.now())
    # UTC instants: no VTIMEZONE block needed, and every calendar shows them in its own zone.
    event.add("dtstart", appointment.starts_at.astimezone(UTC))
    event.add("dtend", appointment.ends_at.astimezone(UTC))
    # Each move bumps ``sequence``; the cancellation is one change more.
    event.add("sequence", appointment.sequence + (1 if cancel else 0))
    event.add("status", "CANCELLED" if cancel else "CONFIRMED")
    event.add("summary", summary(appointment))
    event.add("location", video_url or location(appointment))
    lines = [
        f"Terminnummer / Reference: {appointment.reference}",
        f"{location(appointment)}",
    ]
    if video_url:
        lines.append(f"Videotermin / Video appointment: {video_url}")
    lines.append(f"Termin ändern oder absagen / Change or cancel: {manage_url}")
    event.add("description", "\n".join(lines))
    event.add("url", manage_url)
    event.add("transp", "OPAQUE")
    calendar.add_component(event)
    return bytes(calendar.to_ical())
