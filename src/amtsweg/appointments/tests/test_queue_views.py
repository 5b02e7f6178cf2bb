"""The waiting room over HTTP: the kiosk, the call-up display and its JSON, the staff board and its
actions, audit of what staff read, and isolation between towns."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from amtsweg.appointments import queue, views_queue
from amtsweg.appointments.models import Appointment, AppointmentOffice, QueueTicket
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from . import factories
from .matrix_queue import appointment_at, queue_office


@pytest.fixture
def neuss(world: World) -> AppointmentOffice:
    return queue_office(world.neuss)


def _kiosk(config: AppointmentOffice) -> str:
    return f"/termine/{config.office.authority.ags}/{config.office.slug}/anmeldung/"


def _display(config: AppointmentOffice) -> str:
    return f"/termine/{config.office.authority.ags}/{config.office.slug}/aufruf/"


def _board(config: AppointmentOffice) -> str:
    return f"/backoffice/{config.office.authority.ags}/termine/{config.office.slug}/warteschlange/"


def _soon() -> datetime:
    """A start time today that the kiosk accepts now (also just before or after midnight)."""
    now = timezone.now()
    soon = now + timedelta(minutes=5)
    return soon if timezone.localdate(soon) == timezone.localdate(now) else now - timedelta(minutes=5)


def _due() -> datetime:
    """A start time today that has come: "call next" treats it as due."""
    now = timezone.now()
    earlier = now - timedelta(minutes=1)
    return earlier if timezone.localdate(earlier) == timezone.localdate(now) else now


def _staff(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


# --- the kiosk --------------------------------------------------------------------------------


def test_kiosk_checks_in_and_shows_the_number(neuss: AppointmentOffice) -> None:
    client = Client()
    page = client.get(_kiosk(neuss))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="code"' in html and "autofocus" in html
    assert "Bürgerbüro" in html
    appointment = appointment_at(neuss, _soon(), name="Erika Beispiel")
    answer = client.post(_kiosk(neuss), {"code": appointment.reference.lower().replace("-", "")})
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "A001" in body and "Wartenummer" in body
    assert "Erika" not in body, "the kiosk stands in the waiting room: no names"
    assert 'http-equiv="refresh"' not in body  # no timed reload (WCAG 2.2.1): the next person scans here
    assert 'name="code"' in body and "autofocus" in body
    assert QueueTicket.objects.get().appointment == appointment


@pytest.mark.parametrize(
    ("code", "status", "text"),
    [
        ("T-0000-0000", 404, "keinen Termin"),
        ("", 400, "zwingend erforderlich"),
    ],
)
def test_kiosk_explains_a_refusal(neuss: AppointmentOffice, code: str, status: int, text: str) -> None:
    response = Client().post(_kiosk(neuss), {"code": code})
    assert response.status_code == status
    html = response.content.decode()
    assert text in html
    assert 'role="alert"' in html and 'href="#id_code"' in html  # error summary linking to the field
    assert 'aria-invalid="true"' in html


def test_kiosk_refuses_a_cancelled_appointment_in_german_and_english(neuss: AppointmentOffice) -> None:
    appointment = appointment_at(neuss, _soon(), status=Appointment.Status.CANCELLED)
    client = Client()
    german = client.post(_kiosk(neuss), {"code": appointment.reference})
    assert german.status_code == 409
    assert "abgesagt" in german.content.decode()
    english = client.post(_kiosk(neuss), {"code": appointment.reference}, HTTP_ACCEPT_LANGUAGE="en")
    assert "cancelled" in english.content.decode()


def test_kiosk_is_rate_limited_per_client(neuss: AppointmentOffice, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(views_queue, "CHECKINS_PER_MINUTE", 3)
    client = Client()
    statuses = [client.post(_kiosk(neuss), {"code": "T-0000-0000"}).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    other = Client(REMOTE_ADDR="192.0.2.7")
    assert other.post(_kiosk(neuss), {"code": "T-0000-0000"}).status_code == 404


def test_unknown_office_is_404(world: World, neuss: AppointmentOffice) -> None:
    client = Client()
    assert client.get(f"/termine/{world.neuss.ags}/rathaus/anmeldung/").status_code == 404
    assert (
        client.get(f"/termine/{world.dormagen.ags}/buergerbuero/aufruf/").status_code == 404
    )  # no appointments
    assert client.get(f"/termine/00000000/{neuss.office.slug}/aufruf.json").status_code == 404


# --- the call-up display ----------------------------------------------------------------------


def test_display_shows_numbers_and_counters_never_names(world: World, neuss: AppointmentOffice) -> None:
    appointment = appointment_at(neuss, _soon(), name="Erika Beispiel")
    queue.queue_checkin(office=neuss, code=appointment.reference)
    waiting = appointment_at(neuss, _soon(), name="Otto Wartend")
    queue.queue_checkin(office=neuss, code=waiting.reference)
    queue.queue_call_next(office=neuss, counter=neuss.counters.get(label="2"), actor=world.caseworker_neuss)

    response = Client().get(_display(neuss))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "<td>A001</td><td>2</td>" in html
    assert "A002" not in html  # waiting, not called
    assert "Erika" not in html and "Otto" not in html and appointment.reference not in html
    assert 'aria-live="polite"' in html
    assert "Schalter" in html and 'lang="en">/ Counter' in html
    assert '<meta http-equiv="refresh" content="10">' in html  # inside <noscript>
    assert "display.js" in html
    assert "<script>" not in html and "style=" not in html  # strict CSP

    data = Client().get(_display(neuss).replace("aufruf/", "aufruf.json")).json()
    assert data == {"calls": [{"number": "A001", "counter": "2"}], "waiting": 1}


def test_display_before_anyone_is_called(neuss: AppointmentOffice) -> None:
    html = Client().get(_display(neuss)).content.decode()
    assert "Zurzeit wird niemand aufgerufen." in html
    assert "<strong>0</strong>" in html


# --- the staff board --------------------------------------------------------------------------


def test_board_shows_expected_waiting_and_active_and_audits_the_read(
    world: World, neuss: AppointmentOffice
) -> None:
    expected = appointment_at(neuss, _soon(), name="Erika Erwartet")
    waiting = appointment_at(neuss, _soon(), name="Walter Wartend")
    queue.queue_checkin(office=neuss, code=waiting.reference)
    appointment_at(neuss, _soon(), name="Vera Video", mode=Appointment.Mode.VIDEO)
    appointment_at(neuss, _soon(), name="Carl Cancelled", status=Appointment.Status.CANCELLED)
    appointment_at(neuss, _soon() + timedelta(days=1), name="Tom Tomorrow")

    client = _staff(world.caseworker_neuss)
    response = client.get(_board(neuss))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Erika Erwartet" in html and expected.reference in html
    assert "Walter Wartend" in html and "A001" in html
    for absent in ("Vera Video", "Carl Cancelled", "Tom Tomorrow"):
        assert absent not in html
    event = AuditEvent.objects.get(action="read", object_type="appointments.appointmentoffice")
    assert (event.actor, event.authority) == (world.caseworker_neuss, world.neuss)
    assert event.changes["appointments"] == sorted([expected.pk, waiting.pk])


def test_board_actions_run_the_whole_visit(world: World, neuss: AppointmentOffice) -> None:
    client = _staff(world.caseworker_neuss)
    appointment = appointment_at(neuss, _due())
    url = _board(neuss)

    response = client.post(url, {"aktion": "checkin", "termin": appointment.reference})
    assert response.status_code == 302 and response["Location"] == url
    ticket = QueueTicket.objects.get(appointment=appointment)
    client.post(url, {"aktion": "walkin", "leistung": factories.REISEPASS})
    walkin = QueueTicket.objects.get(number="W001")
    assert walkin.service is not None and walkin.service.service.leika_key == factories.REISEPASS

    page = client.post(url, {"aktion": "call", "schalter": "2"}, follow=True)
    assert "Nummer A001 an Schalter 2 aufgerufen." in page.content.decode()
    assert client.session[views_queue._session_key(neuss)] == "2"
    assert '<option value="2" selected>' in page.content.decode()
    for action, status in (("recall", "called"), ("start", "in_progress"), ("finish", "done")):
        client.post(url, {"aktion": action, "nummer": ticket.pk})
        ticket.refresh_from_db()
        assert ticket.status == status
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.ATTENDED

    client.post(url, {"aktion": "call", "schalter": "1"})
    client.post(url, {"aktion": "missed", "nummer": walkin.pk})
    walkin.refresh_from_db()
    assert walkin.status == "missed"

    refused = client.post(url, {"aktion": "start", "nummer": walkin.pk}, follow=True)
    assert "diese Aktion ist jetzt nicht möglich" in refused.content.decode()
    empty = client.post(url, {"aktion": "call", "schalter": "1"}, follow=True)
    assert "Niemand wartet" in empty.content.decode()
    assert AuditEvent.objects.filter(object_type="appointments.queueticket").count() == 8


def test_board_posts_need_the_csrf_token(world: World, neuss: AppointmentOffice) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.caseworker_neuss)
    response = client.post(_board(neuss), {"aktion": "walkin", "leistung": factories.REISEPASS})
    assert response.status_code == 403
    assert not QueueTicket.objects.exists()


def test_dormagen_cannot_see_or_work_on_the_neuss_queue(world: World, neuss: AppointmentOffice) -> None:
    appointment = appointment_at(neuss, _soon(), name="Erika Neusserin")
    ticket = queue.queue_checkin(office=neuss, code=appointment.reference)
    dormagen_office = queue_office(world.dormagen)
    client = _staff(world.caseworker_dormagen)

    assert client.get(_board(neuss)).status_code == 404
    for data in (
        {"aktion": "call", "schalter": "1"},
        {"aktion": "missed", "nummer": ticket.pk},
        {"aktion": "walkin", "leistung": factories.REISEPASS},
        {"aktion": "checkin", "termin": appointment.reference},
    ):
        assert client.post(_board(neuss), data).status_code == 404
    # Through the own board: the Neuss ticket and appointment are not reachable either.
    own = _board(dormagen_office)
    answer = client.post(own, {"aktion": "missed", "nummer": ticket.pk}, follow=True)
    assert "Diese Wartenummer gibt es hier nicht." in answer.content.decode()
    answer = client.post(own, {"aktion": "checkin", "termin": appointment.reference}, follow=True)
    assert "Erika" not in answer.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "waiting"
    assert QueueTicket.objects.count() == 1
    assert not AuditEvent.objects.filter(authority=world.neuss).exists()
    # The URL with the other town's AGS is 404 even with the own office's slug.
    assert client.get(own.replace(world.dormagen.ags, world.neuss.ags)).status_code == 404


def test_kreis_admin_sees_the_neuss_board(world: World, neuss: AppointmentOffice) -> None:
    assert _staff(world.kreis_admin).get(_board(neuss)).status_code == 200
    assert _staff(world.citizen).get(_board(neuss)).status_code == 403
    assert Client().get(_board(neuss)).status_code == 302


def test_board_query_count_does_not_grow_with_the_queue(world: World, neuss: AppointmentOffice) -> None:
    client = _staff(world.caseworker_neuss)
    client.get(_board(neuss))  # warm the session and the per-request caches

    def fill(count: int, counter: str) -> None:
        service = neuss.services.first()
        assert service is not None
        for _ in range(count):
            queue.queue_checkin(office=neuss, code=appointment_at(neuss, _soon()).reference)
            appointment_at(neuss, _soon())
            queue.queue_walkin(office=neuss, service=service, actor=world.caseworker_neuss)
        queue.queue_call_next(
            office=neuss, counter=neuss.counters.get(label=counter), actor=world.caseworker_neuss
        )

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(2, "1")
    with CaptureQueriesContext(connection) as small:
        assert client.get(_board(neuss)).status_code == 200
    fill(10, "2")
    with CaptureQueriesContext(connection) as large:
        assert client.get(_board(neuss)).status_code == 200
    assert len(large) == len(small), [q["sql"] for q in large.captured_queries]
