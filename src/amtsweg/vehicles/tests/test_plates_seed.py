"""``vehicles_seed_plates``: deterministic, valid, idempotent."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from amtsweg.vehicles.management.commands.vehicles_seed_plates import seeded_plates
from amtsweg.vehicles.models import RegisteredVehicle
from amtsweg.vehicles.plates import parse
from amtsweg.vehicles.reservations import Verdict, plate_availability


def test_sequence_is_deterministic_valid_and_spread() -> None:
    first = [plate.text for _, plate in seeded_plates(2000, prefixes=("NE", "GV"))]
    assert first == [plate.text for _, plate in seeded_plates(2000, prefixes=("NE", "GV"))]
    assert len(set(first)) == 2000
    assert all(parse(text).text == text for text in first)
    assert {text.split("-")[0] for text in first} == {"NE", "GV"}
    assert len({parse(text).letters for text in first}) > 300  # not one letter group after another
    assert any(text.endswith("E") for text in first) and any(text.endswith("H") for text in first)
    later = [plate.text for _, plate in seeded_plates(10, prefixes=("NE", "GV"), offset=1990)]
    assert later == first[1990:2000]


@pytest.mark.django_db
def test_command_seeds_and_is_idempotent() -> None:
    out = StringIO()
    call_command("vehicles_seed_plates", "300", stdout=out)
    assert "300 plates added" in out.getvalue()
    call_command("vehicles_seed_plates", "300", stdout=out)
    assert RegisteredVehicle.objects.count() == 300
    call_command("vehicles_seed_plates", "100", "--offset", "300", stdout=out)
    assert RegisteredVehicle.objects.count() == 400
    some = RegisteredVehicle.objects.order_by("pk").first()
    assert some is not None
    assert plate_availability(some.plate).verdict is Verdict.ISSUED
