"""Races at the office, with real concurrent connections (run on PostgreSQL and on SQLite in a file):
simultaneous check-ins never share a number, a double check-in gives one ticket, and counters
pressing "call next" at the same moment never call the same person."""

from __future__ import annotations

import threading
from collections import Counter as Tally
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections

from amtsweg.appointments import queue
from amtsweg.appointments.calendar import TZ
from amtsweg.appointments.models import AppointmentOffice, Counter, QueueTicket
from amtsweg.testing import World, make_world

from .matrix_queue import appointment_at, queue_office

NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
THREADS = 16


def _in_threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads released at once; each thread uses its own connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.fixture
def threaded(transactional_db: None) -> tuple[World, AppointmentOffice]:
    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and ("mode=memory" in name or name == ":memory:"):
        pytest.skip("needs PostgreSQL or a file database: in-memory SQLite has no waiting locks")
    world = make_world()
    return world, queue_office(world.neuss)


def test_simultaneous_checkins_get_distinct_numbers(threaded: tuple[World, AppointmentOffice]) -> None:
    world, office = threaded
    references = [appointment_at(office, NOW + timedelta(minutes=i)).reference for i in range(THREADS)]
    service = office.services.first()
    assert service is not None

    def work(index: int) -> str:
        if index % 4 == 3:  # walk-ins at the same moment draw from their own series
            return queue.queue_walkin(
                office=office, service=service, actor=world.caseworker_neuss, now=NOW
            ).number
        return queue.queue_checkin(office=office, code=references[index], now=NOW).number

    numbers, errors = _in_threads(THREADS, work)
    assert not errors, errors
    walkins = THREADS // 4
    assert sorted(numbers) == sorted(
        [f"A{i:03d}" for i in range(1, THREADS - walkins + 1)] + [f"W{i:03d}" for i in range(1, walkins + 1)]
    )
    assert QueueTicket.objects.count() == THREADS


def test_double_checkin_at_once_gives_one_ticket(threaded: tuple[World, AppointmentOffice]) -> None:
    _world, office = threaded
    reference = appointment_at(office, NOW).reference
    results, errors = _in_threads(8, lambda i: queue.queue_checkin(office=office, code=reference, now=NOW).pk)
    assert not errors, errors
    assert len(set(results)) == 1
    assert QueueTicket.objects.get().number == "A001"


def test_counters_calling_at_once_never_call_the_same_ticket(
    threaded: tuple[World, AppointmentOffice],
) -> None:
    world, office = threaded
    service = office.services.first()
    assert service is not None
    waiting = 6
    for minute in range(waiting):
        queue.queue_walkin(
            office=office, service=service, actor=world.caseworker_neuss, now=NOW + timedelta(seconds=minute)
        )
    counters = [Counter.objects.create(office=office, name=f"Platz {i}", label=f"P{i}") for i in range(10)]

    def work(index: int) -> str | None:
        try:
            ticket = queue.queue_call_next(
                office=office,
                counter=counters[index],
                actor=world.caseworker_neuss,
                now=NOW + timedelta(minutes=1),
            )
        except queue.QueueEmpty:
            return None
        return ticket.number

    called, errors = _in_threads(len(counters), work)
    assert not errors, errors
    numbers = [number for number in called if number is not None]
    assert sorted(numbers) == [f"W{i:03d}" for i in range(1, waiting + 1)]
    assert called.count(None) == len(counters) - waiting
    tickets = QueueTicket.objects.all()
    assert all(ticket.status == "called" and ticket.call_count == 1 for ticket in tickets)
    assert max(Tally(ticket.counter_id for ticket in tickets).values()) == 1


def test_one_counter_pressing_twice_at_once_calls_one(threaded: tuple[World, AppointmentOffice]) -> None:
    world, office = threaded
    service = office.services.first()
    assert service is not None
    for _ in range(3):
        queue.queue_walkin(office=office, service=service, actor=world.caseworker_neuss, now=NOW)
    counter = office.counters.get(label="1")

    def work(index: int) -> str:
        try:
            return queue.queue_call_next(
                office=office, counter=counter, actor=world.caseworker_neuss, now=NOW
            ).number
        except queue.CounterBusy:
            return "busy"

    results, errors = _in_threads(4, work)
    assert not errors, errors
    assert sorted(results) == ["W001", "busy", "busy", "busy"]
