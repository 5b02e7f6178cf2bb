"""The manage pages of the secret link: details, confirm, cancel, reschedule, calendar file, wrong tokens."""

from __future__ import annotations

import re
from datetime import timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.appointments import services
from amtsweg.appointments.models import Appointment, AppointmentOffice
from amtsweg.appointments.problems import SlotTaken
from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World

from .factories import book
from .matrix_portal import free_start, portal_office

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return portal_office(world.neuss)


def test_manage_page_shows_the_appointment_and_a_get_changes_nothing(
    client: Client, office: AppointmentOffice
) -> None:
    appointment, token = book(office, free_start(office), confirm=False)
    response = client.get(f"/termine/t/{token}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    assert appointment.reference in page and "Markt 1, 41460 Neuss" in page
    assert f"{timezone.localtime(appointment.starts_at):%H:%M}" in page
    assert "Termin bestätigen" in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.RESERVED


def test_confirm_by_post_books_and_shows_the_check_in_code(client: Client, office: AppointmentOffice) -> None:
    appointment, token = book(office, free_start(office), confirm=False)
    response = client.post(f"/termine/t/{token}/bestaetigen/")
    assert response.status_code == 302 and response["Location"] == f"/termine/t/{token}/"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    assert OutboxMessage.objects.filter(kind="appointments.email_booked").count() == 1
    page = client.get(f"/termine/t/{token}/").content.decode()
    assert "Ihr Termin ist bestätigt" in page
    assert 'src="data:image/svg+xml' in page and f"QR-Code der Terminnummer {appointment.reference}" in page
    assert client.get(f"/termine/t/{token}/bestaetigen/").status_code == 405


def test_confirm_after_the_hold_expired_explains(client: Client, office: AppointmentOffice) -> None:
    appointment, token = book(office, free_start(office), confirm=False)
    Appointment.objects.filter(pk=appointment.pk).update(
        hold_expires_at=timezone.now() - timedelta(minutes=1)
    )
    assert "Reservierung ist abgelaufen" in client.get(f"/termine/t/{token}/").content.decode()
    services.holds_expire(now=timezone.now())
    response = client.post(f"/termine/t/{token}/bestaetigen/", follow=True)
    assert "Die Reservierung ist abgelaufen" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED


@pytest.mark.parametrize("suffix", ["", "bestaetigen/", "absagen/", "verschieben/", "termin.ics"])
def test_a_wrong_token_is_not_found(client: Client, office: AppointmentOffice, suffix: str) -> None:
    _appointment, token = book(office, free_start(office))
    forged = token[:-4] + ("0000" if not token.endswith("0000") else "1111")
    for bad in (forged, "T1234ABCD-" + "0" * 32, "kaputt"):
        method = client.post if suffix in ("bestaetigen/",) else client.get
        assert method(f"/termine/t/{bad}/{suffix}").status_code == 404


def test_cancel_asks_first_then_cancels_by_post(client: Client, office: AppointmentOffice) -> None:
    appointment, token = book(office, free_start(office))
    page = client.get(f"/termine/t/{token}/absagen/").content.decode()
    assert "wirklich absagen" in page
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    response = client.post(f"/termine/t/{token}/absagen/", follow=True)
    assert "Ihr Termin ist abgesagt." in response.content.decode()
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == (Appointment.Status.CANCELLED, "citizen")
    assert OutboxMessage.objects.filter(kind="appointments.email_cancelled").count() == 1
    assert "Termin absagen" not in client.get(f"/termine/t/{token}/").content.decode()


def test_reschedule_moves_to_a_new_time_and_the_old_link_follows(
    client: Client, office: AppointmentOffice
) -> None:
    appointment, token = book(office, free_start(office))
    page = client.get(f"/termine/t/{token}/verschieben/").content.decode()
    choices = re.findall(r'name="start" value="([^"]+)"', page)
    assert choices
    target = free_start(office, index=3)
    response = client.post(f"/termine/t/{token}/verschieben/", {"start": target.isoformat()})
    assert response.status_code == 302
    moved = Appointment.objects.get(rescheduled_from=appointment)
    assert (moved.starts_at, moved.name, moved.email, moved.sequence) == (
        target,
        appointment.name,
        appointment.email,
        1,
    )
    assert response["Location"] == f"/termine/t/{services.appointment_token(moved)}/"
    assert moved.reference in client.get(f"/termine/t/{token}/").content.decode()
    assert OutboxMessage.objects.filter(kind="appointments.email_rescheduled").count() == 1


def test_reschedule_onto_a_taken_time_offers_others(client: Client, world: World) -> None:
    office = portal_office(world.neuss, max_open_per_person=5)
    _appointment, token = book(office, free_start(office))
    taken = free_start(office, index=6)
    for number in range(office.counters.count()):  # fill every counter at that time
        try:
            book(office, taken, email=f"other{number}@example.org")
        except SlotTaken:
            break
    response = client.post(f"/termine/t/{token}/verschieben/", {"start": taken.isoformat()})
    assert response.status_code == 409
    assert "gerade vergeben" in response.content.decode()


def test_a_reservation_cannot_be_moved_before_it_is_confirmed(
    client: Client, office: AppointmentOffice
) -> None:
    _appointment, token = book(office, free_start(office), confirm=False)
    response = client.get(f"/termine/t/{token}/verschieben/", follow=True)
    assert "kann nicht mehr verschoben werden" in response.content.decode()


def test_calendar_download(client: Client, office: AppointmentOffice) -> None:
    appointment, token = book(office, free_start(office))
    response = client.get(f"/termine/t/{token}/termin.ics")
    assert response["Content-Type"].startswith("text/calendar")
    assert f'filename="termin-{appointment.reference}.ics"' in response["Content-Disposition"]
    event = icalendar.Calendar.from_ical(response.content).walk("VEVENT")[0]
    assert event.decoded("dtstart") == appointment.starts_at
    assert f"/termine/t/{token}/" in str(event.get("description"))


def test_video_appointment_shows_the_room(
    client: Client, office: AppointmentOffice, settings: SettingsWrapper
) -> None:
    settings.APPOINTMENTS_JITSI = {"url": "https://meet.example.org"}
    service = office.services.order_by("pk").first()
    assert service is not None
    appointment, token = services.appointment_reserve(
        office=office,
        items=[(service.pk, 1)],
        starts_at=free_start(office),
        contact=services.Contact(name="Vera Video", email="vera@example.org"),
        user=None,
        mode=Appointment.Mode.VIDEO,
    )
    services.appointment_confirm(token=token)
    page = client.get(f"/termine/t/{token}/").content.decode()
    assert f'href="https://meet.example.org/{appointment.video_room}"' in page
