"""Waiting times of the road-traffic offices: the estimator with a frozen clock and real queue tickets
(drawn, called, started and finished through ``appointments.queue``), which offices count, the
opening state, the next free appointments and the short-lived cache."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from amtsweg.appointments import calendar, queue, slots
from amtsweg.appointments.models import AppointmentOffice, Closure, Counter, OfficeService, QueueTicket
from amtsweg.appointments.tests import factories
from amtsweg.identity.models import User
from amtsweg.testing import World

from .. import waiting
from .matrix_waiting import ADDRESS_CHANGE, road_traffic_office

pytestmark = pytest.mark.django_db

TUESDAY = datetime(2026, 3, 3, 10, 0, tzinfo=calendar.TZ)
MONDAY = TUESDAY - timedelta(days=1)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return slots.load(road_traffic_office(world))


def _service(office: AppointmentOffice) -> OfficeService:
    return OfficeService.objects.get(office=office, service__leika_key=ADDRESS_CHANGE)


def _counter(office: AppointmentOffice, label: str) -> Counter:
    return Counter.objects.get(office=office, label=label)


def _visit(
    office: AppointmentOffice, actor: User, *, drawn: datetime, called: datetime, minutes: int, counter: str
) -> QueueTicket:
    """A walk-in served from call-up to finish in ``minutes``, through the queue's own services."""
    ticket = queue.queue_walkin(office=office, service=_service(office), actor=actor, now=drawn)
    called_ticket = queue.queue_call_next(
        office=office, counter=_counter(office, counter), actor=actor, now=called
    )
    assert called_ticket.pk == ticket.pk
    queue.queue_transition(ticket=ticket, action="start", actor=actor, now=called + timedelta(minutes=1))
    return queue.queue_transition(
        ticket=ticket, action="finish", actor=actor, now=called + timedelta(minutes=minutes)
    )


def _history(office: AppointmentOffice, actor: User, *, visits: int = 6, minutes: int = 12) -> None:
    """Monday: ``visits`` walk-ins of ``minutes`` each at counter 1."""
    for n in range(visits):
        start = MONDAY.replace(hour=9) + timedelta(minutes=15 * n)
        _visit(office, actor, drawn=start, called=start + timedelta(minutes=2), minutes=minutes, counter="1")


def _draw(office: AppointmentOffice, actor: User, count: int, at: datetime) -> list[QueueTicket]:
    return [
        queue.queue_walkin(
            office=office, service=_service(office), actor=actor, now=at + timedelta(seconds=n)
        )
        for n in range(count)
    ]


def _figures(office: AppointmentOffice, now: datetime) -> waiting.OfficeWaiting:
    with time_machine.travel(now, tick=False):
        return waiting.office_waiting(slots.load(office), now=now)


def test_no_queue_data_is_said_and_no_figure_invented(world: World, office: AppointmentOffice) -> None:
    figures = _figures(office, TUESDAY)
    assert figures.open_now is True
    assert figures.closes_at == calendar.instant(TUESDAY.date(), time(16, 0))
    assert figures.state == waiting.QueueState.NO_DATA
    assert (figures.waiting, figures.estimate_minutes, figures.counters) == (None, None, None)
    assert figures.recent_median_wait_minutes is None


def test_estimate_is_waiting_times_service_time_over_staffed_counters(
    world: World, office: AppointmentOffice
) -> None:
    actor = world.kreis_admin
    _history(office, actor, visits=6, minutes=12)
    # Today: counters 1 and 2 are staffed (they called someone within the hour), counter 3 is not.
    _visit(
        office,
        actor,
        drawn=TUESDAY - timedelta(minutes=50),
        called=TUESDAY - timedelta(minutes=40),
        minutes=12,
        counter="1",
    )
    _visit(
        office,
        actor,
        drawn=TUESDAY - timedelta(minutes=45),
        called=TUESDAY - timedelta(minutes=25),
        minutes=12,
        counter="2",
    )
    _draw(office, actor, 5, TUESDAY - timedelta(minutes=20))

    figures = _figures(office, TUESDAY)

    assert figures.state == waiting.QueueState.ESTIMATE
    assert figures.waiting == 5
    assert figures.service_basis == "observed"
    assert figures.service_minutes == 12.0
    assert figures.counters == 2 and figures.counters_assumed is False
    assert figures.estimate_minutes == 30  # 5 × 12 ÷ 2
    assert figures.display_minutes == 30
    assert figures.beyond_closing is False
    # Only two call-ups in the last hour: too few for the median of observed waits.
    assert figures.recent_calls == 2
    assert figures.recent_median_wait_minutes is None


