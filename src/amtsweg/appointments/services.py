"""Booking, confirming, cancelling and moving appointments; expiring holds; recording no-shows.

No double booking: an appointment inserts one ``Occupancy`` row per grid unit, and the unique
constraint on ``(counter, unit)`` refuses a second one, whatever the database and however many
requests race. A booking tries the counters that the calendar shows free for the time, each in its
own savepoint; if every insert collides, the time is taken and the caller gets the next free times.

Limits per person are checked under a row lock per account and per e-mail key (``BookingLock``),
so two concurrent bookings of one person cannot both pass the count.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from amtsweg.identity.models import User
from amtsweg.identity.selectors import citizen_account
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import OutboxRequest, outbox_enqueue, outbox_enqueue_many

from . import calendar, slots
from .models import (
    Appointment,
    AppointmentItem,
    AppointmentOffice,
    AppointmentRequest,
    BookingLock,
    Occupancy,
    QueueTicket,
)
from .problems import BookingError, ChallengeFailed, HoldExpired, InvalidState, LimitReached, SlotTaken

__all__ = [
    "BookingError",
    "ChallengeFailed",
    "Contact",
    "HoldExpired",
    "InvalidState",
    "LimitReached",
    "SlotTaken",
    "appointment_cancel",
    "appointment_confirm",
    "appointment_reschedule",
    "appointment_reserve",
    "appointment_token",
    "holds_expire",
    "no_shows_record",
    "reminders_enqueue",
]

# Crockford's base32 without I, L, O, U: references are read aloud and typed at the kiosk.
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
OPEN_STATUSES = (Appointment.Status.RESERVED, Appointment.Status.BOOKED)
ALTERNATIVES = 5
# Booking attempts per client address share one budget on the web and in the API.
BOOKING_RATE_SCOPE = "appointments-booking"


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""
    language: str = "de"


def normalise_email(email: str) -> str:
    """The mailbox behind an address: lower case, without ``+tag``; Gmail also without dots.

    Scalpers multiply addresses with tags and dots that all reach one mailbox; the limits count
    the mailbox.
    """
    local_part, _at, domain = email.strip().lower().rpartition("@")
    local_part = local_part.split("+", 1)[0]
    if domain in {"gmail.com", "googlemail.com"}:
        local_part, domain = local_part.replace(".", ""), "gmail.com"
    return f"{local_part}@{domain}"


def email_key(email: str) -> str:
    """A keyed hash of the normalised address, for limits and look-ups without comparing clear text."""
    return salted_hmac("amtsweg.appointments.email", normalise_email(email)).hexdigest()


def _new_reference() -> str:
    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    return f"T-{body[:4]}-{body[4:]}"


def appointment_token(appointment: Appointment) -> str:
    """The secret of the manage link: the reference and an HMAC over id and salt (recomputable)."""
    mac = salted_hmac(
        "amtsweg.appointments.token", f"{appointment.pk}:{appointment.token_salt}", algorithm="sha256"
    ).hexdigest()[:32]
    return f"{appointment.reference.replace('-', '')}-{mac}"


def token_matches(appointment: Appointment, token: str) -> bool:
    return constant_time_compare(appointment_token(appointment), token)


def reference_of_token(token: str) -> str | None:
    """``T7K3M9QXA-…`` → ``T-7K3M-9QXA`` (None for a malformed token)."""
    head, _dash, mac = token.partition("-")
    if len(head) != 9 or not head.startswith("T") or len(mac) != 32:
        return None
    return f"T-{head[1:5]}-{head[5:]}"


def _check_contact(contact: Contact) -> Contact:
    name = " ".join(contact.name.split())
    if not name or len(name) > 200:
        raise BookingError(
            "Bitte geben Sie Ihren Namen an (höchstens 200 Zeichen).",
            "Please give your name (at most 200 characters).",
            code="contact-invalid",
            extra={"field": "name"},
        )
    email = contact.email.strip()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise BookingError(
            "Bitte geben Sie eine gültige E-Mail-Adresse an.",
            "Please give a valid e-mail address.",
            code="contact-invalid",
            extra={"field": "email"},
        ) from exc
    phone = contact.phone.strip()
    if len(phone) > 40:
        raise BookingError(
            "Die Telefonnummer ist zu lang.",
            "The phone number is too long.",
            code="contact-invalid",
            extra={"field": "phone"},
        )
    language = contact.language if contact.language in {code for code, _n in settings.LANGUAGES} else "de"
    return Contact(name, email, phone, language)


def _check_time(office: AppointmentOffice, starts_at: datetime, now: datetime) -> None:
    if timezone.is_naive(starts_at):
        raise BookingError(
            "Die Uhrzeit braucht eine Zeitzone.", "The time needs a time zone.", code="slot-invalid"
        )
    origin = calendar.midnight(calendar.local_day(starts_at))
    if (starts_at - origin) % timedelta(minutes=office.grid_minutes):
        raise BookingError(
            "Diese Uhrzeit liegt nicht im Terminraster.",
            "This time is not on the booking grid.",
            code="slot-invalid",
        )
    earliest, end, _first = slots.window(office, now)
    if not earliest <= starts_at < end:
        raise BookingError(
            "Diese Zeit liegt außerhalb des Buchungszeitraums.",
            "This time is outside the booking window.",
            code="slot-outside-window",
        )


def _lock(keys: Sequence[str]) -> None:
    """Create-or-lock one ``BookingLock`` row per key, held until the transaction ends.

    ``INSERT … ON CONFLICT DO UPDATE`` creates the row or locks the existing one in one statement
    (PostgreSQL row lock; SQLite's write transaction is exclusive anyway).
    """
    table = connection.ops.quote_name(BookingLock._meta.db_table)
    with connection.cursor() as cursor:
        for key in sorted(keys):  # one order for everyone: no deadlocks between two bookings
            cursor.execute(
                f"INSERT INTO {table} (key) VALUES (%s) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key",  # noqa: S608
                [key],
            )


def _open_appointments(office: AppointmentOffice, *, user: User | None, key: str, now: datetime) -> int:
    who = Q(email_key=key) | Q(user=user) if user is not None else Q(email_key=key)
    return (
        Appointment.objects.filter(
            who, authority_id=office.office.authority_id, status__in=OPEN_STATUSES, ends_at__gt=now
        )
        .filter(Q(released_at__isnull=True) | Q(released_at__gt=now))
        .count()
    )


def _check_limits(office: AppointmentOffice, *, user: User | None, key: str, now: datetime) -> None:
    _lock([f"email:{key}", *([f"user:{user.pk}"] if user is not None else [])])
    if _open_appointments(office, user=user, key=key, now=now) >= office.max_open_per_person:
        raise LimitReached(
            f"Sie haben bereits {office.max_open_per_person} offene Termine bei dieser Behörde. "
            "Sagen Sie einen ab, bevor Sie einen neuen buchen.",
            f"You already have {office.max_open_per_person} open appointments with this authority. "
            "Cancel one before booking another.",
            extra={"limit": office.max_open_per_person},
        )


def _units(office: AppointmentOffice, starts_at: datetime, ends_at: datetime) -> list[datetime]:
    unit = timedelta(minutes=office.grid_minutes)
    count = (ends_at - starts_at) // unit
    return [starts_at + index * unit for index in range(count)]


def _candidate_counters(
    office: AppointmentOffice, request: slots.Request, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[int]:
    """Counters that are open and, as far as this transaction sees, free for the whole interval."""
    plan = slots._plan(office)
    day = calendar.local_day(starts_at)
    counters = slots._capable(plan, request)
    taken = slots._taken([office], calendar.midnight(day), calendar.midnight(day + timedelta(days=1)), now)
    grids = slots._grids(plan, day, 1, taken, counters)
    result = []
    for counter in counters:
        grid = grids[counter.pk][0]
        first, count = grid.index(starts_at), (ends_at - starts_at) // grid.unit
        mask = ((1 << count) - 1) << first
        if grid.open & mask == mask:
            result.append((bool(grid.taken & mask), counter.pk))
    # Counters that look free first; one that looks taken may hold an expired reservation.
    return [pk for _looks_taken, pk in sorted(result)]


def _insert_units(
    counter_id: int, units: Sequence[datetime], appointment_id: int, blocks_until: datetime | None
) -> int:
    """Insert the units that are still free; returns how many were inserted (never raises on a taken one).

    ``ON CONFLICT DO NOTHING`` instead of a savepoint per attempt: a taken unit is skipped rather than
    aborting the transaction, and on PostgreSQL an insert racing an uncommitted one waits for it.
    """
    if not units:
        return 0
    table = connection.ops.quote_name(Occupancy._meta.db_table)
    field = Occupancy._meta.get_field("unit")
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(units))
    params: list[Any] = []
    until = field.get_db_prep_value(blocks_until, connection) if blocks_until is not None else None
    for unit in units:
        params += [counter_id, field.get_db_prep_value(unit, connection), appointment_id, until]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (counter_id, unit, appointment_id, blocks_until) VALUES {rows} "  # noqa: S608
            "ON CONFLICT (counter_id, unit) DO NOTHING RETURNING id",
            params,
        )
        return len(cursor.fetchall())


def _occupy(
    office: AppointmentOffice,
    request: slots.Request,
    starts_at: datetime,
    ends_at: datetime,
    now: datetime,
    blocks_until: datetime | None,
    fields: dict[str, Any],
) -> Appointment | None:
    """Insert the appointment on the first counter whose units are free; ``None`` if none is."""
    units = _units(office, starts_at, ends_at)
    for counter_id in _candidate_counters(office, request, starts_at, ends_at, now):
        appointment = Appointment.objects.create(
            office=office,
            authority_id=office.office.authority_id,
            counter_id=counter_id,
            starts_at=starts_at,
            ends_at=ends_at,
            **fields,
        )
        inserted = _insert_units(counter_id, units, appointment.pk, blocks_until)
        if inserted < len(units):
            # Units of expired holds and released cancellations may be taken over: then once more.
            stale = Occupancy.objects.filter(counter_id=counter_id, unit__in=units, blocks_until__lte=now)
            if stale.delete()[0]:
                inserted += _insert_units(counter_id, units, appointment.pk, blocks_until)
        if inserted < len(units):
            Occupancy.objects.filter(appointment=appointment).delete()
            Appointment.objects.filter(pk=appointment.pk).delete()
            continue
        AppointmentItem.objects.bulk_create(
            AppointmentItem(appointment=appointment, service=service, quantity=quantity)
            for service, quantity in request.office_services
        )
        return appointment
    return None


def _taken_problem(
    office: AppointmentOffice, request: slots.Request, starts_at: datetime, now: datetime
) -> SlotTaken:
    alternatives = slots.next_free(office, request, after=starts_at, limit=ALTERNATIVES, now=now)
    return SlotTaken(
        "Dieser Termin ist gerade vergeben worden. Bitte wählen Sie eine andere Zeit.",
        "This time has just been taken. Please choose another time.",
        extra={"alternatives": [moment.isoformat() for moment in alternatives]},
    )


def _email_verified(user: User | None, email: str) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and getattr(user, "email_verified_at", None)
        and normalise_email(user.email) == normalise_email(email)
    )


def appointment_reserve(
    *,
    office: AppointmentOffice,
    items: Sequence[tuple[int | str, int]],
    starts_at: datetime,
    contact: Contact,
    user: User | None = None,
    mode: str = Appointment.Mode.IN_PERSON,
    channel: str = "web",
    case: Any = None,
    request: AppointmentRequest | None = None,
    now: datetime | None = None,
) -> tuple[Appointment, str]:
    """Take the time for the person; returns the appointment and its secret token.

    A citizen whose account has this e-mail address confirmed is booked at once; anyone else holds
    the time for ``hold_minutes`` until the link in the confirmation e-mail is followed.
    """
    now = now or timezone.now()
    office = slots.load(office)
    if not office.enabled:
        raise BookingError(
            "Diese Dienststelle vergibt keine Termine online.",
            "This office does not give appointments online.",
            code="office-closed",
        )
    wanted = slots.resolve_services(office, items, mode=mode)
    contact = _check_contact(contact)
    _check_time(office, starts_at, now)
    ends_at = starts_at + wanted.units(office.grid_minutes) * timedelta(minutes=office.grid_minutes)
    key = email_key(contact.email)
    booked_now = _email_verified(user, contact.email)
    hold_until = None if booked_now else now + timedelta(minutes=office.hold_minutes)
    reference = _new_reference()
    fields: dict[str, Any] = {
        "reference": reference,
        "ical_uid": reference,
        "token_salt": secrets.token_hex(16),
        "status": Appointment.Status.BOOKED if booked_now else Appointment.Status.RESERVED,
        "mode": mode,
        "name": contact.name,
        "email": contact.email,
        "email_key": key,
        "phone": contact.phone,
        "language": contact.language,
        "user": user if user is not None and user.is_authenticated else None,
        "case": case,
        "request": request,
        "channel": channel,
        "hold_expires_at": hold_until,
        "released_at": hold_until,
        "confirmed_at": now if booked_now else None,
        "created_at": now,
        "video_room": f"amtsweg-{secrets.token_hex(12)}" if mode == Appointment.Mode.VIDEO else "",
    }
    with transaction.atomic():
        _check_limits(office, user=fields["user"], key=key, now=now)
        appointment = _occupy(office, wanted, starts_at, ends_at, now, hold_until, fields)
        if appointment is None:
            raise _taken_problem(office, wanted, starts_at, now)
        _after_booking(appointment, confirmed=booked_now)
    return appointment, appointment_token(appointment)


def _after_booking(appointment: Appointment, *, confirmed: bool) -> None:
    kind = "appointments.email_booked" if confirmed else "appointments.email_confirm"
    outbox_enqueue(
        kind=kind,
        payload={"appointment_id": appointment.pk},
        dedupe_key=f"{kind}-{appointment.pk}",
        authority_id=appointment.authority_id,
    )
    if confirmed and appointment.request_id is not None:
        AppointmentRequest.objects.filter(pk=appointment.request_id).update(
            status=AppointmentRequest.Status.BOOKED
        )
        outbox_enqueue(
            kind="appointments.request_booked",
            payload={"appointment_id": appointment.pk},
            dedupe_key=f"appointments.request_booked-{appointment.pk}",
            authority_id=appointment.authority_id,
        )


def appointment_confirm(*, token: str, now: datetime | None = None) -> Appointment:
    """Confirm a reservation from the e-mail link; again for a booked one changes nothing."""
    from .selectors import appointment_by_token

    now = now or timezone.now()
    reference = reference_of_token(token)
    with transaction.atomic():
        locked = Appointment.objects.select_for_update(of=("self",)).select_related("office")
        appointment = locked.filter(reference=reference).first() if reference else None
        if appointment is None or not token_matches(appointment, token):
            raise BookingError(
                "Diesen Termin gibt es nicht.",
                "There is no such appointment.",
                status_code=404,
                code="not-found",
            )
        if appointment.rescheduled_to_id is not None:  # an old link of a moved appointment
            moved = appointment_by_token(token)
            if moved is not None:
                appointment = locked.get(pk=moved.pk)
        if appointment.status in {Appointment.Status.BOOKED, Appointment.Status.ATTENDED}:
            return appointment
        if appointment.status == Appointment.Status.RESERVED:
            expected = (appointment.ends_at - appointment.starts_at) // timedelta(
                minutes=appointment.office.grid_minutes
            )
            # Rows of an expired hold still in place mean nobody took the time: confirming is fine.
            if Occupancy.objects.filter(appointment=appointment).update(blocks_until=None) == expected:
                appointment.status = Appointment.Status.BOOKED
                appointment.confirmed_at = now
                appointment.released_at = None
                appointment.save(update_fields=["status", "confirmed_at", "released_at"])
                _after_booking(appointment, confirmed=True)
                return appointment
            appointment.status = Appointment.Status.EXPIRED
            appointment.save(update_fields=["status"])
    if appointment.status == Appointment.Status.EXPIRED:
        raise HoldExpired(
            "Die Reservierung ist abgelaufen und die Zeit wurde weitergegeben. Bitte buchen Sie neu.",
            "The reservation expired and the time was given to someone else. Please book again.",
        )
    raise InvalidState("Dieser Termin wurde abgesagt.", "This appointment was cancelled.")


def appointment_cancel(*, appointment: Appointment, by: str, now: datetime | None = None) -> Appointment:
    """Cancel; a citizen's cancellation keeps the time blocked for ``release_delay_minutes``."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("office")
            .get(pk=appointment.pk)
        )
        if appointment.status in {Appointment.Status.CANCELLED, Appointment.Status.EXPIRED}:
            return appointment
        if appointment.status not in OPEN_STATUSES or appointment.starts_at <= now:
            raise InvalidState(
                "Ein vergangener Termin kann nicht mehr abgesagt werden.",
                "A past appointment cannot be cancelled.",
            )
        if QueueTicket.objects.filter(appointment=appointment).exists():
            raise InvalidState(
                "Sie sind für diesen Termin bereits angemeldet und werden gleich aufgerufen.",
                "You have checked in for this appointment and will be called shortly.",
            )
        _release(appointment, by=by, now=now)
        outbox_enqueue(
            kind="appointments.email_cancelled",
            payload={"appointment_id": appointment.pk},
            dedupe_key=f"appointments.email_cancelled-{appointment.pk}",
            authority_id=appointment.authority_id,
        )
        if appointment.request_id is not None:
            AppointmentRequest.objects.filter(
                pk=appointment.request_id, status=AppointmentRequest.Status.BOOKED
            ).update(status=AppointmentRequest.Status.OPEN)
    return appointment


