"""Desired plates (Wunschkennzeichen) at the Zulassungsbehörde: the availability check, and
reserving, extending, releasing and expiring reservations (selectors and services).

Rules (decided here, shown to citizens on the portal page):

* A reservation is for the Erkennungsnummer: ``NE-AB 123``, ``NE-AB 123E`` and ``NE-AB 123H`` are
  one plate (the marker E/H belongs to the vehicle it is allotted to), so a reservation is stored
  as the plate without the marker and blocks all three; availability asks the register for all three.
* Only the district's own prefixes (``settings.VEHICLES_PREFIXES``) can be reserved; a reservation
  lasts ``VEHICLES_RESERVATION_DAYS`` (90) days; one person holds at most
  ``VEHICLES_RESERVATIONS_PER_PERSON`` active reservations (checked under a lock on the person's
  account row, so two tabs cannot exceed it).
* Reserving opens a case of the service "Wunschkennzeichen reservieren" (LeiKa
  :data:`RESERVATION_SERVICE`) at the Kreis for the holder and asks the fee
  (``VEHICLES_RESERVATION_FEE_CENTS``) on it; the fee is not refunded when the reservation is
  released or expires (the fee is for the reservation, which was made).
* Two people can never reserve the same plate: the database's partial unique index
  ``vehicles_plate_one_active`` (one row with status ``active`` per plate) decides races; the loser's
  insert fails and becomes problem 409 ``plate-reserved``. Expired rows of the plate are set
  ``expired`` first in the same transaction, so a reservation that ran out does not block.
* Extending: only an active reservation, only in its last :data:`EXTEND_WINDOW_DAYS` (30) days, at
  most :data:`MAX_EXTENSIONS` time(s); it runs ``VEHICLES_RESERVATION_DAYS`` more days from the
  current end, and the fee is asked again on the same case. So a plate is held at most 180 days
  and cannot be kept from others for ever.
* Releasing: the holder at any time; staff of the Zulassungsbehörde with a reason (audited).
* Expiring: :func:`plate_reservations_expire` in the worker's periodic sweep; until it runs, every
  check treats a reservation past its end as ended (``expires_at > now`` everywhere).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from amtsweg.catalog.models import Service
from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from .models import PlateReservation
from .plates import MAX_CHARACTERS, Plate, PlateInvalid, parse

RESERVATION_SERVICE = "99036009072003"  # LeiKa: Wunschkennzeichen reservieren
EXTEND_WINDOW_DAYS = 30
MAX_EXTENSIONS = 1
SUGGESTIONS = 3
# How far the alternatives may lie from the requested number (cheap: a few indexed lookups).
_SUGGESTION_CANDIDATES = 12

# Rate limits per hour: availability per client address (public), reservations per person.
AVAILABILITY_PER_HOUR = 300
RESERVATIONS_PER_HOUR = 20

Status = PlateReservation.Status


class Verdict(enum.StrEnum):
    INVALID = "invalid"
    WRONG_DISTRICT = "wrong_district"
    ISSUED = "issued"
    RESERVED = "reserved"
    AVAILABLE = "available"


@dataclass(frozen=True)
class Availability:
    """The answer to "may I have this plate?": the verdict, the plate (None if invalid), the
    message in both languages, and up to three free alternatives for an issued or reserved plate."""

    query: str
    verdict: Verdict
    plate: Plate | None
    message_de: str
    message_en: str
    reason: str = ""  # PlateInvalid's reason code when the verdict is "invalid"
    suggestions: tuple[str, ...] = field(default=())

    @property
    def available(self) -> bool:
        return self.verdict is Verdict.AVAILABLE

    @property
    def text(self) -> str:
        return self.plate.text if self.plate else ""


class ReservationProblem(Problem):
    status_code = 409
    code = "reservation-conflict"


def district_prefixes() -> tuple[str, ...]:
    return tuple(p.upper() for p in settings.VEHICLES_PREFIXES)


def rate_limit(scope: str, subject: str, *, per_hour: int) -> None:
    """Count one attempt of ``subject``; problem 429 above ``per_hour`` (views and API call this)."""
    if not ratelimit.hit(f"vehicles.{scope}", subject, limit=per_hour, window=3600):
        raise Problem(
            "Zu viele Anfragen. Bitte versuchen Sie es später noch einmal.",
            "Too many requests. Please try again later.",
            status_code=429,
            code="rate-limited",
        )


# --- selectors ------------------------------------------------------------------------------------


def _issued_texts(texts: list[str]) -> set[str]:
    """Which of the canonical ``texts`` the register has issued: one call of the adapter (one indexed
    ``IN`` query in the local register)."""
    from .registers import get_register

    return set(get_register().plates_issued(texts))


def _issued(plate: Plate) -> bool:
    return bool(_issued_texts([variant.text for variant in plate.variants]))


def _reserved_texts(texts: Iterable[str], now: datetime) -> set[str]:
    return set(
        PlateReservation.objects.filter(
            plate__in=list(texts), status=Status.ACTIVE, expires_at__gt=now
        ).values_list("plate", flat=True)
    )


def _candidates(plate: Plate) -> Iterator[Plate]:
    """Valid plates near ``plate``: same prefix and letters, the nearest numbers above and below
    first; then the same letters and number under the district's other prefixes."""
    number = int(plate.digits)
    room = MAX_CHARACTERS - len(plate.prefix) - len(plate.letters)
    top = min(9999, 10**room - 1)
    for distance in range(1, 10000):
        if number + distance > top and number - distance < 1:
            break
        for candidate in (number + distance, number - distance):
            if 1 <= candidate <= top:
                try:
                    yield Plate(plate.prefix, plate.letters, str(candidate))
                except PlateInvalid:  # a forbidden combination ("AH 88")
                    continue
    for prefix in district_prefixes():
        if prefix != plate.prefix:
            try:
                yield Plate(prefix, plate.letters, plate.digits)
            except PlateInvalid:
                continue


