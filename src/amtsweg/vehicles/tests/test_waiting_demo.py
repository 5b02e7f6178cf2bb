"""The vehicles demo data (``vehicles.demo``): the demo citizen's three cars, the issued plates and
the reservations; deterministic, valid plates only, idempotent, and never overwriting a demo move."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from amtsweg.identity.models import User
from amtsweg.testing import World, make_user

from .. import demo, plates
from ..models import PlateReservation, RegisteredVehicle
from ..registers import LocalVehicleRegister

pytestmark = pytest.mark.django_db


@pytest.fixture
def citizen(world: World) -> User:
    email = demo.demo_citizen_email()
    assert email == "buerger@demo.amtsweg.de"
    return make_user(email, kind=User.Kind.CITIZEN, first="Clara", last="Bürger")


def test_load_fills_the_register_and_reserves(world: World, citizen: User) -> None:
    summary = demo.load_vehicles_demo()
    assert (summary.citizen_vehicles, summary.issued, summary.reservations) == (3, demo.ISSUED_PLATES, 3)
    assert RegisteredVehicle.objects.count() == demo.ISSUED_PLATES + 3

    register = LocalVehicleRegister()
    golf, zoe, fiesta = (register.find(p) for p in ("NE-CB 1988", "GV-CB 521E", "D-CB 2105"))
    assert golf is not None and zoe is not None and fiesta is not None
    assert (golf.holder_family_name, golf.holder_given_names) == ("Bürger", "Clara")
    assert golf.holder_birth_date == dt.date(1988, 5, 21)
    assert (golf.holder_street, golf.holder_postcode, golf.holder_city) == (
        "Bahnhofstraße 20",
        "41539",
        "Dormagen",
    )
    assert golf.in_district and zoe.in_district
    assert not fiesta.in_district and fiesta.district_prefix == "D"  # for the Kennzeichenmitnahme

    issued = list(RegisteredVehicle.objects.values_list("plate", "district_prefix", "vin"))
    for plate, prefix, vin in issued:
        assert plates.parse(plate).text == plate  # canonical and valid
        assert plate.startswith(f"{prefix}-")
        assert len(vin) == 17 and vin.startswith("AWD") and not set(vin) & set("IOQ")
    counts = dict(RegisteredVehicle.objects.values_list("district_prefix").annotate(n=Count("pk")).order_by())
    assert counts["NE"] > 800 and counts["GV"] > 800

    active = PlateReservation.objects.filter(status=PlateReservation.Status.ACTIVE)
    assert set(active.values_list("plate", flat=True)) == {"NE-CB 2026", "NE-AW 1", "GV-AW 10"}
    mine = active.get(holder=citizen)
    assert mine.expires_at - mine.reserved_at == dt.timedelta(days=90)
    assert not RegisteredVehicle.objects.filter(plate__in=active.values("plate")).exists()
    others = User.objects.filter(plate_reservations__in=active.exclude(holder=citizen))
    assert all(not user.has_usable_password() and user.kind == User.Kind.CITIZEN for user in others)


def test_load_is_deterministic_and_idempotent(world: World, citizen: User) -> None:
    demo.load_vehicles_demo()
    first = set(RegisteredVehicle.objects.values_list("plate", "vin", "holder_family_name"))
    again = demo.load_vehicles_demo()
    assert (again.citizen_vehicles, again.issued, again.reservations) == (0, 0, 0)
    RegisteredVehicle.objects.all().delete()
    demo.load_vehicles_demo()
    assert set(RegisteredVehicle.objects.values_list("plate", "vin", "holder_family_name")) == first


def test_a_demo_move_is_not_undone_by_the_next_load(world: World, citizen: User) -> None:
    demo.load_vehicles_demo()
    register = LocalVehicleRegister()
    on = dt.date(2026, 11, 2)
    register.change_address(
        plate="NE-CB 1988",
        street="Markt 5",
        postcode="41460",
        city="Neuss",
        moved_on=on,
        keep_plate=True,
        actor=citizen,
    )
    register.change_address(
        plate="D-CB 2105",
        street="Markt 5",
        postcode="41460",
        city="Neuss",
        moved_on=on,
        keep_plate=False,
        new_plate="NE-CB 2105",
        actor=citizen,
    )

    assert demo.load_vehicles_demo().citizen_vehicles == 0
    golf = register.find("NE-CB 1988")
    assert golf is not None and golf.holder_city == "Neuss"
    assert register.find("D-CB 2105") is None  # not issued again: the car now runs as NE-CB 2105
    assert register.find("NE-CB 2105") is not None


def test_plates_issued_elsewhere_and_reservation_limits_are_respected(
    world: World, citizen: User, settings: object
) -> None:
    RegisteredVehicle.objects.create(
        plate="NE-CB 1988", vin="X" * 17, district_prefix="NE", holder_family_name="Other"
    )
    PlateReservation.objects.create(
        authority=world.kreis,
        plate="NE-AW 1",
        holder=world.citizen,
        reserved_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 1, 30, tzinfo=dt.UTC),
    )
    settings.VEHICLES_RESERVATIONS_PER_PERSON = 0  # type: ignore[attr-defined]
    summary = demo.load_vehicles_demo()
    assert summary.citizen_vehicles == 2
    assert RegisteredVehicle.objects.get(plate="NE-CB 1988").holder_family_name == "Other"
    assert summary.reservations == 0
    assert PlateReservation.objects.get(plate="NE-AW 1").holder == world.citizen


def test_without_the_demo_people_only_the_register_is_filled(world: World) -> None:
    summary = demo.load_vehicles_demo()
    assert summary.citizen_vehicles == 0 and summary.issued == demo.ISSUED_PLATES
    assert summary.reservations == 2  # the invented holders' reservations
