"""Desired plates (Wunschkennzeichen) in the portal and the back office.

Portal: the public availability check (a GET form: works without login and without JavaScript),
the confirmation page and the reservation (citizen login), and "Meine Kennzeichen" with extend and
release. Back office of the Zulassungsbehörde: reservations searched by plate, release with reason.
Every change is a POST with CSRF; views call one service and render.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.selectors_citizen import postbox_unread_count
from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_required, citizen_user
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import reservations
from .models import PlateReservation

CHANNEL_WEB = "web"


class PlateForm(forms.Form):
    kennzeichen = forms.CharField(
        label=gettext_lazy("Wunschkennzeichen"),
        max_length=20,
        help_text=gettext_lazy("Zum Beispiel NE-AB 123 oder GV-X 7E (E: Elektrofahrzeug, H: Oldtimer)."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )


class ReleaseForm(forms.Form):
    grund = forms.CharField(
        label=gettext_lazy("Grund der Freigabe"),
        max_length=500,
        help_text=gettext_lazy("Wird im Protokoll gespeichert."),
    )


def _problem_text(problem: Problem) -> str:
    return problem.localized()


def _fee() -> str:
    return f"{Decimal(int(settings.VEHICLES_RESERVATION_FEE_CENTS)) / 100:.2f}".replace(".", ",")


def _plate_context(**extra: object) -> dict[str, object]:
    return {
        "fee": _fee(),
        "days": int(settings.VEHICLES_RESERVATION_DAYS),
        "per_person": int(settings.VEHICLES_RESERVATIONS_PER_PERSON),
        "prefixes": reservations.district_prefixes(),
        "extend_window": reservations.EXTEND_WINDOW_DAYS,
        **extra,
    }


def _message(availability: reservations.Availability) -> str:
    english = (get_language() or "de").startswith("en")
    return availability.message_en if english else availability.message_de


# --- portal ---------------------------------------------------------------------------------------


@require_safe
def plates_check(request: HttpRequest) -> HttpResponse:
    """``/kennzeichen/``: the public availability check; with ``?kennzeichen=`` the answer."""
    form = PlateForm(request.GET if "kennzeichen" in request.GET else None)
    availability = None
    problem = ""
    status = 200
    if form.is_bound and form.is_valid():
        try:
            reservations.rate_limit(
                "availability", ratelimit.client_address(request), per_hour=reservations.AVAILABILITY_PER_HOUR
            )
        except Problem as exc:
            problem, status = _problem_text(exc), 429
        else:
            availability = reservations.plate_availability(form.cleaned_data["kennzeichen"])
            if availability.verdict is reservations.Verdict.INVALID:
                form.add_error("kennzeichen", _message(availability))
                availability = None
    context = _plate_context(
        form=form,
        availability=availability,
        message=_message(availability) if availability else "",
        problem=problem,
        citizen=citizen_user(request),
    )
    return render(request, "vehicles/plates_check.html", context, status=status)


@citizen_required
@require_http_methods(["GET", "POST"])
def plates_reserve(request: HttpRequest) -> HttpResponse:
    """``/kennzeichen/reservieren/``: confirm (GET ``?kennzeichen=``) and reserve (POST)."""
    holder = citizen_user(request)
    assert holder is not None
    data = request.POST if request.method == "POST" else request.GET
    form = PlateForm(data)
    if not form.is_valid():
        return redirect("portal:plates_check")
    availability = reservations.plate_availability(form.cleaned_data["kennzeichen"], suggest=0)
    problem = ""
    status = 200
    if request.method == "POST":
        try:
            reservations.rate_limit("reserve", str(holder.pk), per_hour=reservations.RESERVATIONS_PER_HOUR)
            reservation = reservations.plate_reserve(
                plate=form.cleaned_data["kennzeichen"], holder=holder, channel=CHANNEL_WEB
            )
        except Problem as exc:
            problem, status = _problem_text(exc), exc.status_code
        else:
            messages.success(
                request,
                _(
                    "Das Kennzeichen %(plate)s ist für Sie reserviert bis zum %(until)s. "
                    "Bitte bezahlen Sie die Gebühr."
                )
                % {
                    "plate": reservation.plate,
                    "until": timezone.localtime(reservation.expires_at).strftime("%d.%m.%Y"),
                },
            )
            return redirect("portal:plates_mine")
    elif not availability.available:
        problem, status = _message(availability), 409 if availability.plate else 400
    context = _plate_context(
        form=form, availability=availability, message=_message(availability), problem=problem
    )
    return render(request, "vehicles/plates_reserve.html", context, status=status)


@citizen_required
@require_safe
def plates_mine(request: HttpRequest) -> HttpResponse:
    """``/konto/kennzeichen/``: the citizen's reservations with extend, release and the fee."""
    holder = citizen_user(request)
    assert holder is not None
    now = timezone.now()
    rows = [
        {
            "reservation": reservation,
            "active": reservations.is_active(reservation, now=now),
            "can_extend": reservations.can_extend(reservation, now=now),
            "extend_from": reservation.expires_at - timedelta(days=reservations.EXTEND_WINDOW_DAYS),
            "open_payments": [
                p for p in (reservation.case.payments.all() if reservation.case else []) if p.status == "open"
            ],
        }
        for reservation in reservations.reservations_of(holder)
    ]
    context = _plate_context(rows=rows, unread_count=postbox_unread_count(user=holder))
    return render(request, "vehicles/plates_mine.html", context)


