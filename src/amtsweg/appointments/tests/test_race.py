"""No double booking under load: 200 clients race through the API for 20 times, on the database the
tests run on (CI runs them on SQLite and on PostgreSQL).

Real concurrency: every client is its own thread with its own database connection, all released at
once by a barrier, posting through Django's test client (the whole stack: rate limit, proof of
work, validation, booking service). On PostgreSQL the number of connections open at the same time
is capped below the server's ``max_connections`` (the server is shared with the rest of the test
run); the clients still all race for the same times.
"""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection, connections
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.appointments import calendar
from amtsweg.appointments.models import Appointment, AppointmentOffice, Occupancy
from amtsweg.appointments.pow import pow_solve
from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World

from .factories import PERSONALAUSWEIS, appointment_office, catalog_service

pytestmark = pytest.mark.django_db(transaction=True)

API = "/api/v1/appointments"
CLIENTS = 200
SLOTS = 20


@pytest.fixture(autouse=True)
def _fresh_cache(settings: SettingsWrapper) -> Iterator[None]:
    # Transactional tests do not roll back the database cache: clear the rate-limit counters and
    # used challenges of this test before and after, and let one address make all the requests.
    settings.APPOINTMENTS_BOOKINGS_PER_HOUR = 100 * CLIENTS
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def twenty_slots(world: World) -> AppointmentOffice:
    """One counter open 08:00–11:20 on one bookable day, a 10-minute service: exactly 20 starts."""
    today = calendar.local_day(timezone.now())
    day = today + timedelta(days=2)
    while calendar.is_holiday(day):
        day += timedelta(days=1)
    ahead = (day - today).days
    service = catalog_service(PERSONALAUSWEIS, "Personalausweis Ausstellung")
    return appointment_office(
        world.neuss.offices.get(),
        counters=1,
        hours="Mo-So 08:00-11:20",
        services=((service, 10),),
        book_from_days=ahead,
        book_until_days=ahead,
    )


def _parallel_connections() -> int:
    """How many clients may hold a database connection at once."""
    if connection.vendor != "postgresql":
        return CLIENTS
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity")
        free = int(cursor.fetchone()[0])
    # Leave room for the other test processes; ~half of the clients at once still makes 10 racers a time.
    return max(20, min(CLIENTS, free - 30))


def _race(requests: list[Callable[[Client], Any]]) -> list[Any]:
    """Run every request in its own thread, all started together; each closes its connection."""
    start = threading.Barrier(len(requests))
    gate = threading.BoundedSemaphore(_parallel_connections())

    def run(request: Callable[[Client], Any]) -> Any:
        client = Client()
        start.wait(timeout=60)
        with gate:
            try:
                return request(client)
            finally:
                connections.close_all()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(run, requests))


def _free_starts(office: AppointmentOffice) -> list[str]:
    body = Client().get(f"{API}/slots?office={office.office_id}&service={PERSONALAUSWEIS}").json()
    return [start for day in body["days"] for start in day["starts"]]


def _solved_challenges(count: int) -> list[dict[str, str]]:
    client = Client()
    solved = []
    for _ in range(count):
        issued = client.post(f"{API}/challenge").json()
        solved.append(
            {
                "challenge": issued["challenge"],
                "solution": pow_solve(issued["challenge"], issued["difficulty"]),
            }
        )
    return solved


def _booking(office: AppointmentOffice, starts_at: str, email: str, proof: dict[str, str]) -> dict[str, Any]:
    return {
        "office": office.office_id,
        "services": [{"service": PERSONALAUSWEIS, "quantity": 1}],
        "starts_at": starts_at,
        "name": "Racer",
        "email": email,
        **proof,
    }


def _poster(data: dict[str, Any]) -> Callable[[Client], tuple[int, dict[str, Any]]]:
    def post(client: Client) -> tuple[int, dict[str, Any]]:
        response = client.post(f"{API}/bookings", data, content_type="application/json")
        return response.status_code, response.json()

    return post


def _assert_no_double_booking() -> None:
    per_unit = Tally(Occupancy.objects.values_list("counter_id", "unit"))
    assert all(count == 1 for count in per_unit.values())
    appointments = list(
        Appointment.objects.exclude(status__in=["cancelled", "expired"]).values_list(
            "counter_id", "starts_at", "ends_at"
        )
    )
    for index, (counter, starts, ends) in enumerate(appointments):
        for other_counter, other_starts, other_ends in appointments[index + 1 :]:
            overlap = counter == other_counter and starts < other_ends and other_starts < ends
            assert not overlap, (
                f"double booking on counter {counter}: {starts}–{ends} and {other_starts}–{other_ends}"
            )


def test_200_clients_race_for_20_slots(twenty_slots: AppointmentOffice) -> None:
    starts = _free_starts(twenty_slots)
    assert len(starts) == SLOTS, starts
    proofs = _solved_challenges(CLIENTS)
    # Ten clients want each time; every client has its own mailbox.
    wanted = [starts[n % SLOTS] for n in range(CLIENTS)]
    requests = [
        _poster(_booking(twenty_slots, wanted[n], f"racer{n}@example.org", proofs[n])) for n in range(CLIENTS)
    ]

    answers = _race(requests)

    statuses = Tally(status for status, _body in answers)
    assert statuses == {201: SLOTS, 409: CLIENTS - SLOTS}, statuses
    winners = [(wanted[n], body) for n, (status, body) in enumerate(answers) if status == 201]
    assert sorted(datetime.fromisoformat(body["starts_at"]) for _w, body in winners) == sorted(
        datetime.fromisoformat(start) for start in starts
    )
    assert all(body["status"] == "reserved" for _w, body in winners)
    offered = {datetime.fromisoformat(start) for start in starts}
    for n, (status, body) in enumerate(answers):
        if status != 409:
            continue
        assert body["code"] == "slot-taken", body
        assert body["detail_de"] and body["detail"]
        assert isinstance(body["alternatives"], list)
        asked = datetime.fromisoformat(wanted[n])
        for alternative in body["alternatives"]:
            moment = datetime.fromisoformat(alternative)
            assert moment > asked, "alternatives are later free times"
            assert moment in offered, "alternatives are times the office gives"

    assert Appointment.objects.count() == SLOTS
    assert Occupancy.objects.count() == SLOTS
    assert OutboxMessage.objects.filter(kind="appointments.email_confirm").count() == SLOTS
    _assert_no_double_booking()
    assert _free_starts(twenty_slots) == []


def test_one_mailbox_booking_concurrently_stays_within_its_limit(twenty_slots: AppointmentOffice) -> None:
    starts = _free_starts(twenty_slots)
    limit = twenty_slots.max_open_per_person
    proofs = _solved_challenges(SLOTS)
    # One person, twenty different times at once, with the address variants scalpers use.
    requests = [
        _poster(_booking(twenty_slots, starts[n], f"Scalper+{n}@example.org", proofs[n]))
        for n in range(SLOTS)
    ]

    answers = _race(requests)

    statuses = Tally(status for status, _body in answers)
    assert statuses == {201: limit, 409: SLOTS - limit}, statuses
    assert {body["code"] for status, body in answers if status == 409} == {"limit-reached"}
    assert Appointment.objects.count() == limit
    _assert_no_double_booking()
