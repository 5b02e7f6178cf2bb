"""The booking pages of the portal: choose, see free times, book with proof of work; every failure."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.appointments import pow
from amtsweg.appointments.models import Appointment, AppointmentOffice
from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World

from .factories import PERSONALAUSWEIS, REISEPASS, book
from .matrix_portal import free_start, portal_office

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return portal_office(world.neuss, counters=1)


def book_url(office: AppointmentOffice, start: datetime, items: str = f"{PERSONALAUSWEIS}:1") -> str:
    return f"/termine/buchen/?office={office.pk}&s={items}&start={quote(start.isoformat())}"


def solved(challenge: str | None = None) -> dict[str, str]:
    found = challenge or pow.challenge_issue().challenge
    return {"challenge": found, "solution": pow.pow_solve(found, 4)}


def post_booking(
    client: Client,
    office: AppointmentOffice,
    start: datetime,
    *,
    email: str = "gast@example.org",
    proof: dict[str, str] | None = None,
    items: tuple[str, ...] = (f"{PERSONALAUSWEIS}:1",),
    **extra: str,
) -> Any:
    data = {
        "office": str(office.pk),
        "s": list(items),
        "mode": "in_person",
        "start": start.isoformat(),
        "name": "Greta Gast",
        "email": email,
        "phone": "",
        **(solved() if proof is None else proof),
        **extra,
    }
    return client.post("/termine/buchen/", data)


def test_start_page_lists_services_and_offices_and_leads_to_the_times(
    client: Client, office: AppointmentOffice
) -> None:
    page = client.get("/termine/").content.decode()
    assert "Personalausweis Ausstellung" in page and "Reisepass Ausstellung" in page
    assert "Bürgerbüro, Neuss" in page
    response = client.get(f"/termine/?office={office.pk}&n_{PERSONALAUSWEIS}=2&n_{REISEPASS}=0&weiter=1")
    assert response.status_code == 302
    assert response["Location"] == (
        f"/termine/zeiten/?office={office.pk}&s={PERSONALAUSWEIS}%3A2&mode=in_person"
    )


def test_start_page_without_a_service_or_with_an_unknown_office_explains(
    client: Client, office: AppointmentOffice
) -> None:
    response = client.get(f"/termine/?office={office.pk}&weiter=1")
    assert response.status_code == 400
    assert "Bitte wählen Sie mindestens eine Leistung." in response.content.decode()
    response = client.get(f"/termine/?office=999999&n_{PERSONALAUSWEIS}=1&weiter=1")
    assert response.status_code == 400
    assert 'href="#id_office"' in response.content.decode()


def test_free_days_and_times_link_to_the_booking(client: Client, office: AppointmentOffice) -> None:
    first = free_start(office)
    response = client.get(f"/termine/zeiten/?office={office.pk}&s={PERSONALAUSWEIS}:1")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'aria-current="date"' in page
    local = timezone.localtime(first)
    assert f"{local:%H:%M} Uhr" in page
    assert quote(first.isoformat(), safe="") in page.replace("%3A", "%3A")
    # A day of the list shows that day's times.
    later = free_start(office, index=40)
    page = client.get(
        f"/termine/zeiten/?office={office.pk}&s={PERSONALAUSWEIS}:1&tag={timezone.localtime(later).date()}"
    ).content.decode()
    assert f"{timezone.localtime(later):%H:%M} Uhr" in page


def test_earliest_anywhere_lists_one_offer_per_office(client: Client, world: World) -> None:
    neuss = portal_office(world.neuss)
    dormagen = portal_office(world.dormagen)
    page = client.get(f"/termine/zeiten/?office=any&s={PERSONALAUSWEIS}:1").content.decode()
    assert page.count("Diese Zeit wählen") == 2
    assert f"office={neuss.pk}" in page and f"office={dormagen.pk}" in page


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("office=999999&s={key}:1", 404, ""),
        ("office=abc&s={key}:1", 404, ""),
        ("office={pk}&s=99000000000000:1", 400, "kann hier nicht online gebucht werden"),
        ("office={pk}&s={key}:9", 400, "Anzahl 1 bis 4"),
        ("office={pk}&s=kaputt", 400, "Link ist unvollständig"),
        ("office={pk}", 400, "Link ist unvollständig"),
    ],
)
def test_bad_links_to_the_times_are_refused(
    client: Client, office: AppointmentOffice, query: str, status: int, text: str
) -> None:
    for path in ("/termine/zeiten/", "/termine/buchen/"):
        response = client.get(f"{path}?{query.format(pk=office.pk, key=PERSONALAUSWEIS)}")
        assert response.status_code == status, path
        assert text in response.content.decode()


def test_a_guest_reserves_with_proof_of_work_and_is_asked_to_check_the_mail(
    client: Client, office: AppointmentOffice
) -> None:
    start = free_start(office)
    page = client.get(book_url(office, start)).content.decode()
    assert 'data-pow-difficulty="4"' in page
    assert 'src="/static/appointments/pow.js"' in page
    challenge = re.search(r'name="challenge" value="([^"]+)"', page)
    assert challenge is not None
    response = post_booking(client, office, start, proof=solved(challenge.group(1)))
    assert response.status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.RESERVED
    assert (appointment.starts_at, appointment.email, appointment.name) == (
        start,
        "gast@example.org",
        "Greta Gast",
    )
    assert response["Location"] == f"/termine/reserviert/{appointment.reference}/"
    page = client.get(response["Location"]).content.decode()
    assert "Bitte bestätigen Sie Ihren Termin" in page
    # Nothing about the appointment beyond the reference in the address: no token, time or name.
    assert "/termine/t/" not in page and "Greta" not in page
    assert f"{timezone.localtime(start):%H:%M}" not in page
    assert OutboxMessage.objects.filter(kind="appointments.email_confirm").count() == 1


def test_without_javascript_the_guest_is_told_to_enable_it_or_log_in(
    client: Client, office: AppointmentOffice
) -> None:
    response = post_booking(client, office, free_start(office), proof={"challenge": "x", "solution": ""})
    assert response.status_code == 400
    assert "JavaScript ein oder melden Sie sich" in response.content.decode()
    assert not Appointment.objects.exists()


def test_forged_expired_and_replayed_challenges_are_refused(
    client: Client, office: AppointmentOffice, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = free_start(office)
    forged = pow.challenge_issue().challenge[:-4] + "0000"
    response = post_booking(client, office, start, proof=solved(forged))
    assert response.status_code == 400 and "ungültig" in response.content.decode()

    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() - 3600)
    old = pow.challenge_issue().challenge
    monkeypatch.setattr(time, "time", real_time)
    response = post_booking(client, office, start, proof=solved(old))
    assert response.status_code == 400 and "abgelaufen" in response.content.decode()

    unsolved = pow.challenge_issue().challenge
    # A counter whose hash misses the difficulty ("1" alone would solve one challenge in 16).
    wrong = next(
        str(n)
        for n in range(1000)
        if pow.leading_zero_bits(hashlib.sha256(f"{unsolved}:{n}".encode()).digest())
        < settings.APPOINTMENTS_POW_DIFFICULTY
    )
    response = post_booking(client, office, start, proof={"challenge": unsolved, "solution": wrong})
    assert response.status_code == 400
    assert not Appointment.objects.exists()

    proof = solved()
    assert post_booking(client, office, start, proof=proof).status_code == 302
    response = post_booking(
        client, office, free_start(office, index=1), email="zwei@example.org", proof=proof
    )
    assert response.status_code == 400 and "schon verwendet" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_a_taken_time_offers_the_next_free_ones(client: Client, office: AppointmentOffice) -> None:
    start = free_start(office)
    book(office, start, email="schneller@example.org")
    response = post_booking(client, office, start)
    page = response.content.decode()
    assert response.status_code == 409
    assert "Dieser Termin ist gerade vergeben worden" in page
    choices = re.findall(r'name="start" value="([^"]+)"', page)
    assert choices and datetime.fromisoformat(choices[0]) == free_start(office)
    assert 'href="#id_start"' in page
    # The booking page of a time no longer free says so right away.
    response = client.get(book_url(office, start))
    assert "nicht (mehr) frei" in response.content.decode()
    assert Appointment.objects.count() == 1


def test_time_outside_the_window_is_refused(client: Client, office: AppointmentOffice) -> None:
    far = free_start(office) + timedelta(days=120)
    response = post_booking(client, office, far)
    assert response.status_code == 400
    assert "außerhalb des Buchungszeitraums" in response.content.decode()
    assert "nicht (mehr) frei" in client.get(book_url(office, far)).content.decode()
    assert not Appointment.objects.exists()


def test_the_limit_per_person_is_explained(client: Client, world: World) -> None:
    office = portal_office(world.neuss, max_open_per_person=1)
    book(office, free_start(office), email="greta+eins@example.org")
    response = post_booking(client, office, free_start(office), email="greta@example.org")
    assert response.status_code == 409
    assert "offene Termine bei dieser Behörde" in response.content.decode()


def test_quantity_above_the_maximum_is_refused_on_post(client: Client, office: AppointmentOffice) -> None:
    response = post_booking(client, office, free_start(office), items=(f"{PERSONALAUSWEIS}:5",))
    assert response.status_code == 400
    assert "Anzahl 1 bis 4" in response.content.decode()


def test_invalid_contact_data_shows_the_error_summary(client: Client, office: AppointmentOffice) -> None:
    response = post_booking(client, office, free_start(office), email="kein-at-zeichen", name="")
    page = response.content.decode()
    assert response.status_code == 400
    assert 'href="#id_email"' in page and 'href="#id_name"' in page
    assert 'aria-invalid="true"' in page
    assert not Appointment.objects.exists()


def test_booking_posts_are_rate_limited_per_client(
    client: Client, office: AppointmentOffice, settings: SettingsWrapper
) -> None:
    settings.APPOINTMENTS_BOOKINGS_PER_HOUR = 2
    for _attempt in range(2):
        post_booking(client, office, free_start(office), email="", proof={"challenge": "", "solution": ""})
    response = post_booking(client, office, free_start(office))
    assert response.status_code == 429
    assert "Zu viele Buchungsversuche" in response.content.decode()
    assert not Appointment.objects.exists()


def test_a_logged_in_citizen_books_at_once_without_proof_of_work(
    client: Client, office: AppointmentOffice, world: World
) -> None:
    client.force_login(world.citizen)
    start = free_start(office)
    page = client.get(book_url(office, start)).content.decode()
    assert "data-pow-difficulty" not in page and 'name="email"' not in page
    assert "clara@example.org" in page
    response = client.post(
        "/termine/buchen/",
        {"office": office.pk, "s": f"{PERSONALAUSWEIS}:1", "start": start.isoformat(), "phone": "02131 1234"},
    )
    assert response.status_code == 302 and response["Location"].startswith("/termine/t/")
    appointment = Appointment.objects.get()
    assert appointment.status == Appointment.Status.BOOKED
    assert (appointment.user, appointment.email, appointment.name) == (
        world.citizen,
        "clara@example.org",
        "Clara Citizen",
    )
    assert client.get(response["Location"]).status_code == 200


def test_staff_accounts_book_like_guests(client: Client, office: AppointmentOffice, world: World) -> None:
    client.force_login(world.caseworker_neuss)
    response = post_booking(client, office, free_start(office), proof={"challenge": "", "solution": ""})
    assert response.status_code == 400
    assert not Appointment.objects.exists()