def _suggestions(plate: Plate, now: datetime, limit: int) -> tuple[str, ...]:
    candidates: list[Plate] = []
    for candidate in _candidates(plate):
        candidates.append(candidate)
        if len(candidates) >= _SUGGESTION_CANDIDATES:
            break
    reserved = _reserved_texts((c.text for c in candidates), now)
    free = [c for c in candidates if c.text not in reserved]
    found: list[str] = []
    # The nearest first, a few at a time: usually the first chunk has enough free plates.
    for start in range(0, len(free), max(limit, 1)):
        chunk = free[start : start + max(limit, 1)]
        issued = _issued_texts([variant.text for candidate in chunk for variant in candidate.variants])
        found += [c.text for c in chunk if not any(v.text in issued for v in c.variants)]
        if len(found) >= limit:
            break
    return tuple(found[:limit])


def plate_availability(text: str, *, suggest: int = SUGGESTIONS, now: datetime | None = None) -> Availability:
    """Whether the plate written in ``text`` can be reserved now, and why not.

    Format (:func:`plates.parse`), then the district, then active reservations (one indexed lookup),
    then the register (``registers.get_register().plate_issued`` for the plate with and without the
    markers E/H). Alternatives only for an issued or reserved plate.
    """
    now = now or timezone.now()
    try:
        plate = parse(text)
    except PlateInvalid as exc:
        return Availability(
            text, Verdict.INVALID, None, exc.detail_de, exc.detail_en, reason=str(exc.extra.get("reason", ""))
        )
    base = plate.base
    ours = district_prefixes()
    if plate.prefix not in ours:
        listed = ", ".join(ours)
        return Availability(
            text,
            Verdict.WRONG_DISTRICT,
            plate,
            f"Hier können nur Kennzeichen des Rhein-Kreises Neuss reserviert werden ({listed}), "
            f"nicht mit „{plate.prefix}“.",
            f"Only plates of this district can be reserved here ({listed}), not {plate.prefix!r}.",
        )
    if _reserved_texts([base.text], now):
        return Availability(
            text,
            Verdict.RESERVED,
            plate,
            f"Das Kennzeichen {base.text} ist bereits reserviert.",
            f"The plate {base.text} is already reserved.",
            suggestions=_suggestions(base, now, suggest) if suggest else (),
        )
    if _issued(base):
        return Availability(
            text,
            Verdict.ISSUED,
            plate,
            f"Das Kennzeichen {base.text} ist bereits vergeben.",
            f"The plate {base.text} is already issued.",
            suggestions=_suggestions(base, now, suggest) if suggest else (),
        )
    return Availability(
        text,
        Verdict.AVAILABLE,
        plate,
        f"Das Kennzeichen {base.text} ist frei und kann reserviert werden.",
        f"The plate {base.text} is available and can be reserved.",
    )


