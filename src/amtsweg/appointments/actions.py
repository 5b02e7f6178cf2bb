"""The process action ``appointment.book``: the case asks the applicant to book an appointment.

A service task ``camunda:topic="amtsweg:appointment.book"`` creates an ``AppointmentRequest`` and
puts a message with the booking link into the postbox; the applicant books from there (services and
office preset). The model then usually waits for the message ``appointment_booked``, sent by the
outbox handler ``appointments.request_booked`` below once the appointment is booked.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.urls import reverse

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import handler
from amtsweg.processes.actions import Outcome, Parameter, action

from . import calendar
from .models import Appointment, AppointmentOffice, AppointmentRequest


def _keys(text: str, default: str) -> list[str]:
    keys = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    return keys or [default]


@action(
    "appointment.book",
    label="Termin anfordern",
    parameters=(
        Parameter(
            "services",
            required=False,
            help="LeiKa-Schlüssel, durch Komma getrennt (Wiederholung = Anzahl); leer: Leistung des Vorgangs",
        ),
        Parameter("office", required=False, help="Kurzname der Dienststelle; leer: jede der Behörde"),
        Parameter("note", required=False, help="Hinweis an die Antragstellenden"),
    ),
)
def appointment_book_action(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.models import PostboxMessage
    from amtsweg.cases.services import postbox_deliver
    from amtsweg.processes.engine import WorkflowError

    case = run.case
    keys = _keys(str(params.get("services") or ""), case.service.leika_key)
    offices = AppointmentOffice.objects.filter(office__authority_id=case.authority_id, enabled=True)
    office_slug = str(params.get("office") or "").strip()
    office = None
    if office_slug:
        office = offices.filter(office__slug=office_slug).first()
        if office is None:
            raise WorkflowError(task, f"no office {office_slug!r} gives appointments at this authority")
    candidates = [office] if office else list(offices)
    if not any(
        set(keys)
        <= set(candidate.services.filter(bookable_online=True).values_list("service__leika_key", flat=True))
        for candidate in candidates
    ):
        raise WorkflowError(task, f"no office of the authority offers appointments for {', '.join(keys)}")
    note = str(params.get("note") or "").strip()
    request = AppointmentRequest.objects.create(
        case=case, authority_id=case.authority_id, office=office, services=keys, note=note
    )
    link = reverse("portal:appointments_request", kwargs={"request_id": request.pk})
    postbox_deliver(
        recipient_id=case.applicant_id,
        case=case,
        kind=PostboxMessage.Kind.MESSAGE,
        subject=f"{case.title}: Bitte buchen Sie einen Termin",
        body=(
            f"Für Ihren Antrag {case.reference} brauchen wir Sie persönlich.\n"
            + (f"{note}\n" if note else "")
            + f"\nHier buchen Sie Ihren Termin: {link}"
        ),
    )
    return Outcome(data={"appointment_request": request.pk})


@handler("appointments.request_booked")
def appointment_request_booked(message: OutboxMessage) -> None:
    """Tell the case's process (message ``appointment_booked``) and note it in the case history.

    Idempotent: the case event marks it done, so a second run changes nothing.
    """
    from amtsweg.cases.models import CaseEvent
    from amtsweg.processes.services import process_message_deliver

    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("case", "office__office")
            .filter(pk=message.payload["appointment_id"])
            .first()
        )
        if appointment is None or appointment.case is None or appointment.status != Appointment.Status.BOOKED:
            return
        case = appointment.case
        if CaseEvent.objects.filter(
            case=case, kind=CaseEvent.Kind.PROCESS, detail__appointment_booked=appointment.reference
        ).exists():
            return
        starts = calendar.local(appointment.starts_at)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.PROCESS,
            status=case.status,
            detail={
                "appointment_booked": appointment.reference,
                "starts_at": appointment.starts_at.isoformat(),
                "office": appointment.office.office.name,
                "text": f"Termin am {starts:%d.%m.%Y um %H:%M} Uhr, {appointment.office.office.name}",
            },
            visible_to_applicant=True,
        )
        process_message_deliver(
            case=case,
            name="appointment_booked",
            payload={"appointment": appointment.reference, "starts_at": appointment.starts_at.isoformat()},
            actor=None,
            channel="system",
        )
