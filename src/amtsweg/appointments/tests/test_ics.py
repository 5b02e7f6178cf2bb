"""The iCalendar file of an appointment, parsed back with the icalendar library."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest

from amtsweg.appointments import calendar as office_calendar
from amtsweg.appointments.ics import appointment_ics
from amtsweg.appointments.models import Appointment
from amtsweg.testing import World

from .factories import book
from .matrix_portal import portal_office

pytestmark = pytest.mark.django_db


def _event(body: bytes) -> tuple[icalendar.Calendar, Any]:
    parsed = icalendar.Calendar.from_ical(body)
    events = parsed.walk("VEVENT")
    assert len(events) == 1
    return parsed, events[0]


def test_the_event_after_the_spring_clock_change(world: World, settings: object) -> None:
    office = portal_office(world.neuss)
    # Monday after the last Sunday of March 2026: 08:00 in Berlin is 06:00 UTC (summer time).
    monday = datetime(2026, 3, 30, 8, 0, tzinfo=office_calendar.TZ)
    appointment, _token = book(office, monday, now=datetime(2026, 3, 20, 9, 0, tzinfo=UTC))
    parsed, event = _event(appointment_ics(appointment, manage_url="https://portal.example/termine/t/x/"))
    assert str(parsed["method"]) == "PUBLISH" and str(parsed["version"]) == "2.0"
    assert event.decoded("dtstart") == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=30)
    assert "DTSTART:20260330T060000Z" in appointment_ics(appointment, manage_url="x").decode()
    assert str(event["uid"]) == f"{appointment.ical_uid}@127.0.0.1" or str(event["uid"]).startswith(
        f"{appointment.ical_uid}@"
    )
    assert str(event["status"]) == "CONFIRMED" and int(str(event["sequence"])) == 0
    assert str(event["location"]) == "Bürgerbüro, Markt 1, 41460 Neuss"
    assert "https://portal.example/termine/t/x/" in str(event["description"])
    assert appointment.reference in str(event["description"])
    assert "Personalausweis" in str(event["summary"]) and "Neuss" in str(event["summary"])


def test_cancel_and_video_variants(world: World) -> None:
    office = portal_office(world.neuss)
    appointment, _token = book(
        office,
        datetime(2026, 10, 26, 9, 0, tzinfo=office_calendar.TZ),  # Monday after the autumn change
        now=datetime(2026, 10, 20, 9, 0, tzinfo=UTC),
    )
    Appointment.objects.filter(pk=appointment.pk).update(sequence=2)
    appointment.refresh_from_db()
    parsed, event = _event(
        appointment_ics(
            appointment, manage_url="https://p/x", video_url="https://meet.example/r", cancel=True
        )
    )
    assert str(parsed["method"]) == "CANCEL" and str(event["status"]) == "CANCELLED"
    assert int(str(event["sequence"])) == 3
    assert event.decoded("dtstart") == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)  # winter time: UTC+1
    assert str(event["location"]) == "https://meet.example/r"
    assert "https://meet.example/r" in str(event["description"])
