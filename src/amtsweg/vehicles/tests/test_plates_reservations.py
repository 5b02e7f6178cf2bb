"""Availability, reserve, extend, release and expire of desired plates, with a frozen clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.cases.models import Case
from amtsweg.core.problems import Problem
from amtsweg.payments.models import Payment
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World, make_user
from amtsweg.vehicles import reservations
from amtsweg.vehicles.models import PlateReservation, RegisteredVehicle
from amtsweg.vehicles.plates import PlateInvalid
from amtsweg.vehicles.reservations import (
    Verdict,
    plate_availability,
    plate_reservation_extend,
    plate_reservation_release,
    plate_reservations_expire,
    plate_reserve,
)

from .matrix_plates import plate_service

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 9:00 in Neuss; durations are exact days of 24 h
Status = PlateReservation.Status


@pytest.fixture
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def kreis(world: World) -> World:
    plate_service(world)
    return world


def issue(plate: str, n: int = 0) -> RegisteredVehicle:
    return RegisteredVehicle.objects.create(
        plate=plate,
        vin=f"WVWZZZ1JZXW{n:06d}",
        district_prefix=plate.split("-")[0],
        holder_family_name="Halter",
    )


def second_citizen() -> object:
    return make_user("bert@example.org", kind="citizen", first="Bert", last="Bürger")


# --- availability ---------------------------------------------------------------------------------


def test_availability_verdicts(kreis: World, clock: time_machine.Traveller) -> None:
    issue("NE-AB 123")
    issue("GV-X 7E", 1)
    assert plate_availability("NE-AB 124").verdict is Verdict.AVAILABLE
    assert plate_availability("ne ab 124").text == "NE-AB 124"

    invalid = plate_availability("NEAB123")
    assert invalid.verdict is Verdict.INVALID and invalid.reason == "ambiguous" and invalid.plate is None

    other = plate_availability("D-AB 1")
    assert other.verdict is Verdict.WRONG_DISTRICT and "NE, GV" in other.message_de

    issued = plate_availability("NE-AB 123")
    assert issued.verdict is Verdict.ISSUED
    # The marker belongs to the vehicle: NE-AB 123E is the same Erkennungsnummer as NE-AB 123.
    assert plate_availability("NE-AB 123E").verdict is Verdict.ISSUED
    assert plate_availability("GV-X 7").verdict is Verdict.ISSUED
    assert plate_availability("GV-X 7H").verdict is Verdict.ISSUED


def test_suggestions_are_free_nearby_numbers(kreis: World, clock: time_machine.Traveller) -> None:
    issue("NE-AB 123")
    issue("NE-AB 124", 1)
    issue("NE-AB 122E", 2)
    plate_reserve(plate="NE-AB 125", holder=kreis.citizen, channel="web")
    answer = plate_availability("NE-AB 123")
    assert answer.verdict is Verdict.ISSUED
    assert answer.suggestions == ("NE-AB 121", "NE-AB 126", "NE-AB 120")
    for suggestion in answer.suggestions:
        assert plate_availability(suggestion).available
    assert plate_availability("NE-AB 125").verdict is Verdict.RESERVED
    assert plate_availability("NE-AB 125").suggestions  # reserved plates get alternatives too
    assert plate_availability("NE-AB 1", suggest=0).suggestions == ()


def test_suggestions_skip_forbidden_and_too_long(kreis: World, clock: time_machine.Traveller) -> None:
    issue("NE-AH 87")
    assert "NE-AH 88" not in plate_availability("NE-AH 87").suggestions
    issue("NE-AB 9999", 1)
    assert all(
        len(s.replace("-", "").replace(" ", "")) <= 8 for s in plate_availability("NE-AB 9999").suggestions
    )


def test_availability_queries_are_few(
    kreis: World, clock: time_machine.Traveller, django_assert_max_num_queries: object
) -> None:
    with django_assert_max_num_queries(4):  # type: ignore[operator]
        assert plate_availability("NE-AB 1").available  # 1 reservation + 3 register lookups


# --- reserve --------------------------------------------------------------------------------------


def test_reserve_creates_reservation_case_and_fee(
    kreis: World, clock: time_machine.Traveller, settings: SettingsWrapper
) -> None:
    settings.VEHICLES_RESERVATION_FEE_CENTS = 1280
    reservation = plate_reserve(plate="ne ab 7e", holder=kreis.citizen, channel="web")
    reservation.refresh_from_db()
    assert reservation.plate == "NE-AB 7"  # the Erkennungsnummer, without the vehicle's marker
    assert reservation.status == Status.ACTIVE
    assert reservation.authority == kreis.kreis
    assert reservation.reserved_at == START
    assert reservation.expires_at == START + timedelta(days=90)
    case = Case.objects.get(pk=reservation.case.pk if reservation.case else 0)
    assert case.authority == kreis.kreis and case.applicant == kreis.citizen
    assert case.service.leika_key == reservations.RESERVATION_SERVICE
    assert case.reference.startswith("000-")
    payment = Payment.objects.get(case=case)
    assert payment.amount_cents == 1280 and payment.payer == kreis.citizen
    assert "NE-AB 7" in payment.purpose
    assert plate_availability("NE-AB 7E").verdict is Verdict.RESERVED


@pytest.mark.parametrize(
    ("plate", "code", "status"),
    [("D-AB 1", "wrong-district", 422), ("NE-AB 1", "plate-issued", 409), ("NEAB1", "plate-invalid", 400)],
)
def test_reserve_refusals(
    kreis: World, clock: time_machine.Traveller, plate: str, code: str, status: int
) -> None:
    issue("NE-AB 1E")
    with pytest.raises(Problem) as error:
        plate_reserve(plate=plate, holder=kreis.citizen, channel="web")
    assert (error.value.code, error.value.status_code) == (code, status)
    assert not PlateReservation.objects.exists() and not Case.objects.exists()


def test_reserved_plate_cannot_be_reserved_again(kreis: World, clock: time_machine.Traveller) -> None:
    plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    for holder in (second_citizen(), kreis.citizen):
        with pytest.raises(Problem) as error:
            plate_reserve(plate="NE-AB 1H", holder=holder, channel="web")  # type: ignore[arg-type]
        assert error.value.code == "plate-reserved" and error.value.status_code == 409
    assert (
        PlateReservation.objects.count() == 1 and Case.objects.count() == 1 and Payment.objects.count() == 1
    )


def test_staff_cannot_reserve(kreis: World, clock: time_machine.Traveller) -> None:
    with pytest.raises(Problem) as error:
        plate_reserve(plate="NE-AB 1", holder=kreis.caseworker_neuss, channel="web")
    assert error.value.status_code == 403


def test_per_person_limit(kreis: World, clock: time_machine.Traveller, settings: SettingsWrapper) -> None:
    settings.VEHICLES_RESERVATIONS_PER_PERSON = 2
    first = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    plate_reserve(plate="NE-AB 2", holder=kreis.citizen, channel="web")
    with pytest.raises(Problem) as error:
        plate_reserve(plate="NE-AB 3", holder=kreis.citizen, channel="web")
    assert error.value.code == "reservation-limit"
    plate_reserve(plate="NE-AB 3", holder=second_citizen(), channel="web")  # type: ignore[arg-type]
    plate_reservation_release(reservation=first, actor=kreis.citizen, channel="web")
    plate_reserve(plate="NE-AB 4", holder=kreis.citizen, channel="web")  # a released one no longer counts


def test_expired_reservation_frees_the_plate_without_the_sweep(
    kreis: World, clock: time_machine.Traveller
) -> None:
    old = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    clock.move_to(START + timedelta(days=90))
    assert plate_availability("NE-AB 1").available
    other = second_citizen()
    new = plate_reserve(plate="NE-AB 1", holder=other, channel="web")  # type: ignore[arg-type]
    old.refresh_from_db()
    assert old.status == Status.EXPIRED and old.ended_at == old.expires_at
    assert new.status == Status.ACTIVE and new.holder == other


# --- extend ---------------------------------------------------------------------------------------


def test_extend_only_in_the_last_30_days_and_once(kreis: World, clock: time_machine.Traveller) -> None:
    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    clock.move_to(START + timedelta(days=59, hours=23))
    with pytest.raises(Problem) as error:
        plate_reservation_extend(reservation=reservation, actor=kreis.citizen, channel="web")
    assert error.value.code == "extension-too-early" and "extendable_from" in error.value.extra
    clock.move_to(START + timedelta(days=60))
    extended = plate_reservation_extend(reservation=reservation, actor=kreis.citizen, channel="web")
    assert extended.expires_at == START + timedelta(days=180) and extended.extensions == 1
    assert Payment.objects.filter(case=reservation.case).count() == 2  # the fee again
    clock.move_to(START + timedelta(days=170))
    with pytest.raises(Problem) as error:
        plate_reservation_extend(reservation=reservation, actor=kreis.citizen, channel="web")
    assert error.value.code == "extension-limit"


def test_extend_refused_after_the_end_and_for_others(kreis: World, clock: time_machine.Traveller) -> None:
    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    clock.move_to(START + timedelta(days=70))
    with pytest.raises(Problem) as error:
        plate_reservation_extend(reservation=reservation, actor=second_citizen(), channel="web")  # type: ignore[arg-type]
    assert error.value.status_code == 403
    clock.move_to(START + timedelta(days=90))
    with pytest.raises(Problem) as error:
        plate_reservation_extend(reservation=reservation, actor=kreis.citizen, channel="web")
    assert error.value.code == "reservation-ended"


# --- release and expire ---------------------------------------------------------------------------


def test_holder_releases_and_the_plate_is_free(kreis: World, clock: time_machine.Traveller) -> None:
    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    clock.shift(timedelta(hours=1))
    assert reservation.case is not None and reservation.case.status == "reserviert"
    released = plate_reservation_release(reservation=reservation, actor=kreis.citizen, channel="web")
    assert released.status == Status.RELEASED and released.ended_at == START + timedelta(hours=1)
    reservation.case.refresh_from_db()
    assert reservation.case.phase == "closed"  # the case ends with the reservation
    assert plate_availability("NE-AB 1").available
    assert not AuditEvent.objects.filter(object_id=str(reservation.pk)).exists()  # audit is for staff
    with pytest.raises(Problem) as error:
        plate_reservation_release(reservation=reservation, actor=kreis.citizen, channel="web")
    assert error.value.code == "reservation-ended"


def test_staff_release_needs_reason_and_access_and_is_audited(
    kreis: World, clock: time_machine.Traveller
) -> None:
    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    with pytest.raises(Problem) as error:
        plate_reservation_release(
            reservation=reservation, actor=kreis.caseworker_neuss, channel="web", reason="x"
        )
    assert error.value.status_code == 403  # a town's caseworker is not the Zulassungsbehörde
    with pytest.raises(Problem) as error:
        plate_reservation_release(reservation=reservation, actor=kreis.kreis_admin, channel="web", reason=" ")
    assert error.value.code == "reason-required"
    plate_reservation_release(
        reservation=reservation, actor=kreis.kreis_admin, channel="web", reason="Doppelte Reservierung"
    )
    event = AuditEvent.objects.get(object_id=str(reservation.pk))
    assert event.actor == kreis.kreis_admin and event.authority == kreis.kreis
    assert event.changes == {"status": ["active", "released"], "reason": "Doppelte Reservierung"}


def test_expire_sweep(kreis: World, clock: time_machine.Traveller) -> None:
    first = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    clock.shift(timedelta(days=10))
    second = plate_reserve(plate="NE-AB 2", holder=kreis.citizen, channel="web")
    assert plate_reservations_expire() == 0
    clock.move_to(START + timedelta(days=95))
    assert plate_reservations_expire() == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == Status.EXPIRED and first.ended_at == START + timedelta(days=90)
    assert second.status == Status.ACTIVE
    assert first.case is not None and second.case is not None
    assert (first.case.phase, second.case.phase) == ("closed", "new")
    assert plate_reservations_expire(now=START + timedelta(days=101)) == 1
    assert plate_reservations_expire(now=START + timedelta(days=200)) == 0


def test_reservations_for_staff_search(kreis: World, clock: time_machine.Traveller) -> None:
    plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    plate_reserve(plate="GV-X 1", holder=kreis.citizen, channel="web")
    admin = kreis.kreis_admin
    assert [r.plate for r in reservations.reservations_for_staff(admin, kreis.kreis, plate="ne ab 1e")] == [
        "NE-AB 1"
    ]
    assert reservations.reservations_for_staff(admin, kreis.kreis).count() == 2
    assert reservations.reservations_for_staff(admin, kreis.kreis, plate="GV").count() == 1
    assert not reservations.reservations_for_staff(kreis.caseworker_neuss, kreis.kreis).exists()


def test_invalid_plate_raises_on_reserve(kreis: World, clock: time_machine.Traveller) -> None:
    with pytest.raises(PlateInvalid):
        plate_reserve(plate="NE-AB 0", holder=kreis.citizen, channel="web")


def test_the_check_asks_the_register_in_batches(kreis: World, clock: time_machine.Traveller) -> None:
    for n, plate in enumerate(("NE-AB 123", "NE-AB 124", "NE-AB 122E", "NE-AB 125H")):
        issue(plate, n)
    with CaptureQueriesContext(connection) as queries:
        answer = plate_availability("NE-AB 123")
    assert answer.suggestions == ("NE-AB 121", "NE-AB 126", "NE-AB 120")
    # reserved?, issued?, reserved among the candidates, issued among the three nearest (all
    # issued), issued among the next three: never one query per plate
    assert len(queries) == 5


def test_holder_is_told_about_the_fee_in_the_postbox(kreis: World, clock: time_machine.Traveller) -> None:
    from amtsweg.cases.models import PostboxMessage
    from amtsweg.outbox.models import OutboxMessage

    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    message = PostboxMessage.objects.get(case=reservation.case)
    assert message.recipient == kreis.citizen and message.authority == kreis.kreis
    assert "12,80 €" in message.subject and "NE-AB 1" in message.body
    assert "reserviert bis zum 31.05.2026" in message.body
    payment = Payment.objects.get(case=reservation.case)
    assert payment.kassenzeichen in message.body
    outbox = OutboxMessage.objects.get(kind="email.postbox")
    assert outbox.payload == {"message": message.pk}  # ids only, no personal data


def test_use_marks_the_holders_reservation(kreis: World, clock: time_machine.Traveller) -> None:
    reservation = plate_reserve(plate="NE-AB 1", holder=kreis.citizen, channel="web")
    assert not reservations.plate_reservation_use(plate="NE-AB 1", holder=second_citizen())  # type: ignore[arg-type]
    assert reservations.plate_reservation_use(plate="NE-AB 1E", holder=kreis.citizen)
    reservation.refresh_from_db()
    assert reservation.status == Status.USED and reservation.ended_at == START
    assert not reservations.plate_reservation_use(plate="NE-AB 1", holder=kreis.citizen)