def reservations_of(holder: User) -> QuerySet[PlateReservation]:
    """The person's reservations, newest first, with what "Meine Kennzeichen" shows."""
    return (
        PlateReservation.objects.filter(holder=holder)
        .select_related("case")
        .prefetch_related("case__payments")
        .order_by("-reserved_at")
    )


def reservation_of(holder: User, reservation_id: UUID | str) -> PlateReservation | None:
    return PlateReservation.objects.filter(holder=holder, pk=reservation_id).first()


def reservations_for_staff(
    user: User, authority: Authority, *, plate: str = ""
) -> QuerySet[PlateReservation]:
    """The authority's reservations ``user`` may read, optionally of one plate (any spelling, with
    or without the marker), newest first."""
    rows = access.scope(PlateReservation.objects.filter(authority=authority), user)
    if plate:
        try:
            rows = rows.filter(plate=parse(plate).base.text)
        except PlateInvalid:
            rows = rows.filter(plate__icontains=plate.strip().upper()[:12])
    return rows.select_related("holder", "case", "authority").order_by("-reserved_at")


def can_extend(reservation: PlateReservation, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return (
        reservation.status == Status.ACTIVE
        and reservation.expires_at > now
        and reservation.expires_at - now <= timedelta(days=EXTEND_WINDOW_DAYS)
        and reservation.extensions < MAX_EXTENSIONS
    )


def is_active(reservation: PlateReservation, *, now: datetime | None = None) -> bool:
    return reservation.status == Status.ACTIVE and reservation.expires_at > (now or timezone.now())


# --- services -------------------------------------------------------------------------------------


def _days() -> timedelta:
    return timedelta(days=int(settings.VEHICLES_RESERVATION_DAYS))


def _fee_cents() -> int:
    return int(settings.VEHICLES_RESERVATION_FEE_CENTS)


def _registration_authority() -> Authority:
    authority = Authority.objects.filter(ags=settings.VEHICLES_AUTHORITY_AGS).first()
    service = Service.objects.filter(leika_key=RESERVATION_SERVICE).first()
    if authority is None or service is None:
        raise Problem(
            "Die Reservierung von Wunschkennzeichen ist derzeit nicht eingerichtet.",
            "Reserving desired plates is not set up at the moment.",
            status_code=503,
            code="reservations-unavailable",
        )
    return authority


def _require_citizen(holder: User) -> None:
    if holder.is_staff_account or not holder.is_active:
        raise Problem(
            "Wunschkennzeichen reservieren Bürgerinnen und Bürger mit ihrem Bürgerkonto.",
            "Desired plates are reserved by citizens with their citizen account.",
            status_code=403,
            code="citizen-account-required",
        )


def _plate_of(plate: Plate | str) -> Plate:
    return (plate if isinstance(plate, Plate) else parse(plate)).base


def _request_fee(reservation: PlateReservation, *, purpose: str) -> None:
    """Ask the fee on the reservation's case and tell the holder in the postbox (the e-mail about
    it goes through the outbox after the commit), as the process action ``payment.request`` does."""
    from amtsweg.cases.models import PostboxMessage
    from amtsweg.cases.services import postbox_deliver
    from amtsweg.payments.services import payment_request

    case = reservation.case
    assert case is not None
    payment = payment_request(case=case, amount_cents=_fee_cents(), purpose=purpose)
    euros = f"{Decimal(payment.amount_cents) / 100:.2f}".replace(".", ",")
    until = timezone.localtime(reservation.expires_at).strftime("%d.%m.%Y")
    try:
        link = "\n\nHier können Sie bezahlen: " + reverse(
            "portal:payment_pay", kwargs={"payment_id": payment.pk}
        )
    except NoReverseMatch:  # an installation without the portal's payment pages
        link = ""
    postbox_deliver(
        recipient_id=reservation.holder_id,
        case=case,
        kind=PostboxMessage.Kind.MESSAGE,
        subject=f"{purpose}: Zahlung angefordert ({euros} €)",
        body=(
            f"Das Kennzeichen {reservation.plate} ist für Sie reserviert bis zum {until}.\n"
            f"Bitte zahlen Sie die Gebühr von {euros} € (Vorgang {case.reference}).\n"
            f"Kassenzeichen: {payment.kassenzeichen}\n"
            f"Verwendungszweck: {payment.purpose}{link}"
        ),
    )


# A reservation's case has no decision to take: it is open while the plate is held and closed when
# the reservation ends (released, expired, allotted). Its own status model says so.
RESERVATION_STATUSES = [
    # key, German, English, phase, order, next keys
    ("reserviert", "Reserviert", "Reserved", "new", 10, ["beendet"]),
    ("beendet", "Beendet", "Ended", "closed", 20, []),
]


def _ensure_status_model(service: Service) -> None:
    from amtsweg.cases.models import StatusDefinition

    if StatusDefinition.objects.filter(service=service).exists():
        return
    for key, de, en, phase, order, next_keys in RESERVATION_STATUSES:
        StatusDefinition.objects.get_or_create(
            service=service,
            key=key,
            defaults={"label_de": de, "label_en": en, "phase": phase, "order": order, "next_keys": next_keys},
        )


def _close_cases(case_ids: Iterable[int | None]) -> None:
    """Close the cases of ended reservations (in the caller's transaction)."""
    from amtsweg.cases.models import Case, Phase
    from amtsweg.cases.services import TransitionNotAllowed, case_close_by_process

    for case in Case.objects.filter(pk__in=[pk for pk in case_ids if pk]).exclude(phase=Phase.CLOSED):
        # A status model an administrator changed by hand may not allow it: staff close it then.
        with contextlib.suppress(TransitionNotAllowed):
            case_close_by_process(case=case, channel="worker")


def plate_reserve(
    *, plate: Plate | str, holder: User, channel: str, now: datetime | None = None
) -> PlateReservation:
    """Reserve ``plate`` for ``holder`` for 90 days: the reservation, its case at the Kreis and the
    fee, in one transaction. Problems: 400 ``plate-invalid``, 422 ``wrong-district``, 409
    ``plate-issued`` / ``plate-reserved`` / ``reservation-limit``, 403 for staff accounts."""
    from amtsweg.cases.services import case_open

    now = now or timezone.now()
    _require_citizen(holder)
    wanted = _plate_of(plate)
    if wanted.prefix not in district_prefixes():
        raise Problem(
            f"Hier können nur Kennzeichen mit {', '.join(district_prefixes())} reserviert werden.",
            f"Only plates with {', '.join(district_prefixes())} can be reserved here.",
            status_code=422,
            code="wrong-district",
        )
    authority = _registration_authority()
    service = Service.objects.get(leika_key=RESERVATION_SERVICE)
    limit = int(settings.VEHICLES_RESERVATIONS_PER_PERSON)
    _ensure_status_model(service)
    with transaction.atomic():
        # One reservation at a time per person, so the limit holds with several tabs or clients.
        User.objects.select_for_update().filter(pk=holder.pk).values_list("pk", flat=True).get()
        _expire(PlateReservation.objects.filter(plate=wanted.text, status=Status.ACTIVE, expires_at__lte=now))
        held = PlateReservation.objects.filter(
            holder=holder, status=Status.ACTIVE, expires_at__gt=now
        ).count()
        if held >= limit:
            raise ReservationProblem(
                f"Sie haben bereits {held} Wunschkennzeichen reserviert; mehr als {limit} gleichzeitig "
                "sind nicht möglich. Geben Sie eine Reservierung frei, um ein anderes zu reservieren.",
                f"You already hold {held} reserved plates; at most {limit} at a time. Release one to "
                "reserve another.",
                code="reservation-limit",
            )
        if _issued(wanted):
            raise ReservationProblem(
                f"Das Kennzeichen {wanted.text} ist bereits vergeben.",
                f"The plate {wanted.text} is already issued.",
                code="plate-issued",
            )
        try:
            with transaction.atomic():
                reservation = PlateReservation.objects.create(
                    authority=authority,
                    plate=wanted.text,
                    holder=holder,
                    status=Status.ACTIVE,
                    reserved_at=now,
                    expires_at=now + _days(),
                )
        except IntegrityError:
            raise ReservationProblem(
                f"Das Kennzeichen {wanted.text} ist bereits reserviert.",
                f"The plate {wanted.text} is already reserved.",
                code="plate-reserved",
            ) from None
        reservation.case = case_open(
            authority=authority,
            service=service,
            applicant=holder,
            title=f"Wunschkennzeichen {wanted.text}",
            channel=channel,
            actor=holder,
        )
        reservation.save(update_fields=["case"])
        _request_fee(reservation, purpose=f"Reservierung Wunschkennzeichen {wanted.text}")
    return reservation


def _locked(reservation: PlateReservation) -> PlateReservation:
    return (
        PlateReservation.objects.select_for_update(of=("self",)).select_related("case").get(pk=reservation.pk)
    )


def plate_reservation_extend(
    *, reservation: PlateReservation, actor: User, channel: str, now: datetime | None = None
) -> PlateReservation:
    """Extend the holder's active reservation by 90 days from its current end (fee again); only in
    its last 30 days and at most :data:`MAX_EXTENSIONS` time(s)."""
    now = now or timezone.now()
    if actor.pk != reservation.holder_id:
        raise Problem("Das ist nicht Ihre Reservierung.", "This is not your reservation.", status_code=403)
    with transaction.atomic():
        locked = _locked(reservation)
        if not is_active(locked, now=now):
            raise ReservationProblem(
                "Die Reservierung ist beendet und kann nicht verlängert werden.",
                "The reservation has ended and cannot be extended.",
                code="reservation-ended",
            )
        if locked.extensions >= MAX_EXTENSIONS:
            raise ReservationProblem(
                "Die Reservierung wurde bereits verlängert; eine weitere Verlängerung ist nicht möglich.",
                "The reservation was extended already; it cannot be extended again.",
                code="extension-limit",
            )
        if locked.expires_at - now > timedelta(days=EXTEND_WINDOW_DAYS):
            opens = locked.expires_at - timedelta(days=EXTEND_WINDOW_DAYS)
            raise ReservationProblem(
                f"Verlängern können Sie erst in den letzten {EXTEND_WINDOW_DAYS} Tagen der Reservierung, "
                f"ab dem {timezone.localtime(opens):%d.%m.%Y}.",
                f"You can extend only in the last {EXTEND_WINDOW_DAYS} days of the reservation, from "
                f"{timezone.localtime(opens):%Y-%m-%d}.",
                code="extension-too-early",
                extra={"extendable_from": opens.isoformat()},
            )
        locked.expires_at += _days()
        locked.extensions += 1
        locked.save(update_fields=["expires_at", "extensions"])
        if locked.case is None:  # a reservation taken over from elsewhere, without a case yet
            from amtsweg.cases.services import case_open

            locked.case = case_open(
                authority=locked.authority,
                service=Service.objects.get(leika_key=RESERVATION_SERVICE),
                applicant=actor,
                title=f"Wunschkennzeichen {locked.plate}",
                channel=channel,
                actor=actor,
            )
            locked.save(update_fields=["case"])
        _request_fee(locked, purpose=f"Verlängerung Wunschkennzeichen {locked.plate}")
    return locked


def plate_reservation_release(
    *,
    reservation: PlateReservation,
    actor: User,
    channel: str,
    reason: str = "",
    now: datetime | None = None,
) -> PlateReservation:
    """End an active reservation: by its holder, or by staff of the Zulassungsbehörde with a
    reason (recorded in the audit log). The plate is free again at once."""
    now = now or timezone.now()
    by_staff = actor.pk != reservation.holder_id
    if by_staff:
        if not (actor.is_staff_account and access.can_access(actor, reservation.authority_id)):
            raise Problem(
                "Das ist nicht Ihre Reservierung.", "This is not your reservation.", status_code=403
            )
        if not reason.strip():
            raise Problem(
                "Bitte geben Sie einen Grund für die Freigabe an.",
                "Please give a reason for the release.",
                status_code=400,
                code="reason-required",
            )
    with transaction.atomic():
        locked = _locked(reservation)
        if not is_active(locked, now=now):
            raise ReservationProblem(
                "Die Reservierung ist bereits beendet.",
                "The reservation has already ended.",
                code="reservation-ended",
            )
        locked.status = Status.RELEASED
        locked.ended_at = now
        locked.save(update_fields=["status", "ended_at"])
        _close_cases([locked.case_id])
        if by_staff:
            access.audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.authority_id,
                channel=channel,
                changes={"status": [Status.ACTIVE, Status.RELEASED], "reason": reason.strip()[:500]},
            )
    return locked


