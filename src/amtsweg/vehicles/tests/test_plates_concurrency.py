"""Two people can never hold the same plate: concurrent reservations against PostgreSQL.

Real threads, each with its own database connection, released together by a barrier. On SQLite
the database serialises every writer with a file lock, so the race the partial unique index
decides cannot happen there; the same code path (the insert failing with IntegrityError and
becoming problem 409) is tested on both databases in ``test_plates_reservations.py``
(``test_reserved_plate_cannot_be_reserved_again``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial

import pytest
from django.db import connection
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.cases.models import Case
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.payments.models import Payment
from amtsweg.testing import World, make_user
from amtsweg.vehicles.models import PlateReservation
from amtsweg.vehicles.reservations import plate_reserve

from .matrix_plates import plate_service

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent writers (PostgreSQL)"),
]


def _race(calls: list[Callable[[], object]]) -> tuple[list[object], list[Exception]]:
    barrier = threading.Barrier(len(calls))
    won: list[object] = []
    lost: list[Exception] = []
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        from django.db import connections

        try:
            barrier.wait(timeout=10)
            result = call()
            with lock:
                won.append(result)
        except Exception as exc:
            with lock:
                lost.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return won, lost


def test_one_plate_many_people_exactly_one_wins(world: World) -> None:
    plate_service(world)
    people: list[User] = [world.citizen] + [
        make_user(f"person{i}@example.org", kind=User.Kind.CITIZEN) for i in range(5)
    ]
    won, lost = _race(
        [partial(plate_reserve, plate="NE-AB 123", holder=person, channel="api") for person in people]
    )
    assert len(won) == 1, lost
    assert len(lost) == len(people) - 1
    assert all(
        isinstance(e, Problem) and e.code == "plate-reserved" and e.status_code == 409 for e in lost
    ), lost
    assert PlateReservation.objects.filter(plate="NE-AB 123", status="active").count() == 1
    # The losers' transactions were rolled back whole: one case, one fee.
    assert Case.objects.count() == 1 and Payment.objects.count() == 1


def test_markers_race_on_the_same_erkennungsnummer(world: World) -> None:
    plate_service(world)
    other = make_user("other@example.org", kind=User.Kind.CITIZEN)
    won, lost = _race(
        [
            lambda: plate_reserve(plate="NE-AB 7E", holder=world.citizen, channel="web"),
            lambda: plate_reserve(plate="NE-AB 7H", holder=other, channel="web"),
        ]
    )
    assert len(won) == 1 and len(lost) == 1, lost
    assert PlateReservation.objects.filter(status="active").count() == 1


def test_per_person_limit_holds_under_concurrency(world: World, settings: SettingsWrapper) -> None:
    plate_service(world)
    settings.VEHICLES_RESERVATIONS_PER_PERSON = 1
    won, lost = _race(
        [
            partial(plate_reserve, plate=plate, holder=world.citizen, channel="web")
            for plate in ("NE-AB 1", "NE-AB 2", "GV-AB 3")
        ]
    )
    assert len(won) == 1, lost
    assert all(isinstance(e, Problem) and e.code == "reservation-limit" for e in lost), lost
    assert PlateReservation.objects.filter(holder=world.citizen, status="active").count() == 1
