"""The appointments API as an app of the alliance uses it: find offices and free times, book with a
proof of work, confirm, move and cancel through the token; staff read their authority's day."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django.fixtures import Settings as SettingsWrapper
from rest_framework.authtoken.models import Token

from amtsweg.appointments import calendar, services
from amtsweg.appointments.models import Appointment, AppointmentOffice, Occupancy
from amtsweg.appointments.pow import leading_zero_bits, pow_solve
from amtsweg.outbox.models import OutboxMessage
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .factories import PERSONALAUSWEIS, REISEPASS, appointment_office, book, catalog_service

pytestmark = pytest.mark.django_db
API = "/api/v1/appointments"


@pytest.fixture
def office(world: World) -> AppointmentOffice:
    # Open every day, so that whatever day the test runs there are free times tomorrow or soon after.
    return appointment_office(world.neuss.offices.get(), counters=1, hours="Mo-So 08:00-16:00")


def _problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    return body


def _starts(client: Client, office: AppointmentOffice, *services_: str) -> list[str]:
    query = "&".join(f"service={s}" for s in services_ or (PERSONALAUSWEIS,))
    response = client.get(f"{API}/slots?office={office.office_id}&{query}")
    assert response.status_code == 200, response.content
    return [start for day in response.json()["days"] for start in day["starts"]]


def _solved(client: Client) -> dict[str, str]:
    challenge = client.post(f"{API}/challenge").json()
    return {
        "challenge": challenge["challenge"],
        "solution": pow_solve(challenge["challenge"], challenge["difficulty"]),
    }


def _booking(office: AppointmentOffice, starts_at: str, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "office": office.office_id,
        "services": [{"service": PERSONALAUSWEIS, "quantity": 1}],
        "starts_at": starts_at,
        "name": "Erika Mustermann",
        "email": "erika@example.org",
    }
    data.update(overrides)
    return data


def _post_booking(client: Client, office: AppointmentOffice, starts_at: str, /, **overrides: Any) -> Any:
    data = _booking(office, starts_at, **_solved(client)) | overrides
    return client.post(f"{API}/bookings", data, content_type="application/json")


# --- offices, services, slots, earliest ------------------------------------------------------------


def test_offices_list_bookable_offices_filtered_by_authority_and_service(
    world: World, office: AppointmentOffice
) -> None:
    passport = catalog_service(REISEPASS, "Reisepass Ausstellung")
    dormagen = appointment_office(world.dormagen.offices.get(), services=((passport, 20),))
    client = Client()

    rows = client.get(f"{API}/offices").json()["results"]
    assert [(row["id"], row["authority"]) for row in rows] == [
        (dormagen.office_id, world.dormagen.ags),
        (office.office_id, world.neuss.ags),
    ]
    neuss = rows[1]
    assert neuss["name"] == "Bürgerbüro" and neuss["book_until_days"] == 60
    assert {(s["service"], s["duration_minutes"], s["max_quantity"]) for s in neuss["services"]} == {
        (PERSONALAUSWEIS, 30, 4),
        (REISEPASS, 20, 4),
    }
    only_dormagen = client.get(f"{API}/offices?authority={world.dormagen.ags}").json()["results"]
    assert [row["id"] for row in only_dormagen] == [dormagen.office_id]
    with_identity_card = client.get(f"{API}/offices?service={PERSONALAUSWEIS}").json()["results"]
    assert [row["id"] for row in with_identity_card] == [office.office_id]
    _problem(client.get(f"{API}/offices?authority=05162999"), 404, "not-found")
    _problem(client.get(f"{API}/offices?authority=neuss"), 400, "validation-error")


def test_disabled_office_and_unbookable_service_are_not_offered(office: AppointmentOffice) -> None:
    office.services.filter(service__leika_key=REISEPASS).update(bookable_online=False)
    client = Client()
    services_ = client.get(f"{API}/services?office={office.office_id}").json()["results"]
    assert [(row["service"], row["duration_minutes"]) for row in services_] == [(PERSONALAUSWEIS, 30)]
    _problem(client.get(f"{API}/slots?office={office.office_id}&service={REISEPASS}"), 400, "service-unknown")
    AppointmentOffice.objects.filter(pk=office.pk).update(enabled=False)
    assert client.get(f"{API}/offices").json()["results"] == []
    assert client.get(f"{API}/services").json()["results"] == []
    _problem(client.get(f"{API}/slots?office={office.office_id}&service={PERSONALAUSWEIS}"), 404, "not-found")


def test_slots_of_several_services_add_up_and_follow_the_grid(office: AppointmentOffice) -> None:
    client = Client()
    response = client.get(
        f"{API}/slots?office={office.office_id}&service={PERSONALAUSWEIS}:2&service={REISEPASS}&days=7"
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["office"], body["mode"], body["duration_minutes"]) == (office.office_id, "in_person", 80)
    assert 1 <= len(body["days"]) <= 7
    tomorrow = calendar.local_day(timezone.now()) + timedelta(days=1)
    for day in body["days"]:
        starts = [datetime.fromisoformat(start) for start in day["starts"]]
        assert all(calendar.local_day(start).isoformat() == day["day"] for start in starts)
        assert all(start.minute % 10 == 0 for start in starts)
        # 80 minutes must end by 16:00, the last start is 14:40 (local time, offset in the string)
        assert min(s.time() for s in starts).isoformat() == "08:00:00"
        assert max(s.time() for s in starts).isoformat() == "14:40:00"
        assert tomorrow.isoformat() <= day["day"]


def test_slots_narrowed_by_from_and_days_and_a_booked_time_disappears(office: AppointmentOffice) -> None:
    client = Client()
    first_day = calendar.local_day(timezone.now()) + timedelta(days=10)
    url = f"{API}/slots?office={office.office_id}&service={PERSONALAUSWEIS}&from={first_day}&days=3"
    days = client.get(url).json()["days"]
    assert {day["day"] for day in days} <= {(first_day + timedelta(days=n)).isoformat() for n in range(3)}
    start = days[0]["starts"][0]
    book(office, datetime.fromisoformat(start))
    starts_after = [s for day in client.get(url).json()["days"] for s in day["starts"]]
    assert start not in starts_after
    # a 30-minute appointment blocks three 10-minute starts that would overlap it
    taken = datetime.fromisoformat(start)
    for minutes in (-20, -10, 0, 10, 20):
        assert (taken + timedelta(minutes=minutes)).isoformat() not in starts_after


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ("service={pa}", 400, "validation-error"),  # no office
        ("office={office}", 400, "validation-error"),  # no service
        ("office={office}&service=123", 400, "validation-error"),
        ("office={office}&service={pa}:0", 400, "validation-error"),
        ("office={office}&service={pa}&days=93", 400, "validation-error"),
        ("office={office}&service={pa}&from=morgen", 400, "validation-error"),
        ("office={office}&service={pa}&mode=phone", 400, "validation-error"),
        ("office={office}&service={pa}:5", 400, "quantity-invalid"),
        ("office={office}&service=99115005000000", 400, "service-unknown"),
        ("office=999999&service={pa}", 404, "not-found"),
    ],
)
def test_slots_validate_every_input(office: AppointmentOffice, query: str, status: int, code: str) -> None:
    response = Client().get(f"{API}/slots?" + query.format(office=office.office_id, pa=PERSONALAUSWEIS))
    _problem(response, status, code)


def test_video_slots_only_at_video_counters(world: World) -> None:
    office = appointment_office(world.neuss.offices.get(), counters=2, hours="Mo-So 08:00-16:00")
    client = Client()
    url = f"{API}/slots?office={office.office_id}&service={REISEPASS}&days=14"
    in_person, video = client.get(url).json(), client.get(url + "&mode=video").json()
    assert video["mode"] == "video" and video["days"] == in_person["days"]  # one video counter is enough
    office.counters.update(video=False)
    _problem(client.get(url + "&mode=video"), 400, "no-counter")


def test_earliest_free_anywhere_across_the_alliance(world: World, office: AppointmentOffice) -> None:
    later = calendar.local_day(timezone.now()) + timedelta(days=5)
    AppointmentOffice.objects.filter(pk=office.pk).update(book_from_days=5)
    dormagen = appointment_office(world.dormagen.offices.get(), hours="Mo-So 08:00-16:00")
    client = Client()

    offers = client.get(f"{API}/earliest?service={PERSONALAUSWEIS}").json()
    assert [offer["office"] for offer in offers] == [dormagen.office_id, office.office_id]
    assert [offer["authority"] for offer in offers] == [world.dormagen.ags, world.neuss.ags]
    neuss = offers[1]
    assert datetime.fromisoformat(neuss["starts_at"]).date() >= later
    assert datetime.fromisoformat(neuss["ends_at"]) - datetime.fromisoformat(neuss["starts_at"]) == timedelta(
        minutes=30
    )
    only_neuss = client.get(f"{API}/earliest?service={PERSONALAUSWEIS}&authority={world.neuss.ags}").json()
    assert [offer["office"] for offer in only_neuss] == [office.office_id]
    assert client.get(f"{API}/earliest?service={PERSONALAUSWEIS}&limit=1").json() == offers[:1]
    assert client.get(f"{API}/earliest?service=99115005000000").json() == []  # nobody offers it
    _problem(client.get(f"{API}/earliest"), 400, "validation-error")


# --- booking -----------------------------------------------------------------------------------------


def test_guest_reserves_confirms_reads_moves_and_cancels(world: World, office: AppointmentOffice) -> None:
    client = Client()
    starts = _starts(client, office)
    first, second = starts[0], starts[6]
    response = _post_booking(client, office, first, phone="+49 2131 123")
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    reserved = response.json()
    assert reserved["status"] == "reserved"
    assert reserved["token"] is None and reserved["manage_url"] is None  # the token is only in the e-mail
    assert datetime.fromisoformat(reserved["starts_at"]) == datetime.fromisoformat(first)
    assert reserved["hold_expires_at"] is not None
    assert reserved["services"] == [
        {"service": PERSONALAUSWEIS, "name": "Personalausweis Ausstellung", "quantity": 1}
    ]
    assert (reserved["office"], reserved["authority"]) == (office.office_id, world.neuss.ags)
    appointment = Appointment.objects.get(reference=reserved["reference"])
    assert (appointment.channel, appointment.phone, appointment.user) == ("api", "+49 2131 123", None)
    message = OutboxMessage.objects.get(kind="appointments.email_confirm")
    assert message.payload == {"appointment_id": appointment.pk}

    token = services.appointment_token(appointment)  # what the confirmation e-mail links to
    assert client.get(f"{API}/bookings/{token}").json()["status"] == "reserved"
    confirmed = client.post(f"{API}/bookings/confirm", {"token": token}, content_type="application/json")
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "booked"
    again = client.post(f"{API}/bookings/confirm", {"token": token}, content_type="application/json")
    assert again.json()["status"] == "booked"  # following the link twice changes nothing
    assert not Occupancy.objects.filter(appointment=appointment, blocks_until__isnull=False).exists()

    moved = client.post(
        f"{API}/bookings/{token}/reschedule", {"starts_at": second}, content_type="application/json"
    )
    assert moved.status_code == 200, moved.content
    assert datetime.fromisoformat(moved.json()["starts_at"]) == datetime.fromisoformat(second)
    assert moved.json()["status"] == "booked" and moved.json()["reference"] != reserved["reference"]
    assert client.get(f"{API}/bookings/{token}").json()["reference"] == moved.json()["reference"]
    starts = _starts(client, office)
    assert first not in starts, "the old time is held back after a move"
    assert second not in starts

    cancelled = client.post(f"{API}/bookings/{token}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert second not in _starts(client, office), "a cancelled time is held back before it reappears"
    assert client.post(f"{API}/bookings/{token}/cancel").json()["status"] == "cancelled"
    _problem(
        client.post(
            f"{API}/bookings/{token}/reschedule", {"starts_at": first}, content_type="application/json"
        ),
        409,
        "appointment-state",
    )


def test_unknown_or_forged_tokens_are_not_found(office: AppointmentOffice) -> None:
    appointment, token = book(office, datetime.fromisoformat(_starts(Client(), office)[0]))
    forged = token[:-1] + ("0" if token[-1] != "0" else "1")
    client = Client()
    for bad in (forged, "T-nonsense", appointment.reference):
        _problem(client.get(f"{API}/bookings/{bad}"), 404, "not-found")
        _problem(client.post(f"{API}/bookings/{bad}/cancel"), 404, "not-found")
        _problem(
            client.post(f"{API}/bookings/confirm", {"token": bad}, content_type="application/json"),
            404,
            "not-found",
        )
    _problem(
        client.post(f"{API}/bookings/confirm", {}, content_type="application/json"), 400, "validation-error"
    )
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED


def test_an_expired_hold_cannot_be_confirmed(office: AppointmentOffice) -> None:
    start = datetime.fromisoformat(_starts(Client(), office)[0])
    earlier = timezone.now() - timedelta(hours=2)
    appointment, token = book(office, start, confirm=False, now=earlier)
    services.holds_expire()
    response = Client().post(f"{API}/bookings/confirm", {"token": token}, content_type="application/json")
    _problem(response, 409, "hold-expired")
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.EXPIRED


def test_citizen_with_confirmed_email_is_booked_at_once_without_proof_of_work(
    world: World, office: AppointmentOffice
) -> None:
    token = Token.objects.create(user=world.citizen)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    start = _starts(client, office)[0]
    data = _booking(office, start, email="Clara@Example.org", name="Clara Citizen")
    response = client.post(f"{API}/bookings", data, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked" and body["hold_expires_at"] is None
    assert (
        body["token"]
        and Client().get(f"{API}/bookings/{body['token']}").json()["reference"] == body["reference"]
    )
    assert Appointment.objects.get(reference=body["reference"]).user == world.citizen
    assert OutboxMessage.objects.filter(kind="appointments.email_booked").count() == 1


def test_citizen_booking_for_another_address_waits_for_that_mailbox(
    world: World, office: AppointmentOffice
) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.citizen).key}")
    start = _starts(client, office)[0]
    response = client.post(
        f"{API}/bookings",
        _booking(office, start, email="someone.else@example.org"),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert (response.json()["status"], response.json()["token"]) == ("reserved", None)


def test_staff_accounts_book_like_guests(world: World, office: AppointmentOffice) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=world.caseworker_neuss).key}")
    start = _starts(client, office)[0]
    data = _booking(office, start, email=world.caseworker_neuss.email)
    _problem(client.post(f"{API}/bookings", data, content_type="application/json"), 400, "pow-invalid")


def test_proof_of_work_is_required_checked_and_single_use(office: AppointmentOffice) -> None:
    client = Client()
    first, second = _starts(client, office)[:2]
    _problem(
        client.post(f"{API}/bookings", _booking(office, first), content_type="application/json"),
        400,
        "pow-invalid",
    )
    solved = _solved(client)
    # A counter whose hash misses the difficulty (a neighbour of the solution may solve it by chance).
    miss = next(
        n
        for n in range(int(solved["solution"]) + 1, 10**6)
        if leading_zero_bits(hashlib.sha256(f"{solved['challenge']}:{n}".encode()).digest()) < 4
    )
    wrong = dict(solved, solution=str(miss))
    _problem(
        client.post(f"{API}/bookings", _booking(office, first, **wrong), content_type="application/json"),
        400,
        "pow-invalid",
    )
    tampered = dict(solved, challenge=solved["challenge"].replace("v1.4.", "v1.1.", 1))
    _problem(
        client.post(f"{API}/bookings", _booking(office, first, **tampered), content_type="application/json"),
        400,
        "pow-invalid",
    )
    ok = client.post(f"{API}/bookings", _booking(office, first, **solved), content_type="application/json")
    assert ok.status_code == 201
    replay = client.post(
        f"{API}/bookings",
        _booking(office, second, email="other@example.org", **solved),
        content_type="application/json",
    )
    _problem(replay, 400, "pow-invalid")
    assert Appointment.objects.count() == 1


def test_challenge_tells_the_client_what_to_solve(settings: SettingsWrapper) -> None:
    response = Client().post(f"{API}/challenge")
    assert response.status_code == 201
    body = response.json()
    assert body["difficulty"] == 4 and body["algorithm"] == "sha256-leading-zero-bits"
    assert datetime.fromisoformat(body["expires_at"]) > timezone.now()
    assert response["Cache-Control"] == "no-store"


def test_a_taken_time_answers_409_with_the_next_free_times(office: AppointmentOffice) -> None:
    client = Client()
    start = _starts(client, office)[0]
    assert _post_booking(client, office, start).status_code == 201
    body = _problem(_post_booking(client, office, start, email="late@example.org"), 409, "slot-taken")
    alternatives = [datetime.fromisoformat(moment) for moment in body["alternatives"]]
    assert 1 <= len(alternatives) <= 5
    assert all(moment >= datetime.fromisoformat(start) + timedelta(minutes=30) for moment in alternatives)
    assert [a.isoformat() for a in alternatives] == sorted(a.isoformat() for a in alternatives)
    assert Appointment.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"starts_at": "2020-01-01T08:00:00+01:00"}, "slot-outside-window"),
        ({"services": [{"service": PERSONALAUSWEIS, "quantity": 9}]}, "quantity-invalid"),
        ({"services": [{"service": "99115005000000", "quantity": 1}]}, "service-unknown"),
    ],
)
def test_bookings_outside_the_offer_are_refused(
    office: AppointmentOffice, change: dict[str, Any], code: str
) -> None:
    client = Client()
    _problem(_post_booking(client, office, _starts(client, office)[0], **change), 400, code)


def test_a_start_off_the_grid_is_refused(office: AppointmentOffice) -> None:
    client = Client()
    start = datetime.fromisoformat(_starts(client, office)[0]) + timedelta(minutes=5)
    _problem(_post_booking(client, office, start.isoformat()), 400, "slot-invalid")


@pytest.mark.parametrize(
    "change",
    [
        {"email": "not-an-address"},
        {"name": ""},
        {"services": []},
        {"starts_at": "2026-12-01T08:00:00"},  # no time zone
        {"mode": "fax"},
        {"office": "Neuss"},
        {"phone": "<script>"},
    ],
)
def test_booking_input_is_validated(office: AppointmentOffice, change: dict[str, Any]) -> None:
    client = Client()
    body = _problem(
        _post_booking(client, office, _starts(client, office)[0], **change), 400, "validation-error"
    )
    assert set(body["errors"]) == set(change)
    assert not Appointment.objects.exists()


def test_the_limit_per_mailbox_holds_across_address_variants(office: AppointmentOffice) -> None:
    client = Client()
    starts = _starts(client, office)
    for start, email in zip(starts[0:9:3], ("max@example.org", "Max+2@example.org"), strict=False):
        assert _post_booking(client, office, start, email=email).status_code == 201
    body = _problem(
        _post_booking(client, office, starts[9], email="MAX+scalper@example.org"), 409, "limit-reached"
    )
    assert body["limit"] == 2
    assert Appointment.objects.count() == 2


def test_bookings_and_challenges_are_rate_limited_per_client(
    settings: SettingsWrapper, office: AppointmentOffice
) -> None:
    settings.APPOINTMENTS_BOOKINGS_PER_HOUR = 2
    client = Client(REMOTE_ADDR="192.0.2.7")
    starts = _starts(client, office)
    for n in range(2):
        _post_booking(client, office, starts[3 * n], email=f"p{n}@example.org")
    body = _problem(_post_booking(client, office, starts[6], email="p3@example.org"), 429, "rate-limited")
    assert body["status"] == 429
    other = Client(REMOTE_ADDR="192.0.2.8")  # another client is not affected
    assert _post_booking(other, office, starts[6], email="p3@example.org").status_code == 201
    for _ in range(6 - 3):  # 3 challenges were fetched by client above; 3 per booking allowed
        assert client.post(f"{API}/challenge").status_code == 201
    _problem(client.post(f"{API}/challenge"), 429, "rate-limited")


def test_video_appointment_shows_the_meeting_link_once_booked(
    settings: SettingsWrapper, world: World, office: AppointmentOffice
) -> None:
    settings.APPOINTMENTS_JITSI = {"url": "https://meet.example.org"}
    client = Client()
    url = f"{API}/slots?office={office.office_id}&service={REISEPASS}&mode=video"
    start = client.get(url).json()["days"][0]["starts"][0]
    services_ = [{"service": REISEPASS, "quantity": 1}]
    response = _post_booking(client, office, start, services=services_, mode="video")
    assert response.status_code == 201, response.content
    token = services.appointment_token(Appointment.objects.get())
    assert client.get(f"{API}/bookings/{token}").json()["video_url"] is None  # not before confirmation
    client.post(f"{API}/bookings/confirm", {"token": token}, content_type="application/json")
    link = client.get(f"{API}/bookings/{token}").json()["video_url"]
    assert link.startswith("https://meet.example.org/amtsweg-")


# --- staff -------------------------------------------------------------------------------------------


@pytest.fixture
def day_of_neuss(world: World, office: AppointmentOffice) -> tuple[str, list[Appointment]]:
    """Three appointments on the first bookable day in Neuss, one in Dormagen on the same day."""
    starts = _starts(Client(), office)
    day = calendar.local_day(datetime.fromisoformat(starts[0]))
    same_day = [s for s in starts if calendar.local_day(datetime.fromisoformat(s)) == day]
    booked = [
        book(office, datetime.fromisoformat(s), email=f"p{n}@example.org")[0]
        for n, s in enumerate(same_day[0:9:3])
    ]
    dormagen = appointment_office(world.dormagen.offices.get(), hours="Mo-So 08:00-16:00")
    book(dormagen, datetime.fromisoformat(starts[0]), email="d@example.org")
    return day.isoformat(), booked


def _staff(world: World, role: str) -> Client:
    client = Client()
    client.force_login(getattr(world, role))
    return client


def test_staff_list_the_day_of_their_own_authority(
    world: World, day_of_neuss: tuple[str, list[Appointment]]
) -> None:
    day, booked = day_of_neuss
    client = _staff(world, "caseworker_neuss")
    rows = client.get(f"/api/v1/staff/{world.neuss.ags}/appointments?date={day}").json()["results"]
    assert [row["reference"] for row in rows] == [a.reference for a in booked]
    assert rows[0]["services"][0]["service"] == PERSONALAUSWEIS and rows[0]["counter"] == "1"
    assert "email" not in rows[0]  # contact details only in the audited detail
    other_day = (datetime.fromisoformat(day) + timedelta(days=1)).date()
    assert (
        client.get(f"/api/v1/staff/{world.neuss.ags}/appointments?date={other_day}").json()["results"] == []
    )
    _problem(client.get(f"/api/v1/staff/{world.dormagen.ags}/appointments?date={day}"), 404, "not-found")
    kreis = _staff(world, "kreis_admin").get(f"/api/v1/staff/{world.dormagen.ags}/appointments?date={day}")
    assert len(kreis.json()["results"]) == 1
    _problem(
        _staff(world, "citizen").get(f"/api/v1/staff/{world.neuss.ags}/appointments"),
        403,
        "permission-denied",
    )
    cancelled = booked[0]
    services.appointment_cancel(appointment=cancelled, by="staff")
    only_booked = client.get(f"/api/v1/staff/{world.neuss.ags}/appointments?date={day}&status=booked").json()
    assert [row["reference"] for row in only_booked["results"]] == [a.reference for a in booked[1:]]


def test_staff_detail_is_scoped_and_audited(
    world: World, day_of_neuss: tuple[str, list[Appointment]]
) -> None:
    _day, booked = day_of_neuss
    appointment = booked[0]
    url = f"/api/v1/staff/{world.neuss.ags}/appointments/{appointment.reference}"
    response = _staff(world, "caseworker_neuss").get(url)
    assert response.status_code == 200
    body = response.json()
    assert (body["email"], body["ticket"], body["status"]) == ("p0@example.org", None, "booked")
    event = AuditEvent.objects.get(object_id=str(appointment.pk), action=AuditEvent.Action.READ)
    assert (event.actor, event.authority, event.channel) == (world.caseworker_neuss, world.neuss, "api")
    _problem(_staff(world, "caseworker_dormagen").get(url), 404, "not-found")
    wrong_town = f"/api/v1/staff/{world.dormagen.ags}/appointments/{appointment.reference}"
    _problem(_staff(world, "kreis_admin").get(wrong_town), 404, "not-found")
    assert (
        AuditEvent.objects.filter(object_id=str(appointment.pk), action=AuditEvent.Action.READ).count() == 1
    )


# --- query counts --------------------------------------------------------------------------------


def _queries(client: Client, url: str) -> int:
    client.get(url)  # the slot engine caches office plans: count the steady state
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context)


def test_list_endpoints_do_not_query_per_row(world: World, office: AppointmentOffice) -> None:
    client = _staff(world, "kreis_admin")
    starts = _starts(client, office)
    day = calendar.local_day(datetime.fromisoformat(starts[0]))
    same_day = [s for s in starts[0:30:3] if calendar.local_day(datetime.fromisoformat(s)) == day]
    book(office, datetime.fromisoformat(same_day[0]), email="first@example.org")
    urls = [
        f"{API}/offices",
        f"{API}/services",
        f"{API}/earliest?service={PERSONALAUSWEIS}",
        f"/api/v1/staff/{world.neuss.ags}/appointments?date={day}",
    ]
    few = {url: _queries(client, url) for url in urls}
    for n, start in enumerate(same_day[1:4]):
        book(office, datetime.fromisoformat(start), email=f"q{n}@example.org")
    for other in (world.dormagen, world.kreis):
        appointment_office(other.offices.get(), hours="Mo-So 08:00-16:00")
    many = {url: _queries(client, url) for url in urls}
    assert many == few
    assert max(few.values()) <= 10