def _own(request: HttpRequest, reservation_id: UUID) -> tuple[User, PlateReservation]:
    holder = citizen_user(request)
    assert holder is not None
    reservation = reservations.reservation_of(holder, reservation_id)
    if reservation is None:
        raise Http404
    return holder, reservation


@citizen_required
@require_POST
def plates_extend(request: HttpRequest, reservation_id: UUID) -> HttpResponse:
    holder, reservation = _own(request, reservation_id)
    try:
        reservation = reservations.plate_reservation_extend(
            reservation=reservation, actor=holder, channel=CHANNEL_WEB
        )
    except Problem as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(
            request,
            _("Die Reservierung von %(plate)s gilt jetzt bis zum %(until)s. Bitte bezahlen Sie die Gebühr.")
            % {
                "plate": reservation.plate,
                "until": timezone.localtime(reservation.expires_at).strftime("%d.%m.%Y"),
            },
        )
    return redirect("portal:plates_mine")


@citizen_required
@require_POST
def plates_release(request: HttpRequest, reservation_id: UUID) -> HttpResponse:
    holder, reservation = _own(request, reservation_id)
    try:
        reservations.plate_reservation_release(reservation=reservation, actor=holder, channel=CHANNEL_WEB)
    except Problem as exc:
        messages.error(request, _problem_text(exc))
    else:
        messages.success(
            request, _("Die Reservierung von %(plate)s ist freigegeben.") % {"plate": reservation.plate}
        )
    return redirect("portal:plates_mine")


# --- back office ----------------------------------------------------------------------------------


def _registration_authority(authority: Authority) -> None:
    """The pages exist only at the Zulassungsbehörde; elsewhere they are not found."""
    if authority.ags != settings.VEHICLES_AUTHORITY_AGS:
        raise Http404


@staff_page()
@require_safe
def plates_reservations(request: HttpRequest, authority: Authority) -> HttpResponse:
    """``/backoffice/<ags>/kennzeichen/``: reservations, searched by plate (any spelling)."""
    _registration_authority(authority)
    assert isinstance(request.user, User)
    query = request.GET.get("kennzeichen", "").strip()[:20]
    rows = list(reservations.reservations_for_staff(request.user, authority, plate=query)[:100])
    now = timezone.now()
    context = backoffice_context(
        request,
        authority,
        query=query,
        rows=[(row, reservations.is_active(row, now=now)) for row in rows],
        release_form=ReleaseForm(),
    )
    return render(request, "vehicles/plates_staff.html", context)


@staff_page()
@require_http_methods(["GET", "POST"])
def plates_release_staff(request: HttpRequest, authority: Authority, reservation_id: UUID) -> HttpResponse:
    """``/backoffice/<ags>/kennzeichen/<id>/freigeben/``: release with a reason (audited)."""
    _registration_authority(authority)
    assert isinstance(request.user, User)
    reservation = access.get_for_user(
        PlateReservation.objects.filter(authority=authority).select_related("holder"),
        request.user,
        channel=CHANNEL_WEB,
        pk=reservation_id,
    )
    form = ReleaseForm(request.POST if request.method == "POST" else None)
    problem = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            reservations.plate_reservation_release(
                reservation=reservation,
                actor=request.user,
                channel=CHANNEL_WEB,
                reason=form.cleaned_data["grund"],
            )
        except Problem as exc:
            problem, status = _problem_text(exc), exc.status_code
        else:
            messages.success(
                request, _("Die Reservierung von %(plate)s ist freigegeben.") % {"plate": reservation.plate}
            )
            url = reverse("backoffice:plates_reservations", kwargs={"ags": authority.ags})
            return redirect(f"{url}?{urlencode({'kennzeichen': reservation.plate})}")
    elif request.method == "POST":
        status = 400
    context = backoffice_context(
        request,
        authority,
        reservation=reservation,
        active=reservations.is_active(reservation),
        form=form,
        problem=problem,
    )
    return render(request, "vehicles/plates_staff_release.html", context, status=status)
