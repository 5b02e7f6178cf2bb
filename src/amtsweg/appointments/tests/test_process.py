"""Appointments requested by a case's process (action ``appointment.book``) and the message
``appointment_booked`` that lets the process go on — idempotent; and the worker's sweep."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from amtsweg.appointments import calendar, slots
from amtsweg.appointments.actions import appointment_request_booked
from amtsweg.appointments.models import Appointment, AppointmentRequest, LeadTimeSample
from amtsweg.appointments.services import (
    Contact,
    appointment_cancel,
    appointment_confirm,
    appointment_reserve,
)
from amtsweg.appointments.sweep import appointments_sweep
from amtsweg.appointments.tests.factories import PERSONALAUSWEIS, appointment_office
from amtsweg.cases.models import CaseEvent, PostboxMessage
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.processes.models import ProcessTask
from amtsweg.processes.services import ProcessStepFailed, process_task_complete
from amtsweg.processes.tests.factories import publish_model, running_case
from amtsweg.testing import World

pytestmark = pytest.mark.django_db
MODEL = (Path(__file__).parent / "data" / "appointment_on_request.bpmn").read_bytes()


def test_the_process_asks_for_an_appointment_and_goes_on_once_it_is_booked(world: World) -> None:
    office = appointment_office(world.neuss.offices.get(), counters=1)
    publish_model(world, MODEL, filename="appointment_on_request.bpmn")
    case = running_case(world)
    task = ProcessTask.objects.get(case=case, bpmn_id="pruefen", state="open")
    process_task_complete(task=task, data={}, actor=world.caseworker_neuss, channel="web")

    request = AppointmentRequest.objects.get(case=case)
    assert (request.services, request.status, request.office) == ([PERSONALAUSWEIS], "open", None)
    message = PostboxMessage.objects.get(case=case, subject__contains="Termin")
    assert f"/termine/anfrage/{request.pk}/" in message.body
    assert "alten Ausweis" in message.body

    start = slots.earliest_free([office], [(PERSONALAUSWEIS, 1)])[0].starts_at
    # A reservation is not yet a booking: the process waits for the confirmation.
    appointment, token = appointment_reserve(
        office=office,
        items=[(PERSONALAUSWEIS, 1)],
        starts_at=start,
        contact=Contact("Clara Citizen", "other-address@example.org"),
        user=world.citizen,
        case=case,
        request=request,
    )
    assert appointment.status == Appointment.Status.RESERVED
    assert not OutboxMessage.objects.filter(kind="appointments.request_booked").exists()
    appointment_confirm(token=token)
    request.refresh_from_db()
    assert request.status == AppointmentRequest.Status.BOOKED
    deliver_due_messages(kinds=["appointments.request_booked"])
    assert ProcessTask.objects.filter(case=case, bpmn_id="entscheiden", state="open").exists()
    event = CaseEvent.objects.get(case=case, detail__appointment_booked=appointment.reference)
    assert event.visible_to_applicant and "Termin am" in event.detail["text"]

    # A second run of the handler changes nothing.
    appointment_request_booked(OutboxMessage.objects.get(kind="appointments.request_booked"))
    assert CaseEvent.objects.filter(case=case, detail__appointment_booked=appointment.reference).count() == 1
    assert ProcessTask.objects.filter(case=case, bpmn_id="entscheiden").count() == 1

    # Cancelled, the request is open again for a new booking.
    appointment_cancel(appointment=appointment, by="citizen")
    request.refresh_from_db()
    assert request.status == AppointmentRequest.Status.OPEN


def test_a_process_asking_for_an_office_without_appointments_stops_with_an_error(world: World) -> None:
    publish_model(world, MODEL, filename="appointment_on_request.bpmn")
    case = running_case(world)
    task = ProcessTask.objects.get(case=case, bpmn_id="pruefen", state="open")
    with pytest.raises(ProcessStepFailed, match="no office of the authority offers appointments"):
        process_task_complete(task=task, data={}, actor=world.caseworker_neuss, channel="web")
    assert not AppointmentRequest.objects.exists()
    assert ProcessTask.objects.filter(case=case, bpmn_id="pruefen", state="open").exists()


def test_the_sweep_expires_holds_and_samples_lead_times_hourly(world: World) -> None:
    office = appointment_office(world.neuss.offices.get(), counters=1)
    now = datetime(2026, 3, 2, 10, tzinfo=calendar.TZ)
    held, _token = appointment_reserve(
        office=office,
        items=[(PERSONALAUSWEIS, 1)],
        starts_at=datetime(2026, 3, 3, 8, tzinfo=calendar.TZ),
        contact=Contact("Max", "max@example.org"),
        now=now,
    )
    appointments_sweep(now=now)
    assert LeadTimeSample.objects.count() == 1
    appointments_sweep(now=now + timedelta(minutes=31))
    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED
    assert LeadTimeSample.objects.count() == 1  # not again within the hour
    appointments_sweep(now=now + timedelta(minutes=61))
    assert LeadTimeSample.objects.count() == 2
