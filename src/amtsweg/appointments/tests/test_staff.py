"""Back-office pages of an office: offices list, day/week calendar, appointment (audit, video link,
staff cancel), capacity, statistics with CSV, settings with validation — and who may see them."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from amtsweg.appointments import calendar
from amtsweg.appointments.models import Appointment, AppointmentOffice, Break, Closure, Counter, OfficeService
from amtsweg.appointments.tests.factories import PERSONALAUSWEIS, appointment_office, book, catalog_service
from amtsweg.appointments.tests.matrix_staff import next_weekday_at
from amtsweg.catalog.models import ServiceOffering
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return appointment_office(world.neuss.offices.get(), counters=2, hours="Mo-Fr 08:00-12:00")


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def base(world: World) -> str:
    return f"/backoffice/{world.neuss.ags}/termine/buergerbuero/"


def test_offices_list_shows_todays_numbers_and_only_own_offices(
    world: World, office: AppointmentOffice
) -> None:
    appointment_office(world.dormagen.offices.get())
    page = client_for(world.caseworker_neuss).get(f"/backoffice/{world.neuss.ags}/termine/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Bürgerbüro" in html and 'scope="row"' in html
    assert "/termine/buergerbuero/einstellungen/" not in html  # caseworkers do not see the settings
    admin = client_for(world.admin_neuss).get(f"/backoffice/{world.neuss.ags}/termine/").content.decode()
    assert "/termine/buergerbuero/einstellungen/" in admin
    assert (
        client_for(world.caseworker_dormagen).get(f"/backoffice/{world.neuss.ags}/termine/").status_code
        == 404
    )


def test_day_view_shows_the_appointment_and_the_holiday(world: World, office: AppointmentOffice) -> None:
    starts = next_weekday_at(9)
    appointment, _token = book(office, starts, name="Erika Beispiel")
    client = client_for(world.caseworker_neuss)
    html = client.get(base(world) + f"tag/?datum={starts.date().isoformat()}").content.decode()
    assert appointment.reference in html and "Erika Beispiel" in html
    assert 'rowspan="3"' in html and "<caption>" in html and '<th scope="col">Schalter 1</th>' in html
    holiday = client.get(base(world) + "tag/?datum=2026-12-25").content.decode()
    assert "Feiertag: Erster Weihnachtstag" in holiday
    assert client.get(base(world) + "tag/?datum=gestern").status_code == 400
    assert client_for(world.caseworker_dormagen).get(base(world) + "tag/").status_code == 404


def test_week_view_sums_days_and_counters(world: World, office: AppointmentOffice) -> None:
    starts = next_weekday_at(9)
    appointment, _token = book(office, starts)
    year, week, _day = starts.date().isocalendar()
    client = client_for(world.caseworker_neuss)
    page = client.get(base(world) + f"woche/?woche={year}-W{week:02d}")
    html = page.content.decode()
    assert appointment.reference in html
    assert "30 von 240 min, 1 Termin" in html  # the appointment's counter on its day
    assert "30 von 480 min, 1 Termin" in html  # the day's total
    assert f"Woche {week}" in html
    assert client.get(base(world) + "woche/?woche=2026-W60").status_code == 400


def test_reading_an_appointment_is_audited_and_staff_can_cancel(
    world: World, office: AppointmentOffice
) -> None:
    appointment, _token = book(office, next_weekday_at(9))
    client = client_for(world.caseworker_neuss)
    url = base(world) + f"termine/{appointment.reference}/"
    html = client.get(url).content.decode()
    assert "max@example.org" in html and "Personalausweis" in html
    assert AuditEvent.objects.filter(
        actor=world.caseworker_neuss, action=AuditEvent.Action.READ, object_id=str(appointment.pk)
    ).exists()

    assert client_for(world.caseworker_dormagen).post(url + "absagen/").status_code == 404
    assert Appointment.objects.get(pk=appointment.pk).status == Appointment.Status.BOOKED
    response = client.post(url + "absagen/")
    assert response.status_code == 302
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancelled_by) == (Appointment.Status.CANCELLED, "staff")
    assert appointment.released_at is not None and appointment.released_at <= timezone.now()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE, object_id=str(appointment.pk)).exists()
    again = client.post(url + "absagen/", follow=True).content.decode()
    assert "Termin absagen" not in again  # nothing left to cancel


@override_settings(
    APPOINTMENTS_JITSI={"url": "https://meet.example.org", "app_id": "amtsweg", "secret": "s" * 32}
)
def test_video_appointment_shows_the_moderator_link(world: World, office: AppointmentOffice) -> None:
    from amtsweg.appointments.services import Contact, appointment_reserve

    appointment, _token = appointment_reserve(
        office=office,
        items=[(office.services.order_by("pk").first().pk, 1)],  # type: ignore[union-attr]
        starts_at=next_weekday_at(9),
        contact=Contact(name="Video Person", email=world.citizen.email),
        user=world.citizen,
        mode=Appointment.Mode.VIDEO,
    )
    html = (
        client_for(world.caseworker_neuss)
        .get(base(world) + f"termine/{appointment.reference}/")
        .content.decode()
    )
    assert f"https://meet.example.org/{appointment.video_room}?jwt=" in html
    assert "als Moderation" in html


def test_capacity_page_and_period_validation(world: World, office: AppointmentOffice) -> None:
    starts = next_weekday_at(9)
    book(office, starts)
    day = starts.date().isoformat()
    client = client_for(world.caseworker_neuss)
    html = client.get(base(world) + f"kapazitaet/?von={day}&bis={day}").content.decode()
    assert "<td>480</td><td>30</td><td>0</td><td>450</td><td>1</td>" in html
    assert "6,3 %" in html  # 30 / 480 = 6.25, rounded half up
    bad = client.get(base(world) + f"kapazitaet/?von={day}&bis=2020-01-01")
    assert bad.status_code == 400 and "Das Ende liegt vor dem Anfang" in bad.content.decode()
    assert (
        client.get(base(world) + "kapazitaet/?von=2026-01-01&bis=2026-12-31").status_code == 400
    )  # > 92 days


def test_statistics_page_and_csv(world: World, office: AppointmentOffice) -> None:
    book(office, next_weekday_at(9))
    today = calendar.local_day(timezone.now())
    client = client_for(world.caseworker_neuss)
    html = client.get(base(world) + "statistik/").content.decode()
    assert "Buchungen" in html and "web: 1" in html
    response = client.get(base(world) + f"statistik.csv?von={today - timedelta(days=1)}&bis={today}")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["datum"] for row in rows] == [str(today - timedelta(days=1)), str(today)]
    assert rows[1]["buchungen"] == "1" and rows[0]["buchungen"] == "0"
    assert client.get(base(world) + "statistik.csv?von=x").status_code == 400


def test_settings_are_for_administrators(world: World, office: AppointmentOffice) -> None:
    url = base(world) + "einstellungen/"
    assert client_for(world.admin_neuss).get(url).status_code == 200
    assert client_for(world.kreis_admin).get(url).status_code == 200
    assert client_for(world.caseworker_neuss).get(url).status_code == 403
    assert client_for(world.caseworker_neuss).post(url + "pausen/", {}).status_code == 403
    assert client_for(world.caseworker_dormagen).get(url).status_code == 404


def _office_data(office: AppointmentOffice, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "office-enabled": "on",
        "office-grid_minutes": office.grid_minutes,
        "office-book_from_days": office.book_from_days,
        "office-book_until_days": office.book_until_days,
        "office-hold_minutes": office.hold_minutes,
        "office-release_delay_minutes": office.release_delay_minutes,
        "office-max_open_per_person": office.max_open_per_person,
        "office-checkin_early_minutes": office.checkin_early_minutes,
        "office-no_show_after_minutes": office.no_show_after_minutes,
        "office-video_enabled": "on",
    }
    data.update({f"office-{k}": v for k, v in changes.items()})
    return data


def test_office_settings_validation(world: World, office: AppointmentOffice) -> None:
    client = client_for(world.admin_neuss)
    url = base(world) + "einstellungen/"
    bad = client.post(url, _office_data(office, book_from_days=10, book_until_days=5))
    assert bad.status_code == 422
    html = bad.content.decode()
    assert 'role="alert"' in html and 'href="#id_office-book_until_days"' in html
    assert 'aria-describedby="id_office-book_until_days_error' in html
    misfit = client.post(url, _office_data(office, grid_minutes=20))  # Personalausweis takes 30 minutes
    assert misfit.status_code == 422 and "kein Vielfaches von 20 Minuten" in misfit.content.decode()
    assert client.post(url, _office_data(office, grid_minutes=15, book_until_days=90)).status_code == 422
    assert client.post(url, _office_data(office, book_until_days=90)).status_code == 302
    office.refresh_from_db()
    assert office.book_until_days == 90
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_type="appointments.appointmentoffice",
        changes__book_until_days="90",
    ).exists()
    book(office, next_weekday_at(9))
    OfficeService.objects.filter(office=office).update(duration_minutes=60)
    frozen = client.post(url, _office_data(office, grid_minutes=30))
    assert frozen.status_code == 422 and "solange künftige Termine gebucht sind" in frozen.content.decode()


def test_counters_services_breaks_and_closures(world: World, office: AppointmentOffice) -> None:
    client = client_for(world.admin_neuss)
    url = base(world) + "einstellungen/"
    ausweis = office.services.get(service__leika_key=PERSONALAUSWEIS)
    created = client.post(
        url + "schalter/",
        {
            "counter-name": "Schalter 3",
            "counter-label": "3",
            "counter-active": "on",
            "counter-in_person": "on",
            "counter-services": [ausweis.pk],
        },
    )
    assert created.status_code == 302
    counter = Counter.objects.get(office=office, label="3")
    assert list(counter.services.all()) == [ausweis]
    duplicate = client.post(
        url + "schalter/", {"counter-name": "Noch einer", "counter-label": "3", "counter-in_person": "on"}
    )
    assert duplicate.status_code == 422 and "schon ein anderer Schalter" in duplicate.content.decode()
    nothing = client.post(url + "schalter/", {"counter-name": "Leer", "counter-label": "9"})
    assert nothing.status_code == 422 and "vor Ort oder per Video" in nothing.content.decode()

    appointment, _token = book(office, next_weekday_at(9))
    busy = appointment.counter
    deactivate = client.post(
        url + f"schalter/{busy.pk}/",
        {"counter-name": busy.name, "counter-label": busy.label, "counter-in_person": "on"},
    )
    assert deactivate.status_code == 422 and "künftige Termine" in deactivate.content.decode()
    assert client.get(url + f"schalter/{busy.pk}/").status_code == 200

    meldung = world.town_service  # offered by Neuss
    odd = client.post(
        url + "leistungen/",
        {"service-service": meldung.pk, "service-duration_minutes": 25, "service-max_quantity": 1},
    )
    assert odd.status_code == 422 and "Vielfaches des Zeitrasters" in odd.content.decode()
    good = client.post(
        url + "leistungen/",
        {
            "service-service": meldung.pk,
            "service-duration_minutes": 20,
            "service-max_quantity": 1,
            "service-bookable_online": "on",
        },
    )
    assert good.status_code == 302 and office.services.filter(service=meldung, duration_minutes=20).exists()
    not_offered = catalog_service("99000000000000", "Nicht angeboten")
    assert not ServiceOffering.objects.filter(service=not_offered).exists()
    refused = client.post(
        url + "leistungen/",
        {"service-service": not_offered.pk, "service-duration_minutes": 20, "service-max_quantity": 1},
    )
    assert refused.status_code == 422
    edit = client.post(
        url + f"leistungen/{ausweis.pk}/",
        {"service-duration_minutes": 40, "service-max_quantity": 2, "service-bookable_online": "on"},
    )
    assert edit.status_code == 302
    ausweis.refresh_from_db()
    assert (ausweis.duration_minutes, ausweis.max_quantity) == (40, 2)

    wrong = client.post(url + "pausen/", {"break-starts": "12:00", "break-ends": "11:00"})
    assert wrong.status_code == 422 and "nach dem Beginn" in wrong.content.decode()
    assert (
        client.post(
            url + "pausen/", {"break-weekday": "2", "break-starts": "10:00", "break-ends": "10:30"}
        ).status_code
        == 302
    )
    pause = Break.objects.get(office=office)
    assert (pause.weekday, pause.counter) == (2, None)
    assert "Mittwoch" in client.get(url).content.decode()
    assert client.post(url + f"pausen/{pause.pk}/loeschen/").status_code == 302
    assert not Break.objects.filter(office=office).exists()

    day = appointment.starts_at.astimezone(calendar.TZ).date()
    closure = client.post(
        url + "schliessungen/",
        {
            "closure-starts_at": f"{day}T08:00",
            "closure-ends_at": f"{day}T12:00",
            "closure-reason": "Betriebsausflug",
        },
        follow=True,
    )
    html = closure.content.decode()
    assert "1 gebuchte Termine fallen in die Schließung" in html and appointment.reference in html
    saved = Closure.objects.get(office=office)
    assert saved.starts_at == calendar.instant(day, time(8))
    backwards = client.post(
        url + "schliessungen/", {"closure-starts_at": f"{day}T12:00", "closure-ends_at": f"{day}T08:00"}
    )
    assert backwards.status_code == 422
    assert client.post(url + f"schliessungen/{saved.pk}/loeschen/").status_code == 302
    assert not Closure.objects.filter(office=office).exists()
    other = appointment_office(world.dormagen.offices.get())
    foreign_break = Break.objects.create(office=other, starts=time(12), ends=time(13))
    assert client.post(url + f"pausen/{foreign_break.pk}/loeschen/").status_code == 404


def test_admin_lists_every_model(world: World, office: AppointmentOffice) -> None:
    from amtsweg.testing import make_user

    root = make_user("root@example.org")
    root.is_superuser = True
    root.is_staff = True
    root.save()
    book(office, next_weekday_at(9))
    client = client_for(root)
    for model in (
        "appointmentoffice",
        "officeservice",
        "counter",
        "break",
        "closure",
        "appointment",
        "appointmentrequest",
        "queueticket",
        "leadtimesample",
        "occupancy",
        "bookinglock",
    ):
        assert client.get(f"/admin/appointments/{model}/").status_code == 200, model
    first = Appointment.objects.get()
    assert client.get(f"/admin/appointments/appointment/{first.pk}/change/").status_code == 200


def test_day_view_query_count_does_not_grow_with_appointments(
    world: World, office: AppointmentOffice, django_assert_max_num_queries: object
) -> None:
    starts = next_weekday_at(8)
    for n in range(6):
        book(office, starts + timedelta(minutes=30 * n), email=f"p{n}@example.org")
    client = client_for(world.caseworker_neuss)
    url = base(world) + f"tag/?datum={starts.date().isoformat()}"
    client.get(url)
    with django_assert_max_num_queries(25):  # type: ignore[operator]
        assert client.get(url).status_code == 200
