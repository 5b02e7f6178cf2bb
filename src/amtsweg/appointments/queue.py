"""The waiting room of an office: check-in, walk-ins, the call order, the queue's state machine and
what the call-up display and the staff board show.

A visit is a ``QueueTicket`` with a display number per office and day: ``A001…`` for appointments,
``W001…`` for walk-ins. Its status moves only along :data:`TRANSITIONS`::

    waiting ──call──▶ called ──start──▶ in_progress ──finish──▶ done
       │                │ ▲                                       (appointment → attended)
       │                └─┘ call again
       └──────missed────┴──▶ missed                               (appointment → no_show)

Call order ("call next", :func:`call_order`): appointments that are due (start time reached) first,
earliest appointment first; then walk-ins by check-in time, which fill the gaps between due
appointments; then appointments checked in early, earliest first, so a counter never idles while
someone is waiting. A counter that serves only some services calls only tickets it can serve.

Two counters pressing "call next" at the same moment never call the same ticket: the status change
is a conditional ``UPDATE … WHERE status = 'waiting'``; whoever updates zero rows takes the next
candidate. Numbers are allocated as max + 1 under the unique constraint ``(office, day, number)``
and retried on ``IntegrityError``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework import status

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent

from . import calendar
from .models import Appointment, AppointmentOffice, Counter, OfficeService, QueueTicket

APPOINTMENT_PREFIX = "A"
WALK_IN_PREFIX = "W"
_ALLOCATE_ATTEMPTS = 20
# What the display shows: the most recent calls (a screen has room for about this many rows).
DISPLAY_ROWS = 8
# A reference as typed or printed ("T-7K3M-9QXA", "t7k3m9qxa", "T 7K3M 9QXA"), a manage-link token
# ("T7K3M9QXA-<32 hex>", alone or inside a scanned URL), or a reference with dashes inside other text.
_TYPED = re.compile(r"T[\s-]*([0-9A-Z]{4})[\s-]*([0-9A-Z]{4})")
_TOKEN = re.compile(r"(?<![0-9A-Z])T([0-9A-Z]{4})([0-9A-Z]{4})-[0-9A-F]{32}(?![0-9A-Z])")
_EMBEDDED = re.compile(r"(?<![0-9A-Z])T-([0-9A-Z]{4})-([0-9A-Z]{4})(?![0-9A-Z])")
# Crockford's base32 reads the letters people type for digits as those digits.
_CROCKFORD = str.maketrans({"O": "0", "I": "1", "L": "1"})

Status = QueueTicket.Status
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "call": (frozenset({Status.WAITING}), Status.CALLED),
    "recall": (frozenset({Status.CALLED}), Status.CALLED),
    "start": (frozenset({Status.CALLED}), Status.IN_PROGRESS),
    "finish": (frozenset({Status.IN_PROGRESS}), Status.DONE),
    "missed": (frozenset({Status.WAITING, Status.CALLED}), Status.MISSED),
}
ACTIVE = (Status.CALLED, Status.IN_PROGRESS)


class QueueError(Problem):
    """A queue action that cannot be done as asked."""

    status_code: int = status.HTTP_409_CONFLICT
    code = "queue-invalid"


class CheckinError(QueueError):
    """A check-in that is refused; the text tells the visitor what to do instead."""

    code = "checkin-refused"


class UnknownCode(CheckinError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "checkin-unknown"


class OtherOffice(CheckinError):
    code = "checkin-other-office"


class OtherDay(CheckinError):
    code = "checkin-other-day"


class TooEarly(CheckinError):
    code = "checkin-too-early"


class TooLate(CheckinError):
    code = "checkin-too-late"


class NotBookable(CheckinError):
    """Cancelled, expired, never confirmed, already served, or a video appointment."""

    code = "checkin-cancelled"


class InvalidTransition(QueueError):
    code = "queue-invalid-transition"


class QueueEmpty(QueueError):
    code = "queue-empty"


class CounterBusy(QueueError):
    code = "queue-counter-busy"


# --- reading a code ---------------------------------------------------------------------------


def normalise_code(code: str) -> str | None:
    """The reference in ``code`` ("T-7K3M-9QXA"), however it was typed or scanned; ``None`` if none."""
    text = code.strip().upper()
    match = _TYPED.fullmatch(text) or _TOKEN.search(text) or _EMBEDDED.search(text)
    if match is None:
        return None
    first, second = (group.translate(_CROCKFORD) for group in match.groups())
    return f"T-{first}-{second}"


def _time(moment: datetime) -> str:
    return date_format(calendar.local(moment), "H:i")


def _day(moment: datetime) -> str:
    return date_format(calendar.local(moment), "d.m.Y")


# --- check-in and walk-ins --------------------------------------------------------------------


def queue_checkin(
    *, office: AppointmentOffice, code: str, now: datetime | None = None, actor: User | None = None
) -> QueueTicket:
    """Check in the appointment with reference ``code`` at ``office``: its waiting ticket ``A…``.

    At the kiosk (no ``actor``) only a booked in-person appointment of this office and today, from
    ``checkin_early_minutes`` before its start until ``no_show_after_minutes`` after it. Staff
    (``actor``) may check in at any time of the day, also an appointment already recorded as a
    no-show (the person was at the door). A second check-in returns the same ticket.
    """
    now = now or timezone.now()
    reference = normalise_code(code)
    if reference is None:
        raise _unknown()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("office__office")
            .filter(reference=reference)
            .first()
        )
        if appointment is None:
            raise _unknown()
        if appointment.office_id != office.pk:
            name = appointment.office.office.name
            raise OtherOffice(
                f"Ihr Termin ist nicht hier, sondern bei: {name}. Bitte melden Sie sich dort an.",
                f"Your appointment is not here but at: {name}. Please check in there.",
            )
        existing = QueueTicket.objects.filter(appointment=appointment).first()
        if existing is not None:
            return existing
        _check_appointment(office=office, appointment=appointment, now=now, staff=actor is not None)
        if appointment.status == Appointment.Status.NO_SHOW:
            Appointment.objects.filter(pk=appointment.pk).update(status=Appointment.Status.BOOKED)
        ticket = _ticket_create(
            office=office, prefix=APPOINTMENT_PREFIX, now=now, appointment=appointment, service=None
        )
        if actor is not None:
            _audit(actor, AuditEvent.Action.CREATE, ticket, office, {"status": [None, ticket.status]})
    return ticket


def _unknown() -> UnknownCode:
    return UnknownCode(
        "Zu dieser Terminnummer gibt es keinen Termin. Bitte prüfen Sie die Eingabe "
        "(Beispiel: T-7K3M-9QXA) oder wenden Sie sich an die Information.",
        "There is no appointment with this reference. Please check what you entered "
        "(example: T-7K3M-9QXA) or ask at the information desk.",
    )


def _check_appointment(
    *, office: AppointmentOffice, appointment: Appointment, now: datetime, staff: bool
) -> None:
    allowed = {Appointment.Status.BOOKED} | ({Appointment.Status.NO_SHOW} if staff else set())
    if appointment.status not in allowed:
        if appointment.status == Appointment.Status.RESERVED:
            raise NotBookable(
                "Dieser Termin wurde nicht per E-Mail bestätigt und ist daher nicht gebucht.",
                "This appointment was not confirmed by e-mail and is therefore not booked.",
                code="checkin-unconfirmed",
            )
        if appointment.status in (Appointment.Status.ATTENDED, Appointment.Status.NO_SHOW):
            raise NotBookable(
                "Dieser Termin ist bereits abgeschlossen. Bitte wenden Sie sich an die Information.",
                "This appointment is already closed. Please ask at the information desk.",
                code="checkin-closed",
            )
        raise NotBookable(
            "Dieser Termin wurde abgesagt oder ist verfallen. Bitte wenden Sie sich an die Information.",
            "This appointment was cancelled or has expired. Please ask at the information desk.",
        )
    if appointment.mode != Appointment.Mode.IN_PERSON:
        raise NotBookable(
            "Das ist ein Videotermin: Sie brauchen sich nicht vor Ort anzumelden.",
            "This is a video appointment: there is no need to check in at the office.",
            code="checkin-video",
        )
    if calendar.local_day(appointment.starts_at) != calendar.local_day(now):
        raise OtherDay(
            f"Ihr Termin ist nicht heute, sondern am {_day(appointment.starts_at)} um "
            f"{_time(appointment.starts_at)} Uhr.",
            f"Your appointment is not today but on {_day(appointment.starts_at)} at "
            f"{_time(appointment.starts_at)}.",
        )
    if staff:
        return
    opens = appointment.starts_at - timedelta(minutes=office.checkin_early_minutes)
    if now < opens:
        raise TooEarly(
            f"Sie sind zu früh. Die Anmeldung ist ab {_time(opens)} Uhr möglich "
            f"(Ihr Termin: {_time(appointment.starts_at)} Uhr).",
            f"You are early. Check-in opens at {_time(opens)} "
            f"(your appointment: {_time(appointment.starts_at)}).",
        )
    if now > appointment.starts_at + timedelta(minutes=office.no_show_after_minutes):
        raise TooLate(
            f"Ihr Termin um {_time(appointment.starts_at)} Uhr ist verstrichen. "
            "Bitte wenden Sie sich an die Information.",
            f"Your appointment at {_time(appointment.starts_at)} has passed. "
            "Please ask at the information desk.",
        )


def queue_walkin(
    *, office: AppointmentOffice, service: OfficeService, actor: User, now: datetime | None = None
) -> QueueTicket:
    """A visitor without an appointment for ``service``: a waiting ticket ``W…``."""
    now = now or timezone.now()
    if service.office_id != office.pk:
        raise QueueError(
            "Diese Leistung wird in dieser Dienststelle nicht angeboten.",
            "This service is not offered at this office.",
            status_code=status.HTTP_400_BAD_REQUEST,
            code="queue-service",
        )
    with transaction.atomic():
        ticket = _ticket_create(
            office=office, prefix=WALK_IN_PREFIX, now=now, appointment=None, service=service
        )
        _audit(actor, AuditEvent.Action.CREATE, ticket, office, {"status": [None, ticket.status]})
    return ticket


def _ticket_create(
    *,
    office: AppointmentOffice,
    prefix: str,
    now: datetime,
    appointment: Appointment | None,
    service: OfficeService | None,
) -> QueueTicket:
    day = calendar.local_day(now)
    for _attempt in range(_ALLOCATE_ATTEMPTS):
        number = _next_number(office, day, prefix)
        try:
            with transaction.atomic():
                return QueueTicket.objects.create(
                    office=office,
                    day=day,
                    number=number,
                    appointment=appointment,
                    service=service,
                    checked_in_at=now,
                )
        except IntegrityError:
            continue  # a concurrent check-in took this number: read the maximum again
    raise QueueError(
        "Gerade melden sich sehr viele Personen an. Bitte versuchen Sie es noch einmal.",
        "Very many people are checking in right now. Please try again.",
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        code="queue-busy",
    )


def _next_number(office: AppointmentOffice, day: date, prefix: str) -> str:
    # Longest first, then highest: "A1000" follows "A999" although it sorts lower as a string.
    last = (
        QueueTicket.objects.filter(office=office, day=day, number__startswith=prefix)
        .annotate(length=Length("number"))
        .order_by("-length", "-number")
        .values_list("number", flat=True)
        .first()
    )
    following = int(last[len(prefix) :]) + 1 if last else 1
    return f"{prefix}{following:03d}"


# --- the call order and "call next" -----------------------------------------------------------


def _appointment_start(ticket: QueueTicket) -> datetime | None:
    return ticket.appointment.starts_at if ticket.appointment_id and ticket.appointment else None


def call_order(tickets: Iterable[QueueTicket], *, now: datetime) -> list[QueueTicket]:
    """Waiting tickets in the order "call next" takes them (see the module docstring)."""

    def key(ticket: QueueTicket) -> tuple[int, datetime, datetime, int]:
        starts = _appointment_start(ticket)
        if starts is not None and starts <= now:
            return (0, starts, ticket.checked_in_at, ticket.pk)
        if starts is None:
            return (1, ticket.checked_in_at, ticket.checked_in_at, ticket.pk)
        return (2, starts, ticket.checked_in_at, ticket.pk)

    return sorted(tickets, key=key)


def _services_of(ticket: QueueTicket) -> set[int]:
    if ticket.appointment is not None:
        return {item.service_id for item in ticket.appointment.items.all()}
    return {ticket.service_id} if ticket.service_id else set()


def _can_serve(counter_services: set[int], ticket: QueueTicket) -> bool:
    return not counter_services or _services_of(ticket) <= counter_services


def waiting_tickets(office: AppointmentOffice, *, now: datetime) -> list[QueueTicket]:
    """Today's waiting tickets of ``office`` in call order."""
    tickets = (
        QueueTicket.objects.filter(office=office, day=calendar.local_day(now), status=Status.WAITING)
        .select_related("appointment", "service__service")
        .prefetch_related("appointment__items__service__service")
    )
    return call_order(tickets, now=now)


