"""Booking services: reserve, confirm, limits, expired holds, cancel with hold-back, move, sweeps."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.test import override_settings
from joserfc import jwt
from joserfc.jwk import OctKey

from amtsweg.appointments import calendar, pow, services, slots, video
from amtsweg.appointments.models import Appointment, AppointmentOffice, Occupancy, QueueTicket
from amtsweg.appointments.problems import (
    BookingError,
    ChallengeFailed,
    HoldExpired,
    InvalidState,
    LimitReached,
    SlotTaken,
)
from amtsweg.appointments.selectors import appointment_by_token
from amtsweg.appointments.services import (
    Contact,
    appointment_cancel,
    appointment_confirm,
    appointment_reserve,
)
from amtsweg.appointments.tests.factories import PERSONALAUSWEIS, REISEPASS, appointment_office, book
from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=calendar.TZ)
TUESDAY = date(2026, 3, 3)


def at(hh: int, mm: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=calendar.TZ)


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    return appointment_office(world.neuss.offices.get(), counters=2, hours="Mo-Fr 08:00-12:00")


def reserve(
    office: AppointmentOffice, starts_at: datetime, email: str = "max@example.org", **kw: object
) -> tuple[Appointment, str]:
    return appointment_reserve(
        office=office,
        items=[(PERSONALAUSWEIS, 1)],
        starts_at=starts_at,
        contact=Contact(name="Max Mustermann", email=email),
        now=kw.pop("now", NOW),  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def kinds() -> list[str]:
    return list(OutboxMessage.objects.order_by("pk").values_list("kind", flat=True))


def test_a_guest_reserves_and_confirms_by_the_link(office: AppointmentOffice) -> None:
    appointment, token = reserve(office, at(8))
    assert appointment.status == Appointment.Status.RESERVED
    assert appointment.hold_expires_at == NOW + timedelta(minutes=30)
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=30)
    assert Occupancy.objects.filter(appointment=appointment).count() == 3
    assert kinds() == ["appointments.email_confirm"]
    assert appointment.reference.startswith("T-") and len(appointment.reference) == 11
    assert token not in str(Appointment.objects.filter(pk=appointment.pk).values().get())  # never stored
    confirmed = appointment_confirm(token=token, now=NOW + timedelta(minutes=5))
    assert confirmed.status == Appointment.Status.BOOKED
    assert not Occupancy.objects.filter(appointment=appointment, blocks_until__isnull=False).exists()
    assert (
        appointment_confirm(token=token, now=NOW + timedelta(minutes=6)).status == Appointment.Status.BOOKED
    )
    assert kinds() == ["appointments.email_confirm", "appointments.email_booked"]


def test_a_citizen_with_a_confirmed_address_is_booked_at_once(
    office: AppointmentOffice, world: World
) -> None:
    appointment, _token = reserve(office, at(8), email=world.citizen.email, user=world.citizen)
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.user == world.citizen
    assert kinds() == ["appointments.email_booked"]
    other, _token = reserve(office, at(9), email="someone-else@example.org", user=world.citizen)
    assert other.status == Appointment.Status.RESERVED  # an address the account has not confirmed


def test_two_counters_two_bookings_then_taken_with_alternatives(office: AppointmentOffice) -> None:
    first, _ = reserve(office, at(8), email="a@example.org")
    second, _ = reserve(office, at(8), email="b@example.org")
    assert {first.counter_id, second.counter_id} == set(office.counters.values_list("pk", flat=True))
    with pytest.raises(SlotTaken) as taken:
        reserve(office, at(8, 10), email="c@example.org")
    assert taken.value.status_code == 409
    assert taken.value.extra["alternatives"][0] == at(8, 30).astimezone(calendar.UTC).isoformat()
    assert len(taken.value.extra["alternatives"]) == services.ALTERNATIVES
    assert Appointment.objects.count() == 2


def test_bad_requests_are_refused_clearly(office: AppointmentOffice) -> None:
    cases = [
        (at(8, 5), "slot-invalid"),
        (at(8, day=date(2026, 3, 2)), "slot-outside-window"),  # today
        (at(8) + timedelta(days=70), "slot-outside-window"),
        (datetime(2026, 3, 3, 8), "slot-invalid"),  # noqa: DTZ001  (naive on purpose)
    ]
    for starts_at, code in cases:
        with pytest.raises(BookingError) as error:
            appointment_reserve(
                office=office,
                items=[(PERSONALAUSWEIS, 1)],
                contact=Contact("Max", "max@example.org"),
                starts_at=starts_at,
                now=NOW,
            )
        assert error.value.code == code, starts_at
    with pytest.raises(BookingError) as error:
        appointment_reserve(
            office=office,
            items=[(PERSONALAUSWEIS, 1)],
            starts_at=at(8),
            contact=Contact("", "max@example.org"),
            now=NOW,
        )
    assert error.value.code == "contact-invalid" and error.value.extra == {"field": "name"}
    with pytest.raises(BookingError) as error:
        appointment_reserve(
            office=office,
            items=[(PERSONALAUSWEIS, 1)],
            starts_at=at(8),
            contact=Contact("Max", "not-an-address"),
            now=NOW,
        )
    assert error.value.extra == {"field": "email"}
    with pytest.raises(BookingError) as error:
        appointment_reserve(
            office=office, items=[], starts_at=at(8), contact=Contact("Max", "max@example.org"), now=NOW
        )
    assert error.value.code == "service-missing"
    # 11:40 + 30 minutes runs past closing time: not a slot.
    with pytest.raises(SlotTaken):
        reserve(office, at(11, 40))
    assert Appointment.objects.count() == 0


def test_limits_per_email_count_the_mailbox(office: AppointmentOffice) -> None:
    reserve(office, at(8), email="Max.Power@gmail.com")
    reserve(office, at(9), email="maxpower+termine@googlemail.com")
    with pytest.raises(LimitReached) as error:
        reserve(office, at(10), email="m.a.x.power+x@gmail.com")
    assert error.value.extra == {"limit": 2}
    assert services.normalise_email(" Max.Power+a@GMAIL.com") == "maxpower@gmail.com"
    assert services.normalise_email("a.b+c@neuss.de") == "a.b@neuss.de"


def test_limits_per_account_whatever_the_address(office: AppointmentOffice, world: World) -> None:
    reserve(office, at(8), email="one@example.org", user=world.citizen)
    reserve(office, at(9), email="two@example.org", user=world.citizen)
    with pytest.raises(LimitReached):
        reserve(office, at(10), email="three@example.org", user=world.citizen)


def test_limits_count_only_open_appointments(office: AppointmentOffice) -> None:
    first, _ = reserve(office, at(8))
    reserve(office, at(9))
    appointment_cancel(appointment=first, by="citizen", now=NOW)
    reserve(office, at(10))  # the cancelled one no longer counts
    # An expired hold does not count either.
    later = NOW + timedelta(hours=1)
    reserve(office, at(11), email="x@example.org")
    reserve(office, at(11, 30), email="x@example.org")
    reserve(office, at(10, 30), email="x@example.org", now=later)


def test_an_expired_hold_frees_the_time_and_cannot_be_confirmed_once_taken(office: AppointmentOffice) -> None:
    office.counters.exclude(label="1").delete()
    held, token = reserve(office, at(8), email="slow@example.org")
    with pytest.raises(SlotTaken):
        reserve(office, at(8), email="fast@example.org", now=NOW + timedelta(minutes=29))
    later = NOW + timedelta(minutes=31)
    assert calendar.local(
        slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=1, now=later)[0].starts[0]
    ) == at(8)
    fast, _ = reserve(office, at(8), email="fast@example.org", now=later)
    assert fast.counter_id == held.counter_id
    with pytest.raises(HoldExpired):
        appointment_confirm(token=token, now=later)
    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED


def test_an_expired_hold_nobody_took_can_still_be_confirmed(office: AppointmentOffice) -> None:
    _appointment, token = reserve(office, at(8))
    assert appointment_confirm(token=token, now=NOW + timedelta(hours=2)).status == Appointment.Status.BOOKED


def test_holds_expire_in_the_sweep(office: AppointmentOffice) -> None:
    held, _ = reserve(office, at(8))
    booked, _ = book(office, at(9), email="b@example.org", now=NOW)
    assert services.holds_expire(now=NOW + timedelta(minutes=10)) == 0
    assert services.holds_expire(now=NOW + timedelta(minutes=30)) == 1
    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED
    assert not Occupancy.objects.filter(appointment=held).exists()
    assert Occupancy.objects.filter(appointment=booked).count() == 3


def test_cancelled_time_is_held_back_before_it_reappears(office: AppointmentOffice) -> None:
    office.counters.exclude(label="1").delete()
    appointment, _token = book(office, at(8), now=NOW)
    appointment_cancel(appointment=appointment, by="citizen", now=NOW)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED
    first_free = slots.free_slots(office, [(PERSONALAUSWEIS, 1)], days=1, now=NOW + timedelta(minutes=59))[
        0
    ].starts[0]
    assert calendar.local(first_free) == at(8, 30)
    with pytest.raises(SlotTaken):
        reserve(office, at(8), email="scalper-buyer@example.org", now=NOW + timedelta(minutes=59))
    reserve(office, at(8), email="next@example.org", now=NOW + timedelta(minutes=60))
    # Cancelling twice changes nothing; a past appointment cannot be cancelled.
    assert (
        appointment_cancel(appointment=appointment, by="citizen", now=NOW).status
        == Appointment.Status.CANCELLED
    )
    other, _ = book(office, at(9), email="other@example.org", now=NOW)
    with pytest.raises(InvalidState):
        appointment_cancel(appointment=other, by="citizen", now=at(9, 1))


def test_staff_cancellation_frees_at_once(office: AppointmentOffice) -> None:
    office.counters.exclude(label="1").delete()
    appointment, _ = book(office, at(8), now=NOW)
    appointment_cancel(appointment=appointment, by="staff", now=NOW)
    reserve(office, at(8), email="next@example.org", now=NOW + timedelta(seconds=1))


def test_moving_keeps_person_and_services_and_holds_back_the_old_time(office: AppointmentOffice) -> None:
    office.counters.exclude(label="1").delete()
    appointment, token = book(office, at(8), now=NOW)
    moved = services.appointment_reschedule(appointment=appointment, starts_at=at(10), now=NOW)
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.CANCELLED and appointment.rescheduled_to == moved
    assert (moved.name, moved.email, moved.status) == (
        appointment.name,
        appointment.email,
        Appointment.Status.BOOKED,
    )
    assert moved.ical_uid == appointment.ical_uid and moved.sequence == 1
    assert [(i.service_id, i.quantity) for i in moved.items.all()] == [
        (i.service_id, i.quantity) for i in appointment.items.all()
    ]
    assert appointment_by_token(token) == moved  # the old link leads to the new time
    assert appointment_by_token(token, follow=False) == appointment
    with pytest.raises(SlotTaken):
        reserve(office, at(8), email="x@example.org", now=NOW + timedelta(minutes=1))
    # Moving onto a taken time leaves everything as it was.
    book(office, at(11), email="o@example.org", now=NOW)
    with pytest.raises(SlotTaken):
        services.appointment_reschedule(appointment=moved, starts_at=at(11), now=NOW)
    moved.refresh_from_db()
    assert (
        moved.status == Appointment.Status.BOOKED and Occupancy.objects.filter(appointment=moved).count() == 3
    )
    # Moving onto an overlapping time of its own works.
    again = services.appointment_reschedule(appointment=moved, starts_at=at(10, 10), now=NOW)
    assert again.sequence == 2


def test_tokens(office: AppointmentOffice) -> None:
    appointment, token = reserve(office, at(8))
    assert appointment_by_token(token) == appointment
    assert appointment_by_token(token[:-1] + ("0" if token[-1] != "0" else "1")) is None
    assert appointment_by_token("garbage") is None
    assert appointment_by_token("") is None
    with pytest.raises(BookingError) as error:
        appointment_confirm(token="T0000AAAA-" + "0" * 32)
    assert error.value.status_code == 404


def test_no_shows_are_recorded(office: AppointmentOffice) -> None:
    came, _ = book(office, at(8), email="a@example.org", now=NOW)
    missed, _ = book(office, at(8), email="b@example.org", now=NOW)
    QueueTicket.objects.create(
        office=office, day=TUESDAY, number="A001", appointment=came, checked_in_at=at(7, 55)
    )
    assert services.no_shows_record(now=at(8, 14)) == 0
    assert services.no_shows_record(now=at(8, 15)) == 1
    missed.refresh_from_db()
    came.refresh_from_db()
    assert (missed.status, came.status) == (Appointment.Status.NO_SHOW, Appointment.Status.BOOKED)


def test_a_checked_in_appointment_cannot_be_cancelled(office: AppointmentOffice) -> None:
    came, _ = book(office, at(8), now=NOW)
    QueueTicket.objects.create(
        office=office, day=TUESDAY, number="A001", appointment=came, checked_in_at=at(7, 40)
    )
    with pytest.raises(InvalidState, match="checked in"):
        appointment_cancel(appointment=came, by="citizen", now=at(7, 41))


def test_reminders_the_day_before_once(office: AppointmentOffice) -> None:
    appointment, _ = book(office, at(8), now=NOW - timedelta(days=1))
    book(
        office, at(9), email="late@example.org", now=at(8, day=date(2026, 3, 2))
    )  # booked the same day: no reminder
    book(office, at(8, day=date(2026, 3, 4)), email="c@example.org", now=NOW - timedelta(days=1))
    assert services.reminders_enqueue(now=at(8, day=date(2026, 3, 2))) == 0  # before 9 o'clock
    assert services.reminders_enqueue(now=NOW) == 1
    assert services.reminders_enqueue(now=NOW + timedelta(minutes=1)) == 0
    assert OutboxMessage.objects.get(kind="appointments.email_reminder").payload == {
        "appointment_id": appointment.pk
    }


def test_proof_of_work() -> None:
    challenge = pow.challenge_issue()
    assert challenge.difficulty == 4
    solution = pow.pow_solve(challenge.challenge, challenge.difficulty)
    pow.challenge_verify(challenge.challenge, solution)
    with pytest.raises(ChallengeFailed, match="already used"):
        pow.challenge_verify(challenge.challenge, solution)
    fresh = pow.challenge_issue()
    wrong = next(
        str(n)
        for n in range(10_000)
        if pow.leading_zero_bits(__import__("hashlib").sha256(f"{fresh.challenge}:{n}".encode()).digest()) < 4
    )
    with pytest.raises(ChallengeFailed, match="not solved"):
        pow.challenge_verify(fresh.challenge, wrong)
    tampered = fresh.challenge.replace("v1.4.", "v1.5.")
    with pytest.raises(ChallengeFailed, match="invalid"):
        pow.challenge_verify(tampered, pow.pow_solve(tampered, 5))
    easy = pow.challenge_issue(difficulty=1)
    with pytest.raises(ChallengeFailed, match="too easy"):
        pow.challenge_verify(easy.challenge, pow.pow_solve(easy.challenge, 1))
    for junk in ("", "a.b.c.d.e", "v1.4.x.y.z"):
        with pytest.raises(ChallengeFailed):
            pow.challenge_verify(junk, "1")
    with override_settings(APPOINTMENTS_POW_SECONDS=0):
        old = pow.challenge_issue()
        import time as _time

        _time.sleep(1.1)
        with pytest.raises(ChallengeFailed, match="expired"):
            pow.challenge_verify(old.challenge, pow.pow_solve(old.challenge, 4))


def test_video_link_with_and_without_token(office: AppointmentOffice) -> None:
    appointment, _ = appointment_reserve(
        office=office,
        items=[(PERSONALAUSWEIS, 1)],
        starts_at=at(8),
        contact=Contact("Max", "max@example.org"),
        mode="video",
        now=NOW,
    )
    assert appointment.video_room.startswith("amtsweg-") and len(appointment.video_room) == 32
    with override_settings(APPOINTMENTS_JITSI={}):
        assert video.meeting_url(appointment, display_name="Max", moderator=False) is None
    with override_settings(APPOINTMENTS_JITSI={"url": "https://meet.example.org/"}):
        assert (
            video.meeting_url(appointment, display_name="Max", moderator=False)
            == f"https://meet.example.org/{appointment.video_room}"
        )
    with override_settings(
        APPOINTMENTS_JITSI={
            "url": "https://meet.example.org",
            "app_id": "amtsweg",
            "secret": "s3cret-key-for-tests",
        }
    ):
        url = video.meeting_url(appointment, display_name="Nora Neuss", moderator=True)
    assert url is not None and url.startswith(f"https://meet.example.org/{appointment.video_room}?jwt=")
    token = jwt.decode(url.split("jwt=")[1], OctKey.import_key("s3cret-key-for-tests"), algorithms=["HS256"])
    assert token.claims["room"] == appointment.video_room
    assert token.claims["context"]["user"] == {"name": "Nora Neuss", "moderator": True}
    assert token.claims["sub"] == "meet.example.org" and token.claims["aud"] == "jitsi"
    assert token.claims["exp"] - token.claims["nbf"] == 150 * 60
    in_person, _ = reserve(office, at(9))
    assert video.meeting_url(in_person, display_name="Max", moderator=False) is None


def test_two_services_book_their_summed_duration(office: AppointmentOffice) -> None:
    appointment, _ = appointment_reserve(
        office=office,
        items=[(PERSONALAUSWEIS, 2), (REISEPASS, 1)],
        starts_at=at(8),
        contact=Contact("Max", "max@example.org"),
        now=NOW,
    )
    assert appointment.ends_at - appointment.starts_at == timedelta(minutes=80)
    items = sorted(
        (i.service.service.leika_key, i.quantity)
        for i in appointment.items.select_related("service__service")
    )
    assert items == [(PERSONALAUSWEIS, 2), (REISEPASS, 1)]