def plate_reservations_expire(*, now: datetime | None = None) -> int:
    """Mark every active reservation past its end as expired (the worker's sweep); returns how many.
    One UPDATE on the partial index ``vehicles_reservation_due``."""
    now = now or timezone.now()
    with transaction.atomic():
        return _expire(PlateReservation.objects.filter(status=Status.ACTIVE, expires_at__lte=now))


def _expire(due: QuerySet[PlateReservation]) -> int:
    """Mark ``due`` reservations expired and close their cases; how many."""
    rows = list(due.select_for_update().values_list("pk", "case_id"))
    if not rows:
        return 0
    PlateReservation.objects.filter(pk__in=[pk for pk, _ in rows], status=Status.ACTIVE).update(
        status=Status.EXPIRED, ended_at=F("expires_at")
    )
    _close_cases(case_id for _, case_id in rows)
    return len(rows)


def plate_reservation_use(*, plate: Plate | str, holder: User, now: datetime | None = None) -> bool:
    """The Zulassungsstelle allots ``plate`` to a vehicle of ``holder``: their active reservation of
    it (if any) becomes ``used``. Returns whether there was one. Called in the caller's transaction
    by whoever allots plates (the register step of a registration); a plate reserved by someone
    else must not be allotted (:func:`plate_availability` says ``reserved``)."""
    now = now or timezone.now()
    wanted = _plate_of(plate)
    held = PlateReservation.objects.filter(
        plate=wanted.text, holder=holder, status=Status.ACTIVE, expires_at__gt=now
    )
    case_ids = list(held.values_list("case_id", flat=True))
    if not held.update(status=Status.USED, ended_at=now):
        return False
    _close_cases(case_ids)
    return True