def queue_call_next(
    *, office: AppointmentOffice, counter: Counter, actor: User, now: datetime | None = None
) -> QueueTicket:
    """Call the next waiting ticket (:func:`call_order`) that ``counter`` can serve to ``counter``."""
    now = now or timezone.now()
    with transaction.atomic():
        # Serialises the calls of one counter (two browser tabs of the same workstation).
        locked = Counter.objects.select_for_update().filter(pk=counter.pk, office=office, active=True).first()
        if locked is None:
            raise QueueError(
                "Diesen Schalter gibt es in dieser Dienststelle nicht (mehr).",
                "This counter does not exist (any more) at this office.",
                status_code=status.HTTP_400_BAD_REQUEST,
                code="queue-counter",
            )
        current = QueueTicket.objects.filter(
            office=office, day=calendar.local_day(now), counter=locked, status__in=ACTIVE
        ).first()
        if current is not None:
            raise CounterBusy(
                f"Am Schalter {locked.label} ist noch die Nummer {current.number} aufgerufen oder in "
                "Bearbeitung. Bitte erst abschließen oder als verpasst markieren.",
                f"Number {current.number} is still called or in progress at counter {locked.label}. "
                "Please finish it or mark it as missed first.",
            )
        counter_services = set(locked.services.values_list("pk", flat=True))
        for candidate in waiting_tickets(office, now=now):
            if not _can_serve(counter_services, candidate):
                continue
            taken = QueueTicket.objects.filter(pk=candidate.pk, status=Status.WAITING).update(
                status=Status.CALLED,
                counter=locked,
                called_at=now,
                call_count=F("call_count") + 1,
                staff=actor,
            )
            if taken:  # zero rows: another counter called this one a moment ago
                ticket = QueueTicket.objects.select_related("counter").get(pk=candidate.pk)
                _audit(actor, AuditEvent.Action.UPDATE, ticket, office, {"status": ["waiting", "called"]})
                return ticket
    raise QueueEmpty(
        "Niemand wartet, den dieser Schalter bedienen kann.",
        "Nobody is waiting whom this counter can serve.",
    )


