"""The appointment e-mails, sent through the outbox to a real SMTP server, with their calendar files."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.appointments import services
from amtsweg.appointments.models import Appointment, AppointmentOffice
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.outbox.testing import ReceivedMail, SMTPCapture, deliver_due_messages
from amtsweg.testing import World

from .factories import book
from .matrix_portal import free_start, portal_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return portal_office(world.neuss)


def _calendar(mail: ReceivedMail) -> icalendar.Calendar:
    parts = [part for part in mail.message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return icalendar.Calendar.from_ical(payload)


def _link(text: str) -> str:
    found = re.search(r"https?://[^/\s]+(/termine/t/[^\s]+/)", text)
    assert found is not None
    return found.group(1)


def test_confirmation_mail_links_to_the_page_that_confirms(
    client: Client, office: AppointmentOffice, smtp_server: SMTPCapture
) -> None:
    appointment, token = book(office, free_start(office), confirm=False)
    assert deliver_due_messages() == 1
    mail = smtp_server.wait_for(1)[-1]
    assert mail.recipients == ["max@example.org"]
    assert "Bitte bestätigen Sie Ihren Termin" in str(mail.message["Subject"])
    local = timezone.localtime(appointment.starts_at)
    assert f"{local:%H:%M}" in mail.text and "Markt 1, 41460 Neuss" in mail.text
    assert appointment.reference in mail.text
    path = _link(mail.text)
    assert path == f"/termine/t/{token}/"
    assert not list(mail.message.iter_attachments())
    # Following the link shows the page; only its button (a POST) confirms.
    assert client.get(path).status_code == 200
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.RESERVED
    client.post(path + "bestaetigen/")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_booking_mail_carries_the_calendar_file(office: AppointmentOffice, smtp_server: SMTPCapture) -> None:
    appointment, token = book(office, free_start(office))
    deliver_due_messages()
    # The confirmation e-mail is dropped: the reservation was confirmed before it went out.
    mail = smtp_server.wait_for(1)[-1]
    assert "Ihr Termin ist gebucht" in str(mail.message["Subject"])
    assert f"/termine/t/{token}/" in mail.text and f"/termine/t/{token}/" in mail.html
    calendar = _calendar(mail)
    assert str(calendar["method"]) == "PUBLISH"
    event = calendar.walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert event.decoded("dtend") == appointment.ends_at
    assert str(event["uid"]).startswith(f"{appointment.ical_uid}@")
    assert int(str(event["sequence"])) == 0
    assert "Markt 1, 41460 Neuss" in str(event["location"])


def test_reminder_goes_only_to_an_upcoming_booked_appointment(
    office: AppointmentOffice, smtp_server: SMTPCapture
) -> None:
    appointment, _token = book(office, free_start(office))
    deliver_due_messages()
    before = len(smtp_server.wait_for(1))
    from django.db import transaction

    with transaction.atomic():
        outbox_enqueue(
            kind="appointments.email_reminder",
            payload={"appointment_id": appointment.pk},
            dedupe_key=f"test-reminder-{appointment.pk}",
        )
    deliver_due_messages()
    mail = smtp_server.wait_for(before + 1)[-1]
    assert "Erinnerung an Ihren Termin" in str(mail.message["Subject"])
    services.appointment_cancel(appointment=appointment, by="citizen")
    with transaction.atomic():
        outbox_enqueue(
            kind="appointments.email_reminder",
            payload={"appointment_id": appointment.pk},
            dedupe_key=f"test-reminder-again-{appointment.pk}",
        )
    deliver_due_messages()
    subjects = [str(m.message["Subject"]) for m in smtp_server.messages]
    assert sum("Erinnerung" in subject for subject in subjects) == 1
    assert (
        OutboxMessage.objects.filter(status=OutboxMessage.Status.DONE).count()
        == OutboxMessage.objects.count()
    )


def test_cancellation_mail_removes_the_event(office: AppointmentOffice, smtp_server: SMTPCapture) -> None:
    appointment, _token = book(office, free_start(office))
    services.appointment_cancel(appointment=appointment, by="staff")
    deliver_due_messages()
    # Cancelled before the booking e-mail went out: only the cancellation is sent.
    mail = next(m for m in smtp_server.wait_for(1) if "abgesagt" in str(m.message["Subject"]))
    assert "musste Ihren Termin leider absagen" in mail.text
    assert "/termine/" in mail.text
    calendar = _calendar(mail)
    event = calendar.walk("VEVENT")[0]
    assert (str(calendar["method"]), str(event["status"])) == ("CANCEL", "CANCELLED")
    assert int(str(event["sequence"])) == 1
    assert str(event["uid"]).startswith(f"{appointment.ical_uid}@")


def test_rescheduling_mail_updates_the_same_event(
    office: AppointmentOffice, smtp_server: SMTPCapture
) -> None:
    appointment, _token = book(office, free_start(office))
    deliver_due_messages()
    moved = services.appointment_reschedule(appointment=appointment, starts_at=free_start(office, index=5))
    deliver_due_messages()
    mails = smtp_server.wait_for(2)
    mail = next(m for m in mails if "verschoben" in str(m.message["Subject"]))
    assert not any("abgesagt" in str(m.message["Subject"]) for m in mails)
    old_local = timezone.localtime(appointment.starts_at)
    assert f"um {old_local:%H:%M} Uhr ist verschoben" in mail.text
    assert f"/termine/t/{services.appointment_token(moved)}/" in mail.text
    event = _calendar(mail).walk("VEVENT")[0]
    assert event.decoded("dtstart") == moved.starts_at
    assert int(str(event["sequence"])) == 1
    assert str(event["uid"]).startswith(f"{appointment.ical_uid}@")


def test_a_mail_for_a_vanished_appointment_sends_nothing(
    office: AppointmentOffice, smtp_server: SMTPCapture
) -> None:
    appointment, _token = book(office, free_start(office), confirm=False)
    services.holds_expire(now=timezone.now() + timedelta(hours=2))
    deliver_due_messages()
    assert smtp_server.messages == []
    message = OutboxMessage.objects.get(kind="appointments.email_confirm")
    assert message.status == OutboxMessage.Status.DONE
    assert appointment.pk == message.payload["appointment_id"]