def test_observed_median_wait_of_the_last_hour(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor)
    for n, wait in enumerate((4, 10, 30)):
        called = TUESDAY - timedelta(minutes=50 - 12 * n)
        _visit(office, actor, drawn=called - timedelta(minutes=wait), called=called, minutes=10, counter="1")
    figures = _figures(office, TUESDAY)
    assert figures.recent_calls == 3
    assert figures.recent_median_wait_minutes == 10.0
    # Nobody waits now: no wait, although the last hour's median is 10 minutes.
    assert figures.waiting == 0 and figures.estimate_minutes == 0
    assert figures.counters == 1


def test_all_counters_assumed_when_nobody_was_called_yet(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor, minutes=12)
    opening = TUESDAY.replace(hour=8, minute=5)
    _draw(office, actor, 4, opening - timedelta(minutes=4))
    figures = _figures(office, opening)
    assert figures.counters == 3 and figures.counters_assumed is True
    assert figures.estimate_minutes == 16  # 4 × 12 ÷ 3, rounded up


def test_configured_duration_stands_in_for_too_few_visits(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor, visits=2, minutes=40)
    _draw(office, actor, 3, TUESDAY - timedelta(minutes=5))
    figures = _figures(office, TUESDAY)
    assert figures.service_basis == "configured"
    assert figures.service_minutes == 25.0  # median of the configured 20 and 30 minutes
    assert figures.estimate_minutes == 25  # 3 × 25 ÷ 3 counters (assumed)


def test_median_is_robust_against_one_very_long_visit(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor, visits=6, minutes=10)
    start = MONDAY.replace(hour=14)
    _visit(office, actor, drawn=start, called=start, minutes=120, counter="2")
    _draw(office, actor, 2, TUESDAY - timedelta(minutes=1))
    figures = _figures(office, TUESDAY)
    assert figures.service_minutes == 10.0


def test_beyond_closing_when_the_estimate_runs_past_the_end_of_the_day(
    world: World, office: AppointmentOffice
) -> None:
    actor = world.kreis_admin
    _history(office, actor, minutes=12)
    late = TUESDAY.replace(hour=15, minute=30)
    _visit(
        office,
        actor,
        drawn=late - timedelta(minutes=30),
        called=late - timedelta(minutes=20),
        minutes=12,
        counter="1",
    )
    _draw(office, actor, 4, late - timedelta(minutes=10))
    figures = _figures(office, late)
    assert figures.estimate_minutes == 48  # 4 × 12 ÷ 1 staffed counter
    assert figures.display_minutes == 50
    assert figures.beyond_closing is True


def test_tickets_of_yesterday_and_finished_ones_do_not_wait(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor)
    _draw(office, actor, 2, MONDAY.replace(hour=15))  # never called: yesterday's, not today's room
    figures = _figures(office, TUESDAY)
    assert figures.waiting == 0


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (TUESDAY.replace(hour=7, minute=59), "before opening"),
        (TUESDAY.replace(hour=16), "at closing"),
        (TUESDAY + timedelta(days=4), "Saturday"),
        (datetime(2026, 4, 6, 10, 0, tzinfo=calendar.TZ), "Easter Monday"),
    ],
)
def test_closed(world: World, office: AppointmentOffice, moment: datetime, reason: str) -> None:
    _history(office, world.kreis_admin)
    _draw(office, world.kreis_admin, 2, moment - timedelta(minutes=1))
    figures = _figures(office, moment)
    assert figures.open_now is False, reason
    assert figures.state == waiting.QueueState.CLOSED
    assert figures.estimate_minutes is None


