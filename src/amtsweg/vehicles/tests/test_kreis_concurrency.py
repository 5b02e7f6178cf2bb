"""A double click (or two caseworkers at once) on "eintragen" changes the register exactly once:
the ``VehicleChange`` row lock serialises them and the second finds the change recorded."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection, connections

from amtsweg.testing import World

from ..models import VehicleChange
from ..registers import LocalVehicleRegister
from ..services import vehicle_change_record
from .kreis_factories import hand_over, kreis_caseworker, message, publish_kreis_model, register

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_requests_at_once_record_once(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL (SQLite serialises whole transactions)")
    publish_kreis_model(world)
    caseworker = kreis_caseworker(world)
    register("NE-AB 123")
    case = hand_over(world, message("NE-AB 123"))
    change = VehicleChange.objects.get(case=case)

    calls: list[str] = []
    real = LocalVehicleRegister.change_address
    inside = threading.Event()

    def slow(self: LocalVehicleRegister, **kwargs: Any) -> Any:
        calls.append(kwargs["plate"])
        inside.set()
        # Hold the lock a moment so that the second request surely arrives while it is held.
        threading.Event().wait(0.3)
        return real(self, **kwargs)

    monkeypatch.setattr(LocalVehicleRegister, "change_address", slow)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def click() -> None:
        try:
            barrier.wait()
            row = VehicleChange.objects.get(pk=change.pk)
            results.append(
                vehicle_change_record(change=row, keep_plate=True, actor=caseworker, channel="web")
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert inside.is_set()
    assert calls == ["NE-AB 123"]
    assert len(results) == 2 and {r.outcome for r in results} == {"recorded"}
    assert len({r.recorded_at for r in results}) == 1
