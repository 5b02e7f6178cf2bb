"""The citizen's booking pages in the portal: choose services and an office (or the earliest free
time anywhere), a day and a time, book with a proof of work, and manage the appointment through
the secret link from the e-mail (confirm, cancel, reschedule, calendar file).

Pages of the secret link are never cached, never indexed and send no referrer to other sites (the
token is in the URL). A GET never changes anything (mail scanners open links); every change is a
POST with CSRF.
"""

from __future__ import annotations

from collections import Counter as Tally
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import wraps
from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.core import ratelimit
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_required, citizen_user

from . import calendar, pow, selectors, slots
from .forms import (
    ContactForm,
    ItemsInvalid,
    format_items,
    parse_items,
    parse_mode,
    parse_start,
    start_choices,
)
from .ics import appointment_ics
from .models import Appointment, AppointmentOffice, AppointmentRequest, OfficeService
from .problems import BookingError, ChallengeFailed, HoldExpired, LimitReached, SlotTaken
from .services import (
    ALTERNATIVES,
    BOOKING_RATE_SCOPE,
    Contact,
    appointment_cancel,
    appointment_confirm,
    appointment_reschedule,
    appointment_reserve,
    appointment_token,
    challenge_check,
    challenge_required,
)

RATE_WINDOW = 3600
ANYWHERE = "any"


def _error(request: HttpRequest, message: str, *, status: int = 400) -> HttpResponse:
    return render(request, "portal/error.html", {"status": status, "message": message}, status=status)


