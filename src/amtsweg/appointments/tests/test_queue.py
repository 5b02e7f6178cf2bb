"""The waiting room's services: check-in by reference, numbers, walk-ins, the call order and the
queue's state machine (the HTTP side is in test_queue_views.py, races in test_queue_concurrency.py)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.appointments import queue
from amtsweg.appointments.calendar import TZ
from amtsweg.appointments.models import Appointment, AppointmentOffice, Counter, QueueTicket
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .matrix_queue import appointment_at, queue_office

# A Tuesday morning in Neuss.
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=TZ)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.fixture
def neuss(world: World) -> AppointmentOffice:
    return queue_office(world.neuss)


# --- reading the code -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "T-7K3M-9QXA",
        "t-7k3m-9qxa",
        "T7K3M9QXA",
        "  t 7k3m 9qxa\n",
        "T-7K3M-9QXA\t",
        "T7K3M9QXA-0123456789abcdef0123456789abcdef",  # the manage link's token
        "https://amtsweg.example/termine/t/T7K3M9QXA-0123456789abcdef0123456789abcdef/",
        "Termin T-7K3M-9QXA am 10.03.",
        "T-7K3M-9QXA".replace("0", "O"),
    ],
)
def test_codes_are_read_however_they_were_typed_or_scanned(typed: str) -> None:
    assert queue.normalise_code(typed) == "T-7K3M-9QXA"


def test_crockford_letters_for_digits_are_read_as_digits() -> None:
    assert queue.normalise_code("T-1OL0-ABCD") == "T-1010-ABCD"
    assert queue.normalise_code("t-iolo-abcd") == "T-1010-ABCD"


@pytest.mark.parametrize("typed", ["", "A001", "T-7K3M", "7K3M-9QXA", "T-7K3M-9QXA5", "https://example.org/"])
def test_what_is_not_a_reference_is_none(typed: str) -> None:
    assert queue.normalise_code(typed) is None


@given(
    body=st.text(alphabet=ALPHABET, min_size=8, max_size=8),
    dashes=st.booleans(),
    lower=st.booleans(),
    padding=st.sampled_from(["", " ", "\n", "\t "]),
)
def test_every_reference_survives_typing(body: str, dashes: bool, lower: bool, padding: str) -> None:
    reference = f"T-{body[:4]}-{body[4:]}"
    typed = reference if dashes else reference.replace("-", "")
    typed = typed.lower() if lower else typed
    assert queue.normalise_code(padding + typed + padding) == reference


# --- check-in ---------------------------------------------------------------------------------


def test_checkin_gives_a_number_and_a_second_checkin_the_same(neuss: AppointmentOffice) -> None:
    first = appointment_at(neuss, NOW + timedelta(minutes=10))
    second = appointment_at(neuss, NOW + timedelta(minutes=20))
    ticket = queue.queue_checkin(office=neuss, code=first.reference.lower(), now=NOW)
    assert (ticket.number, ticket.status, ticket.appointment) == ("A001", "waiting", first)
    assert ticket.day == NOW.date()
    again = queue.queue_checkin(
        office=neuss, code=first.reference.replace("-", ""), now=NOW + timedelta(minutes=5)
    )
    assert again.pk == ticket.pk
    assert queue.queue_checkin(office=neuss, code=second.reference, now=NOW).number == "A002"
    assert QueueTicket.objects.count() == 2
    assert not AuditEvent.objects.exists(), "the kiosk is anonymous: nothing personal was read by staff"


def test_checkin_window_boundaries(neuss: AppointmentOffice) -> None:
    starts = NOW + timedelta(minutes=30)
    early = appointment_at(neuss, starts)
    with pytest.raises(queue.TooEarly) as excinfo:
        queue.queue_checkin(office=neuss, code=early.reference, now=starts - timedelta(minutes=30, seconds=1))
    assert "ab 10:00 Uhr" in excinfo.value.detail_de
    assert "10:30" in excinfo.value.detail_de
    assert queue.queue_checkin(office=neuss, code=early.reference, now=starts - timedelta(minutes=30))

    late = appointment_at(neuss, NOW)
    with pytest.raises(queue.TooLate) as late_info:
        queue.queue_checkin(office=neuss, code=late.reference, now=NOW + timedelta(minutes=15, seconds=1))
    assert late_info.value.code == "checkin-too-late"
    assert queue.queue_checkin(office=neuss, code=late.reference, now=NOW + timedelta(minutes=15))


def test_the_window_follows_the_office_settings(neuss: AppointmentOffice) -> None:
    neuss.checkin_early_minutes = 5
    neuss.no_show_after_minutes = 0
    neuss.save()
    appointment = appointment_at(neuss, NOW)
    with pytest.raises(queue.TooEarly):
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW - timedelta(minutes=6))
    with pytest.raises(queue.TooLate):
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW + timedelta(seconds=1))
    assert queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW - timedelta(minutes=5))


def test_unknown_code(neuss: AppointmentOffice) -> None:
    for code in ("T-0000-0000", "hello"):
        with pytest.raises(queue.UnknownCode) as excinfo:
            queue.queue_checkin(office=neuss, code=code, now=NOW)
        assert excinfo.value.status_code == 404
        assert "keinen Termin" in excinfo.value.detail_de


def test_appointment_of_another_office_is_sent_there(world: World, neuss: AppointmentOffice) -> None:
    dormagen = queue_office(world.dormagen)
    appointment = appointment_at(dormagen, NOW)
    with pytest.raises(queue.OtherOffice) as excinfo:
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW)
    assert excinfo.value.code == "checkin-other-office"
    assert not QueueTicket.objects.exists()


def test_appointment_of_another_day(neuss: AppointmentOffice) -> None:
    tomorrow = appointment_at(neuss, NOW + timedelta(days=1))
    with pytest.raises(queue.OtherDay) as excinfo:
        queue.queue_checkin(office=neuss, code=tomorrow.reference, now=NOW)
    assert "11.03.2026 um 10:00 Uhr" in excinfo.value.detail_de
    # Just after local midnight is another day, although within the hours of the window.
    late_evening = appointment_at(neuss, datetime(2026, 3, 10, 23, 50, tzinfo=TZ))
    with pytest.raises(queue.OtherDay):
        queue.queue_checkin(
            office=neuss, code=late_evening.reference, now=datetime(2026, 3, 11, 0, 1, tzinfo=TZ)
        )


@pytest.mark.parametrize(
    ("status", "code"),
    [
        (Appointment.Status.CANCELLED, "checkin-cancelled"),
        (Appointment.Status.EXPIRED, "checkin-cancelled"),
        (Appointment.Status.RESERVED, "checkin-unconfirmed"),
        (Appointment.Status.NO_SHOW, "checkin-closed"),
        (Appointment.Status.ATTENDED, "checkin-closed"),
    ],
)
def test_appointments_that_are_not_booked_are_refused(
    neuss: AppointmentOffice, status: str, code: str
) -> None:
    appointment = appointment_at(neuss, NOW, status=status)
    with pytest.raises(queue.NotBookable) as excinfo:
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW)
    assert excinfo.value.code == code
    assert not QueueTicket.objects.exists()


def test_video_appointments_do_not_check_in(neuss: AppointmentOffice) -> None:
    appointment = appointment_at(neuss, NOW, mode=Appointment.Mode.VIDEO)
    with pytest.raises(queue.NotBookable) as excinfo:
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW)
    assert excinfo.value.code == "checkin-video"


def test_staff_check_in_late_and_revive_a_recorded_no_show(world: World, neuss: AppointmentOffice) -> None:
    from amtsweg.appointments.services import no_shows_record

    appointment = appointment_at(neuss, NOW - timedelta(hours=1))
    assert no_shows_record(now=NOW) == 1
    with pytest.raises(queue.NotBookable):
        queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW)
    ticket = queue.queue_checkin(
        office=neuss, code=appointment.reference, now=NOW, actor=world.caseworker_neuss
    )
    assert ticket.number == "A001"
    appointment.refresh_from_db()
    assert appointment.status == Appointment.Status.BOOKED
    event = AuditEvent.objects.get()
    assert (event.actor, event.authority, event.action) == (world.caseworker_neuss, world.neuss, "create")
    # Still not another day, not cancelled: staff override only the time window.
    other_day = appointment_at(neuss, NOW + timedelta(days=1))
    with pytest.raises(queue.OtherDay):
        queue.queue_checkin(office=neuss, code=other_day.reference, now=NOW, actor=world.caseworker_neuss)


def test_a_checked_in_appointment_is_not_recorded_as_no_show(neuss: AppointmentOffice) -> None:
    from amtsweg.appointments.services import no_shows_record

    appointment = appointment_at(neuss, NOW)
    queue.queue_checkin(office=neuss, code=appointment.reference, now=NOW)
    assert no_shows_record(now=NOW + timedelta(hours=2)) == 0


# --- numbers and walk-ins ---------------------------------------------------------------------


def test_walkins_and_appointments_count_separately_per_office_and_day(
    world: World, neuss: AppointmentOffice
) -> None:
    service = neuss.services.order_by("pk").first()
    assert service is not None
    walkin = queue.queue_walkin(office=neuss, service=service, actor=world.caseworker_neuss, now=NOW)
    assert (walkin.number, walkin.service, walkin.appointment) == ("W001", service, None)
    assert (
        queue.queue_walkin(office=neuss, service=service, actor=world.caseworker_neuss, now=NOW).number
        == "W002"
    )
    assert (
        queue.queue_checkin(office=neuss, code=appointment_at(neuss, NOW).reference, now=NOW).number == "A001"
    )
    tomorrow = NOW + timedelta(days=1)
    assert (
        queue.queue_walkin(office=neuss, service=service, actor=world.caseworker_neuss, now=tomorrow).number
        == "W001"
    )
    dormagen = queue_office(world.dormagen)
    other = dormagen.services.order_by("pk").first()
    assert other is not None
    assert (
        queue.queue_walkin(office=dormagen, service=other, actor=world.caseworker_dormagen, now=NOW).number
        == "W001"
    )
    with pytest.raises(queue.QueueError):
        queue.queue_walkin(office=neuss, service=other, actor=world.caseworker_neuss, now=NOW)
    assert AuditEvent.objects.filter(action="create", object_type="appointments.queueticket").count() == 4


def test_numbers_go_past_999(world: World, neuss: AppointmentOffice) -> None:
    QueueTicket.objects.create(office=neuss, day=NOW.date(), number="W999", checked_in_at=NOW)
    QueueTicket.objects.create(office=neuss, day=NOW.date(), number="W998", checked_in_at=NOW)
    service = neuss.services.first()
    assert service is not None
    numbers = [
        queue.queue_walkin(office=neuss, service=service, actor=world.caseworker_neuss, now=NOW).number
        for _ in range(2)
    ]
    assert numbers == ["W1000", "W1001"]


# --- the call order ---------------------------------------------------------------------------


def _checkin(config: AppointmentOffice, starts_at: datetime, at: datetime) -> QueueTicket:
    return queue.queue_checkin(office=config, code=appointment_at(config, starts_at).reference, now=at)


def test_call_order_due_appointments_then_walkins_then_early_ones(
    world: World, neuss: AppointmentOffice
) -> None:
    service = neuss.services.first()
    assert service is not None
    staff = world.caseworker_neuss
    early = _checkin(neuss, NOW + timedelta(minutes=20), NOW - timedelta(minutes=9))  # A001, not yet due
    walk_1 = queue.queue_walkin(office=neuss, service=service, actor=staff, now=NOW - timedelta(minutes=8))
    due_late = _checkin(neuss, NOW - timedelta(minutes=5), NOW - timedelta(minutes=7))  # A002
    due_early = _checkin(neuss, NOW - timedelta(minutes=10), NOW - timedelta(minutes=6))  # A003
    walk_2 = queue.queue_walkin(office=neuss, service=service, actor=staff, now=NOW - timedelta(minutes=1))
    expected = [due_early, due_late, walk_1, walk_2, early]
    assert [t.number for t in queue.waiting_tickets(neuss, now=NOW)] == [t.number for t in expected]

    counter = neuss.counters.get(label="1")
    called = []
    for _ in expected:
        ticket = queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)
        called.append(ticket.number)
        queue.queue_transition(ticket=ticket, action="missed", actor=staff, now=NOW)
    assert called == [t.number for t in expected]
    with pytest.raises(queue.QueueEmpty):
        queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)


def test_a_counter_calls_only_what_it_serves(world: World, neuss: AppointmentOffice) -> None:
    staff = world.caseworker_neuss
    ausweis, reisepass = neuss.services.order_by("pk")
    passport_counter = neuss.counters.get(label="2")
    passport_counter.services.set([reisepass])
    queue.queue_walkin(office=neuss, service=ausweis, actor=staff, now=NOW - timedelta(minutes=5))
    wanted = queue.queue_walkin(office=neuss, service=reisepass, actor=staff, now=NOW)
    assert queue.queue_call_next(office=neuss, counter=passport_counter, actor=staff, now=NOW).pk == wanted.pk
    queue.queue_transition(ticket=wanted, action="missed", actor=staff, now=NOW)
    with pytest.raises(queue.QueueEmpty):
        queue.queue_call_next(office=neuss, counter=passport_counter, actor=staff, now=NOW)


def test_a_counter_with_someone_at_it_cannot_call_the_next(world: World, neuss: AppointmentOffice) -> None:
    staff = world.caseworker_neuss
    service = neuss.services.first()
    assert service is not None
    for _ in range(2):
        queue.queue_walkin(office=neuss, service=service, actor=staff, now=NOW)
    counter = neuss.counters.get(label="1")
    first = queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)
    with pytest.raises(queue.CounterBusy) as excinfo:
        queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)
    assert "W001" in excinfo.value.detail_de
    queue.queue_transition(ticket=first, action="start", actor=staff, now=NOW)
    with pytest.raises(queue.CounterBusy):
        queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)
    queue.queue_transition(ticket=first, action="finish", actor=staff, now=NOW)
    assert queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW).number == "W002"


def test_an_inactive_or_foreign_counter_cannot_call(world: World, neuss: AppointmentOffice) -> None:
    staff = world.caseworker_neuss
    foreign = queue_office(world.dormagen).counters.get(label="1")
    with pytest.raises(queue.QueueError) as excinfo:
        queue.queue_call_next(office=neuss, counter=foreign, actor=staff, now=NOW)
    assert excinfo.value.code == "queue-counter"
    Counter.objects.filter(office=neuss).update(active=False)
    with pytest.raises(queue.QueueError):
        queue.queue_call_next(office=neuss, counter=neuss.counters.get(label="1"), actor=staff, now=NOW)


# --- the state machine ------------------------------------------------------------------------


def test_a_visit_from_check_in_to_attended(world: World, neuss: AppointmentOffice) -> None:
    staff = world.caseworker_neuss
    ticket = _checkin(neuss, NOW, NOW - timedelta(minutes=3))
    counter = neuss.counters.get(label="2")
    called = queue.queue_call_next(office=neuss, counter=counter, actor=staff, now=NOW)
    assert (called.status, called.counter, called.call_count, called.called_at) == ("called", counter, 1, NOW)
    later = NOW + timedelta(minutes=2)
    recalled = queue.queue_transition(ticket=called, action="recall", actor=staff, now=later)
    assert (recalled.status, recalled.call_count, recalled.called_at) == ("called", 2, later)
    started = queue.queue_transition(ticket=recalled, action="start", actor=staff, now=later)
    assert (started.status, started.started_at, started.staff) == ("in_progress", later, staff)
    done = queue.queue_transition(
        ticket=started, action="finish", actor=staff, now=later + timedelta(minutes=20)
    )
    assert done.status == "done"
    assert done.finished_at == later + timedelta(minutes=20)
    assert Appointment.objects.get(ticket=ticket).status == Appointment.Status.ATTENDED
    statuses = [
        event.changes["status"]
        for event in AuditEvent.objects.filter(object_id=str(ticket.pk)).order_by("pk")
    ]
    assert statuses == [
        ["waiting", "called"],
        ["called", "called"],
        ["called", "in_progress"],
        ["in_progress", "done"],
    ]


def test_missed_records_the_no_show(world: World, neuss: AppointmentOffice) -> None:
    staff = world.caseworker_neuss
    ticket = _checkin(neuss, NOW, NOW)
    called = queue.queue_call_next(office=neuss, counter=neuss.counters.get(label="1"), actor=staff, now=NOW)
    missed = queue.queue_transition(ticket=called, action="missed", actor=staff, now=NOW)
    assert missed.status == "missed"
    assert Appointment.objects.get(ticket=ticket).status == Appointment.Status.NO_SHOW


@pytest.mark.parametrize(
    ("path", "action"),
    [
        ([], "start"),
        ([], "finish"),
        ([], "recall"),
        (["call"], "finish"),
        (["call", "start"], "missed"),
        (["call", "start"], "start"),
        (["call", "start", "finish"], "missed"),
        (["call", "missed"], "start"),
        (["call"], "call"),
        (["call"], "teleport"),
    ],
)
def test_invalid_moves_are_refused(
    world: World, neuss: AppointmentOffice, path: list[str], action: str
) -> None:
    staff = world.caseworker_neuss
    service = neuss.services.first()
    assert service is not None
    ticket = queue.queue_walkin(office=neuss, service=service, actor=staff, now=NOW)
    for step in path:
        if step == "call":
            ticket = queue.queue_call_next(
                office=neuss, counter=neuss.counters.get(label="1"), actor=staff, now=NOW
            )
        else:
            ticket = queue.queue_transition(ticket=ticket, action=step, actor=staff, now=NOW)
    before = QueueTicket.objects.get(pk=ticket.pk).status
    with pytest.raises(queue.InvalidTransition):
        queue.queue_transition(ticket=ticket, action=action, actor=staff, now=NOW)
    assert QueueTicket.objects.get(pk=ticket.pk).status == before


# --- the display ------------------------------------------------------------------------------


def test_display_shows_current_calls_newest_first_and_no_names(
    world: World, neuss: AppointmentOffice
) -> None:
    staff = world.caseworker_neuss
    for minute in range(3):
        _checkin(neuss, NOW, NOW + timedelta(minutes=minute))
    one, two = neuss.counters.get(label="1"), neuss.counters.get(label="2")
    first = queue.queue_call_next(office=neuss, counter=one, actor=staff, now=NOW + timedelta(minutes=5))
    queue.queue_call_next(office=neuss, counter=two, actor=staff, now=NOW + timedelta(minutes=6))
    state = queue.display_state(neuss, now=NOW + timedelta(minutes=7))
    assert [(c.number, c.counter) for c in state.calls] == [("A002", "2"), ("A001", "1")]
    assert state.waiting == 1
    assert state.as_json() == {
        "calls": [{"number": "A002", "counter": "2"}, {"number": "A001", "counter": "1"}],
        "waiting": 1,
    }
    # Calling again brings a number to the top; a finished one leaves the screen.
    queue.queue_transition(ticket=first, action="recall", actor=staff, now=NOW + timedelta(minutes=8))
    assert [c.number for c in queue.display_state(neuss, now=NOW).calls] == ["A001", "A002"]
    queue.queue_transition(ticket=first, action="missed", actor=staff, now=NOW + timedelta(minutes=9))
    assert [c.number for c in queue.display_state(neuss, now=NOW).calls] == ["A002"]
    # Yesterday's calls are not today's.
    assert queue.display_state(neuss, now=NOW + timedelta(days=1)).calls == []
