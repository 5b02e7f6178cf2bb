"""The public waiting-time page ``/kfz/wartezeiten/`` and ``/api/v1/vehicles/waiting-times``: German,
without login and JavaScript, no personal data, axe-clean; the API's shape and its errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Page, expect

from amtsweg.appointments import calendar, queue
from amtsweg.appointments.models import AppointmentOffice, Counter, OfficeService
from amtsweg.browser import assert_accessible
from amtsweg.testing import World

from .matrix_waiting import ADDRESS_CHANGE, road_traffic_office

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=calendar.TZ)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


@pytest.fixture
def busy(world: World) -> AppointmentOffice:
    """The Straßenverkehrsamt on Tuesday 10:00: yesterday's visits, two staffed counters, four waiting."""
    office = road_traffic_office(world)
    service = OfficeService.objects.get(office=office, service__leika_key=ADDRESS_CHANGE)
    actor = world.kreis_admin
    monday = TUESDAY - timedelta(days=1)
    for n in range(6):
        at = monday.replace(hour=9) + timedelta(minutes=15 * n)
        ticket = queue.queue_walkin(office=office, service=service, actor=actor, now=at)
        counter = Counter.objects.get(office=office, label="1")
        queue.queue_call_next(office=office, counter=counter, actor=actor, now=at)
        queue.queue_transition(ticket=ticket, action="start", actor=actor, now=at)
        queue.queue_transition(ticket=ticket, action="finish", actor=actor, now=at + timedelta(minutes=10))
    for label in ("1", "2"):
        queue.queue_walkin(office=office, service=service, actor=actor, now=TUESDAY - timedelta(minutes=30))
        queue.queue_call_next(
            office=office,
            counter=Counter.objects.get(office=office, label=label),
            actor=actor,
            now=TUESDAY - timedelta(minutes=20),
        )
    for n in range(4):
        drawn = TUESDAY - timedelta(minutes=10 - n)
        queue.queue_walkin(office=office, service=service, actor=actor, now=drawn)
    return office


def test_page_shows_the_estimate_and_next_appointments(world: World, busy: AppointmentOffice) -> None:
    with time_machine.travel(TUESDAY, tick=False):
        response = Client().get("/kfz/wartezeiten/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wartezeiten der Straßenverkehrsämter" in html
    assert "Straßenverkehrsamt, Rhein-Kreis Neuss" in html
    assert "geöffnet bis 16:00 Uhr" in html
    assert "etwa 20 Minuten" in html  # 4 waiting × 10 minutes ÷ 2 staffed counters
    assert "4 Personen warten" in html
    assert "Stand: 10:00 Uhr" in html
    assert "Mittwoch, 4. März 2026, 08:00 Uhr" in html
    assert f"s={ADDRESS_CHANGE}:1" in html
    assert "http-equiv" not in html  # no automatic refresh (WCAG 2.2.1)
    assert "<script" not in html
    # Numbers and minutes only: no ticket number ever reaches the public page.
    assert not re.search(r"\bW0\d\d\b", html)


def test_page_says_honestly_when_there_is_no_data(world: World) -> None:
    road_traffic_office(world)
    with time_machine.travel(TUESDAY, tick=False):
        html = Client().get("/kfz/wartezeiten/").content.decode()
    assert "Für diese Dienststelle liegen keine Wartedaten vor." in html
    assert "Minuten" not in html.split("Nächster freier Termin")[0].split("Wartezeit ohne Termin")[1]


def test_page_without_any_office(world: World) -> None:
    response = Client().get("/kfz/wartezeiten/")
    assert response.status_code == 200
    assert "Derzeit liegen für kein Straßenverkehrsamt Angaben vor." in response.content.decode()


def test_page_in_english(world: World, busy: AppointmentOffice) -> None:
    with time_machine.travel(TUESDAY, tick=False):
        response = Client(headers={"accept-language": "en"}).get("/kfz/wartezeiten/")
    assert response.status_code == 200


def test_api_list_and_detail(world: World, busy: AppointmentOffice) -> None:
    with time_machine.travel(TUESDAY, tick=False):
        response = Client().get("/api/v1/vehicles/waiting-times")
        detail = Client().get(f"/api/v1/vehicles/waiting-times/{busy.office_id}")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=30"
    (row,) = response.json()["offices"]
    assert row == detail.json()
    assert row["office"] == busy.office_id
    assert row["authority"] == "05162000"
    assert row["queue_state"] == "estimate"
    assert row["open_now"] is True
    assert row["closes_at"] == "2026-03-03T16:00:00+01:00"
    assert row["as_of"] == "2026-03-03T10:00:00+01:00"
    assert (row["waiting"], row["estimate_minutes"], row["counters"]) == (4, 20, 2)
    assert (row["service_minutes"], row["service_basis"]) == (10.0, "observed")
    assert row["counters_assumed"] is False and row["beyond_closing"] is False
    assert row["address"] == {"street": "Lindenstraße 10", "postcode": "41515", "city": "Grevenbroich"}
    next_free = {item["service"]: item for item in row["next_appointments"]}
    assert next_free[ADDRESS_CHANGE] == {
        "service": ADDRESS_CHANGE,
        "service_name": "Adressänderung in der Zulassungsbescheinigung",
        "duration_minutes": 20,
        "starts_at": "2026-03-04T08:00:00+01:00",
    }


def test_api_unknown_or_other_office_is_a_problem(world: World) -> None:
    road_traffic_office(world)
    town_office = world.neuss.offices.get(slug="buergerbuero")
    for office_id in (town_office.pk, 999999):
        response = Client().get(f"/api/v1/vehicles/waiting-times/{office_id}")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
        assert response.json()["code"] == "not-found"


def test_api_ignores_a_bad_token(world: World) -> None:
    """Public: a stale or wrong Authorization header does not turn the read into a 401."""
    road_traffic_office(world)
    response = Client(headers={"authorization": "Token nonsense"}).get("/api/v1/vehicles/waiting-times")
    assert response.status_code == 200


def test_api_rejects_writes(world: World) -> None:
    response = Client().post("/api/v1/vehicles/waiting-times", data={}, content_type="application/json")
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/problem+json")


def test_openapi_documents_the_endpoints(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/vehicles/waiting-times" in schema["paths"]
    assert "/api/v1/vehicles/waiting-times/{office}" in schema["paths"]


@pytest.mark.browser
def test_page_is_accessible(world: World, busy: AppointmentOffice, page: Page) -> None:
    # The live server runs in a thread of this process: it sees the travelled clock too.
    with time_machine.travel(TUESDAY, tick=True):
        page.goto("/kfz/wartezeiten/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Wartezeiten der Straßenverkehrsämter")
        expect(page.get_by_text("etwa 20 Minuten")).to_be_visible()
        page.get_by_text("So wird die Wartezeit geschätzt").click()
        expect(page.get_by_text("besetzte Schalter (2)")).to_be_visible()
        assert_accessible(page)


def test_the_road_traffic_office_page_links_its_waiting_times_and_the_plate_check(world: World) -> None:
    office = road_traffic_office(world).office
    client = Client()
    page = client.get(reverse("portal:office", args=[world.kreis.slug, office.slug])).content.decode()
    assert reverse("portal:vehicles_waiting") in page and reverse("portal:plates_check") in page
    other = world.neuss.offices.first()  # a town's office: no road traffic
    assert other is not None
    page = client.get(reverse("portal:office", args=[world.neuss.slug, other.slug])).content.decode()
    assert reverse("portal:vehicles_waiting") not in page