# --- the other transitions --------------------------------------------------------------------


def queue_transition(
    *, ticket: QueueTicket, action: str, actor: User, now: datetime | None = None
) -> QueueTicket:
    """Move ``ticket`` by ``action`` ("recall", "start", "finish", "missed"); invalid moves raise."""
    if action not in TRANSITIONS or action == "call":
        raise InvalidTransition(
            "Diese Aktion gibt es nicht.",
            "There is no such action.",
            status_code=status.HTTP_400_BAD_REQUEST,
        )
    now = now or timezone.now()
    sources, target = TRANSITIONS[action]
    with transaction.atomic():
        locked = QueueTicket.objects.select_for_update().select_related("office").get(pk=ticket.pk)
        if locked.status not in sources:
            raise InvalidTransition(
                f"Die Nummer {locked.number} ist „{locked.get_status_display()}“; "
                "diese Aktion ist jetzt nicht möglich.",
                f"Number {locked.number} is '{locked.status}'; this action is not possible now.",
            )
        before = locked.status
        changes: dict[str, object] = {"status": target}
        if action == "recall":
            changes.update(called_at=now, call_count=F("call_count") + 1, staff=actor)
        elif action == "start":
            changes.update(started_at=now, staff=actor)
        else:  # finish, missed
            changes.update(finished_at=now)
        QueueTicket.objects.filter(pk=locked.pk, status=before).update(**changes)
        if locked.appointment_id is not None:
            outcome = Appointment.Status.ATTENDED if action == "finish" else None
            if action == "missed":
                outcome = Appointment.Status.NO_SHOW
            if outcome is not None:
                Appointment.objects.filter(pk=locked.appointment_id, status=Appointment.Status.BOOKED).update(
                    status=outcome
                )
        locked.refresh_from_db()
        _audit(actor, AuditEvent.Action.UPDATE, locked, locked.office, {"status": [before, target]})
    return locked