def _secret(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page reached through the secret link: the token in the URL must not leak or be stored."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        appointment = selectors.appointment_by_token(token)
        if appointment is None:
            raise Http404
        response = view(request, appointment, token, *args, **kwargs)
        add_never_cache_headers(response)
        # Never to other sites (the token is in the URL); "no-referrer" would make the browser send
        # "Origin: null" with the page's own forms, which the CSRF check rightly refuses.
        response["Referrer-Policy"] = "same-origin"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


# --- what is being booked ---------------------------------------------------------------------


@dataclass
class Choice:
    """The services, the mode and (for one office) the office of a booking, read from the URL."""

    items: list[tuple[str, int]]
    mode: str
    office: AppointmentOffice | None  # None: earliest free anywhere
    request_for: AppointmentRequest | None = None

    def query(self, **extra: str) -> str:
        params: list[tuple[str, str]] = [("office", str(self.office.pk) if self.office else ANYWHERE)]
        params += [("s", value) for value in format_items(self.items)]
        params.append(("mode", self.mode))
        if self.request_for is not None:
            params.append(("anfrage", str(self.request_for.pk)))
        params += list(extra.items())
        return urlencode(params)


def _request_for(request: HttpRequest, value: str | None) -> AppointmentRequest | None:
    """The case's appointment request named in the URL; only its applicant may book for it."""
    if not value:
        return None
    user = citizen_user(request)
    if user is None or not value.isdigit():
        raise Http404
    found = (
        AppointmentRequest.objects.select_related("case", "authority", "office")
        .filter(pk=int(value), case__applicant=user)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _request_items(found: AppointmentRequest) -> list[tuple[str, int]]:
    return sorted(Tally(str(key) for key in found.services).items())


def _choice(request: HttpRequest, data: Any) -> Choice:
    """The booking being chosen; Http404 for an unknown office, ItemsInvalid for a broken link."""
    request_for = _request_for(request, data.get("anfrage"))
    mode = parse_mode(data.get("mode"))
    items = _request_items(request_for) if request_for else parse_items(data.getlist("s"))
    office_value = str(data.get("office", ""))
    if request_for is not None and request_for.office_id is not None:
        office_value = str(request_for.office_id)
    if office_value == ANYWHERE:
        return Choice(items, mode, None, request_for)
    if not office_value.isdigit():
        raise Http404
    offices = slots.bookable_offices(authority=request_for.authority if request_for else None)
    office = offices.filter(pk=int(office_value)).first()
    if office is None:
        raise Http404
    return Choice(items, mode, office, request_for)


def _office_request(choice: Choice) -> slots.Request:
    assert choice.office is not None
    return slots.resolve_services(choice.office, list(choice.items), mode=choice.mode)


def _summary(booking: slots.Request) -> list[tuple[str, int]]:
    return [(service.service.name, quantity) for service, quantity in booking.office_services]


# --- start, times, booking --------------------------------------------------------------------


def _bookable_services(offices: list[AppointmentOffice]) -> list[tuple[str, str, int]]:
    """(LeiKa key, name, highest quantity) of every service bookable online at one of ``offices``."""
    found: dict[str, tuple[str, int]] = {}
    rows = OfficeService.objects.filter(office__in=offices, bookable_online=True).values_list(
        "service__leika_key", "service__name", "max_quantity"
    )
    for key, name, maximum in rows:
        previous = found.get(key)
        found[key] = (name, max(maximum, previous[1] if previous else 0))
    return sorted(((key, name, top) for key, (name, top) in found.items()), key=lambda row: row[1])


@require_safe
def appointments_start(request: HttpRequest) -> HttpResponse:
    """Choose services (with quantity), the office or "earliest anywhere", and in person or by video."""
    offices = list(slots.bookable_offices())
    services = _bookable_services(offices)
    errors: dict[str, str] = {}
    chosen_office = request.GET.get("office", "")
    chosen_mode = parse_mode(request.GET.get("mode"))
    if "weiter" in request.GET:
        items = start_choices(request.GET, services)
        if not items:
            errors["services"] = _("Bitte wählen Sie mindestens eine Leistung.")
        if chosen_office != ANYWHERE and chosen_office not in {str(office.pk) for office in offices}:
            errors["office"] = _("Bitte wählen Sie eine Dienststelle oder „Frühester Termin überall“.")
        if not errors:
            choice_query = urlencode(
                [
                    ("office", chosen_office),
                    *[("s", value) for value in format_items(items)],
                    ("mode", chosen_mode),
                ]
            )
            return redirect(f"{reverse('portal:appointments_slots')}?{choice_query}")
    quantities = {key: str(request.GET.get(f"n_{key}", "0")) for key, _name, _max in services}
    return render(
        request,
        "appointments/portal/start.html",
        {
            "offices": offices,
            "services": [
                (key, name, range(0, maximum + 1), quantities[key]) for key, name, maximum in services
            ],
            "video_offered": any(office.video_enabled for office in offices),
            "chosen_office": chosen_office,
            "chosen_mode": chosen_mode,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@require_safe
def appointments_slots(request: HttpRequest) -> HttpResponse:
    """The free days of the window and the times of the chosen day (or offers per office)."""
    try:
        choice = _choice(request, request.GET)
    except ItemsInvalid:
        return _error(request, _("Dieser Link ist unvollständig. Bitte wählen Sie die Leistungen neu."))
    start_url = reverse("portal:appointments_start")
    if choice.office is None:
        offices = slots.bookable_offices(
            authority=choice.request_for.authority if choice.request_for else None
        )
        offers = slots.earliest_free(offices, choice.items, mode=choice.mode, limit=20)
        return render(
            request,
            "appointments/portal/anywhere.html",
            {
                "offers": [
                    (offer, reverse("portal:appointments_book") + "?" + _with_office(choice, offer))
                    for offer in offers
                ],
                "start_url": start_url,
                "choice": choice,
            },
        )
    try:
        booking = _office_request(choice)
    except BookingError as problem:
        return _error(request, problem.localized())
    days = slots.free_slots(choice.office, booking)
    chosen_day = _parse_day(request.GET.get("tag"))
    day = next((d for d in days if d.day == chosen_day), days[0] if days else None)
    return render(
        request,
        "appointments/portal/slots.html",
        {
            "office": choice.office,
            "summary": _summary(booking),
            "duration": booking.duration_minutes,
            "choice": choice,
            "months": _months(days, choice),
            "day": day,
            "times": [
                (
                    start,
                    reverse("portal:appointments_book") + "?" + choice.query(start=start.isoformat()),
                )
                for start in (day.starts if day else [])
            ],
            "start_url": start_url,
        },
    )


def _with_office(choice: Choice, offer: slots.Offer) -> str:
    one = Choice(choice.items, choice.mode, offer.office, choice.request_for)
    return one.query(start=offer.starts_at.isoformat())


def _parse_day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value and len(value) == 10 else None
    except ValueError:
        return None


def _months(
    days: list[slots.DaySlots], choice: Choice
) -> list[tuple[date, list[tuple[slots.DaySlots, str]]]]:
    months: list[tuple[date, list[tuple[slots.DaySlots, str]]]] = []
    base = reverse("portal:appointments_slots")
    for day in days:
        first = day.day.replace(day=1)
        if not months or months[-1][0] != first:
            months.append((first, []))
        months[-1][1].append((day, f"{base}?{choice.query(tag=day.day.isoformat())}#zeiten"))
    return months


def _free_at(office: AppointmentOffice, booking: slots.Request, start: datetime) -> bool:
    day = calendar.local_day(start)
    return any(start in found.starts for found in slots.free_slots(office, booking, start=day, days=1))


@require_http_methods(["GET", "HEAD", "POST"])
def appointments_book(request: HttpRequest) -> HttpResponse:
    """The contact form with the proof of work; POST reserves (guest) or books (verified account)."""
    data = request.POST if request.method == "POST" else request.GET
    try:
        choice = _choice(request, data)
    except ItemsInvalid:
        return _error(request, _("Dieser Link ist unvollständig. Bitte wählen Sie die Leistungen neu."))
    if choice.office is None:
        raise Http404
    try:
        booking = _office_request(choice)
    except BookingError as problem:
        return _error(request, problem.localized())
    office = choice.office
    account = citizen_user(request)
    start = parse_start(data.get("start"))
    problem_text = ""
    alternatives: list[datetime] = []
    status = 200
    if request.method == "POST":
        form = ContactForm(request.POST, account=account)
        outcome = _book(request, form, choice, booking, start, account)
        if isinstance(outcome, HttpResponseBase):
            return outcome  # type: ignore[return-value]
        problem_text, alternatives, status = outcome
    else:
        form = ContactForm(account=account)
        if start is None or not _free_at(office, booking, start):
            problem_text = _("Diese Zeit ist nicht (mehr) frei. Bitte wählen Sie eine andere.")
            alternatives = _alternatives(office, booking, start)
            start = None
    challenge = pow.challenge_issue() if challenge_required(account) else None
    return render(
        request,
        "appointments/portal/book.html",
        {
            "office": office,
            "choice": choice,
            "summary": _summary(booking),
            "duration": booking.duration_minutes,
            "start": start,
            "alternatives": alternatives,
            "problem": problem_text,
            "form": form,
            "account": account,
            "challenge": challenge,
            "hidden": [("office", str(office.pk)), ("mode", choice.mode)]
            + [("s", value) for value in format_items(choice.items)]
            + ([("anfrage", str(choice.request_for.pk))] if choice.request_for else []),
            "slots_url": reverse("portal:appointments_slots") + "?" + choice.query(),
        },
        status=status,
    )


def _alternatives(
    office: AppointmentOffice, booking: slots.Request, after: datetime | None
) -> list[datetime]:
    return slots.next_free(office, booking, after=after or timezone.now(), limit=ALTERNATIVES)


def _book(
    request: HttpRequest,
    form: ContactForm,
    choice: Choice,
    booking: slots.Request,
    start: datetime | None,
    account: User | None,
) -> HttpResponseBase | tuple[str, list[datetime], int]:
    """Try the booking; a redirect on success, else (message, alternative times, status)."""
    assert choice.office is not None
    address = ratelimit.client_address(request)
    if not ratelimit.hit(
        BOOKING_RATE_SCOPE, address, limit=settings.APPOINTMENTS_BOOKINGS_PER_HOUR, window=RATE_WINDOW
    ):
        return (
            _(
                "Zu viele Buchungsversuche von Ihrem Anschluss. "
                "Bitte versuchen Sie es in einer Stunde erneut."
            ),
            [],
            429,
        )
    if not form.is_valid():
        return "", [], 400
    if start is None:
        return (
            _("Bitte wählen Sie eine Uhrzeit."),
            _alternatives(choice.office, booking, None),
            400,
        )
    if challenge_required(account) and not form.cleaned_data["solution"]:
        return (
            _(
                "Die Sicherheitsprüfung gegen automatisierte Buchungen braucht JavaScript. "
                "Bitte schalten Sie JavaScript ein oder melden Sie sich mit Ihrem Bürgerkonto an."
            ),
            [],
            400,
        )
    try:
        challenge_check(
            user=account, challenge=form.cleaned_data["challenge"], solution=form.cleaned_data["solution"]
        )
    except ChallengeFailed as problem:
        return problem.localized(), [], 400
    name, email, phone = form.contact_values()
    try:
        appointment, token = appointment_reserve(
            office=choice.office,
            items=list(choice.items),
            starts_at=start,
            contact=Contact(name=name, email=email, phone=phone, language=(get_language() or "de")[:2]),
            user=account,
            mode=choice.mode,
            channel="web",
            case=choice.request_for.case if choice.request_for else None,
            request=choice.request_for,
        )
    except SlotTaken as problem:
        taken = [
            moment
            for moment in (parse_start(str(v)) for v in problem.extra.get("alternatives", []))
            if moment
        ]
        return _("Dieser Termin ist gerade vergeben worden. Bitte wählen Sie eine andere Zeit."), taken, 409
    except LimitReached as problem:
        return problem.localized(), [], 409
    except BookingError as problem:
        return problem.localized(), _alternatives(choice.office, booking, start), problem.status_code
    if appointment.status == Appointment.Status.BOOKED:
        messages.success(request, _("Ihr Termin ist gebucht. Die Bestätigung kommt per E-Mail."))
        return redirect("portal:appointments_manage", token=token)
    return redirect("portal:appointments_reserved", reference=appointment.reference)


@require_safe
def appointments_reserved(request: HttpRequest, reference: str) -> HttpResponse:
    """ "Please check your e-mail": names nothing about the appointment (the reference is public)."""
    return render(request, "appointments/portal/reserved.html", {})


# --- the secret link ----------------------------------------------------------------------------


def _qr_data_uri(reference: str) -> str:
    return str(segno.make(reference, error="m", micro=False).svg_data_uri(scale=5, border=4))


def _video_url(appointment: Appointment, *, moderator: bool = False) -> str | None:
    if appointment.mode != Appointment.Mode.VIDEO or appointment.status != Appointment.Status.BOOKED:
        return None
    from .video import meeting_url

    return meeting_url(appointment, display_name=appointment.name, moderator=moderator)


def _changeable(appointment: Appointment) -> bool:
    return (
        appointment.status in (Appointment.Status.RESERVED, Appointment.Status.BOOKED)
        and appointment.starts_at > timezone.now()
    )


def _movable(appointment: Appointment) -> bool:
    """Only a confirmed appointment moves (a reservation is confirmed or left to expire first)."""
    return appointment.status == Appointment.Status.BOOKED and appointment.starts_at > timezone.now()


def _hold_expired(appointment: Appointment) -> bool:
    return (
        appointment.status == Appointment.Status.RESERVED
        and appointment.hold_expires_at is not None
        and appointment.hold_expires_at <= timezone.now()
    )


def manage_url(token: str) -> str:
    from amtsweg.outbox import conf

    return conf.public_url() + reverse("portal:appointments_manage", kwargs={"token": token})


@require_safe
@_secret
def appointments_manage(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    return render(
        request,
        "appointments/portal/manage.html",
        {
            "appointment": appointment,
            "office": appointment.office.office,
            "items": list(appointment.items.select_related("service__service")),
            "token": token,
            "qr": _qr_data_uri(appointment.reference),
            "video_url": _video_url(appointment),
            "hold_expired": _hold_expired(appointment),
            "changeable": _changeable(appointment) and not _hold_expired(appointment),
            "movable": _movable(appointment),
        },
    )


@require_POST
@_secret
def appointments_confirm(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    try:
        appointment_confirm(token=token)
    except HoldExpired as problem:
        messages.error(request, problem.localized())
    except BookingError as problem:
        messages.error(request, problem.localized())
    else:
        messages.success(
            request, _("Ihr Termin ist bestätigt. Sie erhalten eine E-Mail mit dem Kalendereintrag.")
        )
    return redirect("portal:appointments_manage", token=token)


@require_http_methods(["GET", "HEAD", "POST"])
@_secret
def appointments_cancel(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    """GET asks "really cancel?", POST cancels."""
    if request.method == "POST":
        try:
            appointment_cancel(appointment=appointment, by="citizen")
        except BookingError as problem:
            messages.error(request, problem.localized())
        else:
            messages.success(request, _("Ihr Termin ist abgesagt."))
        return redirect("portal:appointments_manage", token=token)
    return render(
        request,
        "appointments/portal/cancel.html",
        {
            "appointment": appointment,
            "office": appointment.office.office,
            "token": token,
            "changeable": _changeable(appointment),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@_secret
def appointments_reschedule(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    """Another time for the same services at the same office; the person stays the same."""
    office = slots.bookable_offices().filter(pk=appointment.office_id).first()
    if office is None or not _movable(appointment):
        messages.error(request, _("Dieser Termin kann nicht mehr verschoben werden."))
        return redirect("portal:appointments_manage", token=token)
    items: list[tuple[int | str, int]] = [
        (item.service_id, item.quantity) for item in appointment.items.all()
    ]
    booking = slots.resolve_services(office, items, mode=appointment.mode)
    problem_text = ""
    alternatives: list[datetime] = []
    status = 200
    if request.method == "POST":
        start = parse_start(request.POST.get("start"))
        if start is None:
            problem_text, status = _("Bitte wählen Sie eine Uhrzeit."), 400
        else:
            try:
                moved = appointment_reschedule(appointment=appointment, starts_at=start)
            except SlotTaken as problem:
                problem_text, status = (
                    _("Dieser Termin ist gerade vergeben worden. Bitte wählen Sie eine andere Zeit."),
                    409,
                )
                alternatives = [
                    m for m in (parse_start(str(v)) for v in problem.extra.get("alternatives", [])) if m
                ]
            except BookingError as problem:
                problem_text, status = problem.localized(), problem.status_code
            else:
                messages.success(
                    request, _("Ihr Termin ist verschoben. Sie erhalten eine E-Mail mit der neuen Zeit.")
                )
                return redirect("portal:appointments_manage", token=appointment_token(moved))
    days = slots.free_slots(office, booking, mode=appointment.mode)
    chosen_day = _parse_day(request.GET.get("tag"))
    day = next((d for d in days if d.day == chosen_day), days[0] if days else None)
    base = reverse("portal:appointments_reschedule", kwargs={"token": token})
    months: list[tuple[date, list[tuple[slots.DaySlots, str]]]] = []
    for found in days:
        first = found.day.replace(day=1)
        if not months or months[-1][0] != first:
            months.append((first, []))
        months[-1][1].append((found, f"{base}?tag={found.day.isoformat()}#zeiten"))
    return render(
        request,
        "appointments/portal/reschedule.html",
        {
            "appointment": appointment,
            "office": office.office,
            "token": token,
            "months": months,
            "day": day,
            "times": alternatives or (day.starts if day else []),
            "problem": problem_text,
        },
        status=status,
    )


@require_safe
@_secret
def appointments_ics(request: HttpRequest, appointment: Appointment, token: str) -> HttpResponse:
    cancelled = appointment.status in (Appointment.Status.CANCELLED, Appointment.Status.EXPIRED)
    body = appointment_ics(
        appointment, manage_url=manage_url(token), video_url=_video_url(appointment), cancel=cancelled
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="termin-{appointment.reference}.ics"'
    return response


# --- booking for a case -----------------------------------------------------------------------


@require_safe
@citizen_required
def appointments_request(request: HttpRequest, request_id: int) -> HttpResponse:
    """The applicant books the appointment their case asks for (services and office preset)."""
    found = _request_for(request, str(request_id))
    assert found is not None
    if found.status != AppointmentRequest.Status.OPEN:
        return render(request, "appointments/portal/request.html", {"found": found, "closed": True})
    office = str(found.office_id) if found.office_id else ANYWHERE
    query = urlencode([("office", office), ("anfrage", str(found.pk))])
    return render(
        request,
        "appointments/portal/request.html",
        {
            "found": found,
            "closed": False,
            "next_url": f"{reverse('portal:appointments_slots')}?{query}",
            "services": _request_services(found),
        },
    )


def _request_services(found: AppointmentRequest) -> list[tuple[str, int]]:
    names = dict(
        OfficeService.objects.filter(service__leika_key__in=found.services)
        .values_list("service__leika_key", "service__name")
        .distinct()
    )
    return [(names.get(key, key), quantity) for key, quantity in _request_items(found)]


__all__ = [
    "appointments_book",
    "appointments_cancel",
    "appointments_confirm",
    "appointments_ics",
    "appointments_manage",
    "appointments_request",
    "appointments_reschedule",
    "appointments_reserved",
    "appointments_slots",
    "appointments_start",
    "manage_url",
]