def _release(appointment: Appointment, *, by: str, now: datetime) -> None:
    delay = appointment.office.release_delay_minutes if by != "staff" else 0
    release = now + timedelta(minutes=delay)
    Occupancy.objects.filter(appointment=appointment).update(blocks_until=release)
    appointment.status = Appointment.Status.CANCELLED
    appointment.cancelled_at = now
    appointment.cancelled_by = by
    appointment.released_at = release
    appointment.save(update_fields=["status", "cancelled_at", "cancelled_by", "released_at"])


def appointment_reschedule(
    *, appointment: Appointment, starts_at: datetime, now: datetime | None = None
) -> Appointment:
    """Move a booked appointment to ``starts_at`` at the same office: same person, same services.

    The new time is taken first; only then is the old one released (held back like a cancellation),
    all in one transaction, so a failed move leaves the old appointment untouched.
    """
    now = now or timezone.now()
    office = slots.load(appointment.office_id)
    with transaction.atomic():
        old = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if old.status != Appointment.Status.BOOKED or old.starts_at <= now:
            raise InvalidState(
                "Nur ein gebuchter, künftiger Termin kann verschoben werden.",
                "Only a booked future appointment can be moved.",
            )
        items = [(item.service_id, item.quantity) for item in old.items.all()]
        wanted = slots.resolve_services(office, items, mode=old.mode)
        _check_time(office, starts_at, now)
        ends_at = starts_at + wanted.units(office.grid_minutes) * timedelta(minutes=office.grid_minutes)
        reference = _new_reference()
        fields: dict[str, Any] = {
            "reference": reference,
            "ical_uid": old.ical_uid,
            "sequence": old.sequence + 1,
            "token_salt": secrets.token_hex(16),
            "status": Appointment.Status.BOOKED,
            "mode": old.mode,
            "name": old.name,
            "email": old.email,
            "email_key": old.email_key,
            "phone": old.phone,
            "language": old.language,
            "user_id": old.user_id,
            "case_id": old.case_id,
            "request_id": old.request_id,
            "channel": old.channel,
            "confirmed_at": now,
            "created_at": now,
            "video_room": old.video_room,
        }
        # The new time may overlap the old one: give up the old units first (a failure rolls back).
        own_units = list(Occupancy.objects.filter(appointment=old).values_list("counter_id", "unit"))
        Occupancy.objects.filter(appointment=old).delete()
        new = _occupy(office, wanted, starts_at, ends_at, now, None, fields)
        if new is None:
            raise _taken_problem(office, wanted, starts_at, now)
        old.office = office
        new_units = set(_units(office, starts_at, ends_at))
        Occupancy.objects.bulk_create(
            Occupancy(counter_id=counter_id, unit=unit, appointment=old)
            for counter_id, unit in own_units
            if counter_id != new.counter_id or unit not in new_units
        )
        _release(old, by="citizen", now=now)
        old.rescheduled_to = new
        old.save(update_fields=["rescheduled_to"])
        outbox_enqueue(
            kind="appointments.email_rescheduled",
            payload={"appointment_id": new.pk, "previous_id": old.pk},
            dedupe_key=f"appointments.email_rescheduled-{new.pk}",
            authority_id=new.authority_id,
        )
    return new