def _audit(
    actor: User,
    action: str,
    ticket: QueueTicket,
    office: AppointmentOffice,
    changes: dict[str, object],
) -> None:
    authority_id = AppointmentOffice.objects.filter(pk=office.pk).values_list(
        "office__authority_id", flat=True
    )
    access.audit(
        actor=actor,
        action=action,
        obj=ticket,
        authority_id=authority_id.first(),
        channel="web",
        changes=changes,
    )


# --- selectors: the display and the board -----------------------------------------------------


@dataclass(frozen=True)
class Call:
    number: str
    counter: str
    called_at: datetime | None


@dataclass(frozen=True)
class DisplayState:
    """What the waiting-room screen shows: numbers and counters only, never names."""

    calls: list[Call]
    waiting: int

    def as_json(self) -> dict[str, object]:
        return {
            "calls": [{"number": c.number, "counter": c.counter} for c in self.calls],
            "waiting": self.waiting,
        }


def display_state(office: AppointmentOffice, *, now: datetime | None = None) -> DisplayState:
    now = now or timezone.now()
    today = QueueTicket.objects.filter(office=office, day=calendar.local_day(now))
    calls = [
        Call(number=number, counter=label, called_at=called_at)
        for number, label, called_at in today.filter(status__in=ACTIVE, counter__isnull=False)
        .order_by("-called_at", "-pk")
        .values_list("number", "counter__label", "called_at")[:DISPLAY_ROWS]
    ]
    return DisplayState(calls=calls, waiting=today.filter(status=Status.WAITING).count())