def test_office_wide_closure_closes_and_shortens(world: World, office: AppointmentOffice) -> None:
    Closure.objects.create(
        office=office,
        starts_at=TUESDAY.replace(hour=12),
        ends_at=TUESDAY.replace(hour=13),
        reason="Betriebsversammlung",
    )
    assert _figures(office, TUESDAY.replace(hour=12, minute=30)).open_now is False
    figures = _figures(office, TUESDAY)
    assert figures.open_now is True
    assert figures.closes_at == TUESDAY.replace(hour=12)


def test_next_free_appointment_per_service(world: World, office: AppointmentOffice) -> None:
    figures = _figures(office, TUESDAY)
    rows = {row.leika_key: row for row in figures.appointments}
    assert set(rows) == {ADDRESS_CHANGE, world.kreis_service.leika_key}
    # Booking opens tomorrow (book_from_days=1); Wednesday 08:00 is free on every counter.
    assert rows[ADDRESS_CHANGE].starts_at == TUESDAY.replace(day=4, hour=8, minute=0)
    assert rows[ADDRESS_CHANGE].duration_minutes == 20
    # Book every counter's first hour on Wednesday: the next free start moves to 09:00.
    wednesday = TUESDAY.replace(day=4, hour=8)
    with time_machine.travel(TUESDAY, tick=False):
        for _counter_no in range(3):
            for step in range(3):
                factories.book(
                    office,
                    wednesday + timedelta(minutes=20 * step),
                    items=[(ADDRESS_CHANGE, 1)],
                    email=f"person{_counter_no}{step}@example.org",
                    now=TUESDAY,
                )
    figures = _figures(office, TUESDAY)
    rows = {row.leika_key: row for row in figures.appointments}
    assert rows[ADDRESS_CHANGE].starts_at == wednesday.replace(hour=9)


def test_office_without_online_booking_lists_no_appointments(world: World, office: AppointmentOffice) -> None:
    AppointmentOffice.objects.filter(pk=office.pk).update(enabled=False)
    office.refresh_from_db()
    assert _figures(office, TUESDAY).appointments == []


def test_only_road_traffic_offices_of_the_registration_authority(world: World) -> None:
    road_traffic_office(world)
    town = factories.appointment_office(world.neuss.offices.get(slug="buergerbuero"))  # no 99036 service
    dormagen = factories.appointment_office(
        world.dormagen.offices.get(slug="buergerbuero"), services=((world.kreis_service, 20),)
    )
    ids = [office.pk for office in waiting.road_traffic_offices()]
    assert ids == [AppointmentOffice.objects.get(office__slug="strassenverkehrsamt").pk]
    assert town.pk not in ids and dormagen.pk not in ids
    with override_settings(VEHICLES_AUTHORITY_AGS=world.dormagen.ags):
        assert [office.pk for office in waiting.road_traffic_offices()] == [dormagen.pk]


def test_figures_are_cached_per_office_and_revision(world: World, office: AppointmentOffice) -> None:
    actor = world.kreis_admin
    _history(office, actor)
    _draw(office, actor, 2, TUESDAY - timedelta(minutes=5))
    with time_machine.travel(TUESDAY, tick=False):
        first = waiting.waiting_times()
        _draw(office, actor, 3, TUESDAY)
        with CaptureQueriesContext(connection) as cached_queries:
            second = waiting.waiting_times()
    assert first == second and second[0].waiting == 2  # cached: the three new tickets are not seen yet
    assert not any("appointments_queueticket" in q["sql"] for q in cached_queries.captured_queries)
    assert len(cached_queries.captured_queries) <= 3
    # Half a minute later the cache has expired.
    with time_machine.travel(TUESDAY + timedelta(seconds=31), tick=False):
        assert waiting.waiting_times()[0].waiting == 5
    # A change of the calendar configuration (new revision) is seen at once, within the 30 seconds.
    with time_machine.travel(TUESDAY + timedelta(seconds=40), tick=False):
        assert waiting.waiting_times()[0].counters == 3
        Counter.objects.filter(office=office, label="3").update(active=False)
        assert waiting.waiting_times()[0].counters == 3  # a bulk update bypasses the revision: cached
        AppointmentOffice.objects.get(pk=office.pk).save()
        assert waiting.waiting_times()[0].counters == 2