def holds_expire(*, now: datetime | None = None) -> int:
    """Mark unconfirmed reservations past their hold as expired and drop units no longer blocked."""
    now = now or timezone.now()
    with transaction.atomic():
        expired = Appointment.objects.filter(
            status=Appointment.Status.RESERVED, hold_expires_at__lte=now
        ).update(status=Appointment.Status.EXPIRED)
        Occupancy.objects.filter(blocks_until__lte=now).delete()
    return expired


def no_shows_record(*, now: datetime | None = None) -> int:
    """Booked appointments nobody checked in for, ``no_show_after_minutes`` after their start."""
    now = now or timezone.now()
    candidates = Appointment.objects.filter(
        status=Appointment.Status.BOOKED, starts_at__lte=now, ticket__isnull=True
    ).select_related("office")
    late = [
        a.pk for a in candidates if a.starts_at + timedelta(minutes=a.office.no_show_after_minutes) <= now
    ]
    if not late:
        return 0
    return Appointment.objects.filter(
        pk__in=late, status=Appointment.Status.BOOKED, ticket__isnull=True
    ).update(status=Appointment.Status.NO_SHOW)


def reminders_enqueue(*, now: datetime | None = None) -> int:
    """Queue the reminder of every booked appointment of tomorrow (once each), from REMINDER_HOUR."""
    now = now or timezone.now()
    if calendar.local(now).hour < int(getattr(settings, "APPOINTMENTS_REMINDER_HOUR", 9)):
        return 0
    tomorrow = calendar.local_day(now) + timedelta(days=1)
    due = Appointment.objects.filter(
        status=Appointment.Status.BOOKED,
        starts_at__gte=calendar.midnight(tomorrow),
        starts_at__lt=calendar.midnight(tomorrow + timedelta(days=1)),
        created_at__lt=now - timedelta(hours=12),  # booked the same day: the booking e-mail suffices
    ).values_list("pk", "authority_id")
    wanted = {f"appointments.email_reminder-{pk}": (pk, authority_id) for pk, authority_id in due}
    if not wanted:
        return 0
    known = set(
        OutboxMessage.objects.filter(dedupe_key__in=list(wanted)).values_list("dedupe_key", flat=True)
    )
    requests = [
        OutboxRequest("appointments.email_reminder", {"appointment_id": pk}, key, authority_id=authority_id)
        for key, (pk, authority_id) in wanted.items()
        if key not in known
    ]
    if requests:
        with transaction.atomic():
            outbox_enqueue_many(requests)
    return len(requests)


def challenge_required(user: User | None) -> bool:
    """Proof of work is asked of bookings without a citizen account (accounts have their own limits)."""
    return citizen_account(user) is None


def challenge_check(*, user: User | None, challenge: str, solution: str) -> None:
    from .pow import challenge_verify

    if challenge_required(user):
        if not challenge or not solution:
            raise ChallengeFailed(
                "Die Sicherheitsprüfung fehlt. Bitte aktivieren Sie JavaScript oder melden Sie sich an.",
                "The security check is missing. Please enable JavaScript or log in.",
            )
        challenge_verify(challenge, solution)