@dataclass(frozen=True)
class WaitingRow:
    ticket: QueueTicket
    position: int
    waited_minutes: int


@dataclass(frozen=True)
class Board:
    """The staff board of one office for today (shows names: reading it is audited)."""

    day: date
    expected: list[Appointment]
    waiting: list[WaitingRow]
    active: list[QueueTicket]
    finished: list[QueueTicket]
    counters: list[Counter]
    services: list[OfficeService]

    def appointment_ids(self) -> list[int]:
        ids = [a.pk for a in self.expected]
        ids += [t.appointment_id for t in self._tickets() if t.appointment_id is not None]
        return sorted(ids)

    def _tickets(self) -> Sequence[QueueTicket]:
        return [row.ticket for row in self.waiting] + self.active + self.finished


def board(office: AppointmentOffice, *, now: datetime | None = None) -> Board:
    now = now or timezone.now()
    day = calendar.local_day(now)
    expected = list(
        Appointment.objects.filter(
            office=office,
            mode=Appointment.Mode.IN_PERSON,
            status__in=(Appointment.Status.BOOKED, Appointment.Status.NO_SHOW),
            starts_at__gte=calendar.midnight(day),
            starts_at__lt=calendar.midnight(day + timedelta(days=1)),
            ticket__isnull=True,
        )
        .prefetch_related("items__service__service")
        .order_by("starts_at", "pk")
    )
    waiting = [
        WaitingRow(
            ticket=ticket,
            position=position,
            waited_minutes=max(0, int((now - ticket.checked_in_at).total_seconds() // 60)),
        )
        for position, ticket in enumerate(waiting_tickets(office, now=now), start=1)
    ]
    others: QuerySet[QueueTicket] = (
        QueueTicket.objects.filter(office=office, day=day)
        .exclude(status=Status.WAITING)
        .select_related("appointment", "counter", "service__service")
    )
    return Board(
        day=day,
        expected=expected,
        waiting=waiting,
        active=list(others.filter(status__in=ACTIVE).order_by("-called_at")),
        finished=list(others.exclude(status__in=ACTIVE).order_by("-finished_at", "-called_at", "-pk")[:20]),
        counters=list(office.counters.filter(active=True, in_person=True)),
        services=list(office.services.select_related("service")),
    )
