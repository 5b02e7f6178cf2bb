"""Waiting-room pages: the kiosk check-in and the call-up display (public), and the staff queue board.

Thin: forms validate, ``appointments.queue`` decides and writes.
"""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from . import queue
from .models import AppointmentOffice, Counter, OfficeService, QueueTicket

CHANNEL = "web"
# Check-ins per client address and minute. A kiosk is one address for a whole waiting room, so the
# limit is generous; it only has to make guessing references pointless.
CHECKINS_PER_MINUTE = int(getattr(settings, "APPOINTMENTS_CHECKINS_PER_MINUTE", 30))
# The display reloads itself this often without JavaScript; with it, display.js polls the JSON.
DISPLAY_REFRESH_SECONDS = 10


class CheckinForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Terminnummer"),
        max_length=300,
        help_text=gettext_lazy(
            "Halten Sie den QR-Code Ihrer Terminbestätigung vor den Scanner oder tippen Sie die "
            "Terminnummer ein, z. B. T-7K3M-9QXA."
        ),
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "off", "autocapitalize": "characters"}
        ),
    )


def _public_office(ags: str, office_slug: str) -> AppointmentOffice:
    office = (
        AppointmentOffice.objects.select_related("office__authority")
        .filter(office__authority__ags=ags, office__slug=office_slug)
        .first()
    )
    if office is None:
        raise Http404
    return office


@require_http_methods(["GET", "POST"])
def checkin(request: HttpRequest, ags: str, office_slug: str) -> HttpResponse:
    """``termine/<ags>/<office>/anmeldung/``: the kiosk at the door (QR scanner or keyboard)."""
    office = _public_office(ags, office_slug)
    form = CheckinForm(request.POST if request.method == "POST" else None)
    status_code = 200
    if request.method == "POST":
        address = ratelimit.client_address(request)
        if not ratelimit.hit("appointments-checkin", address, limit=CHECKINS_PER_MINUTE, window=60):
            form.add_error(None, _("Zu viele Versuche. Bitte warten Sie eine Minute."))
            status_code = 429
        elif form.is_valid():
            try:
                ticket = queue.queue_checkin(office=office, code=form.cleaned_data["code"])
            except Problem as problem:
                form.add_error("code", problem.localized())
                status_code = problem.status_code
            else:
                return render(
                    request,
                    "appointments/queue/checkin_done.html",
                    {"office": office, "ticket": ticket, "form": CheckinForm()},
                )
        else:
            status_code = 400
    return render(
        request, "appointments/queue/checkin.html", {"office": office, "form": form}, status=status_code
    )


@require_safe
@never_cache
def display(request: HttpRequest, ags: str, office_slug: str) -> HttpResponse:
    """``termine/<ags>/<office>/aufruf/``: the call-up screen of the waiting room (numbers only)."""
    office = _public_office(ags, office_slug)
    state = queue.display_state(office)
    return render(
        request,
        "appointments/queue/display.html",
        {
            "office": office,
            "state": state,
            # The same serialisation as the JSON endpoint, so display.js sees "no change" at first.
            "state_json": json.dumps(state.as_json(), separators=(",", ":"), ensure_ascii=False),
            "refresh_seconds": DISPLAY_REFRESH_SECONDS,
        },
    )


@require_safe
@never_cache
def display_json(request: HttpRequest, ags: str, office_slug: str) -> JsonResponse:
    """The display's data for ``display.js``: ``{"calls": [{"number", "counter"}], "waiting": n}``."""
    office = _public_office(ags, office_slug)
    return JsonResponse(queue.display_state(office).as_json())


# --- the staff board --------------------------------------------------------------------------

ACTIONS = ("checkin", "walkin", "call", "recall", "start", "finish", "missed")


class QueueActionForm(forms.Form):
    aktion = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    termin = forms.CharField(label=gettext_lazy("Terminnummer"), max_length=300, required=False)
    # The service by LeiKa key and the counter by its display label: both unique within an office.
    leistung = forms.CharField(max_length=20, required=False)
    schalter = forms.CharField(max_length=20, required=False)
    nummer = forms.IntegerField(required=False)


def _session_key(office: AppointmentOffice) -> str:
    return f"appointments_counter_{office.pk}"


def _staff_office(request: HttpRequest, authority: Authority, slug: str) -> AppointmentOffice:
    # Scoped by tenancy.access; the read is audited by the board itself, with what it showed.
    office = (
        access.scope(
            AppointmentOffice.objects.filter(office__authority=authority),
            request.user,
            via="office__authority",
        )
        .select_related("office__authority")
        .filter(office__slug=slug)
        .first()
    )
    if office is None:
        raise Http404
    return office


@require_http_methods(["GET", "POST"])
@staff_page()
def board(request: HttpRequest, authority: Authority, slug: str) -> HttpResponse:
    """``<ags>/termine/<slug>/warteschlange/``: expected appointments, the queue, and its actions."""
    office = _staff_office(request, authority, slug)
    assert isinstance(request.user, User)
    if request.method == "POST":
        return _act(request, authority, office, request.user)
    state = queue.board(office)
    access.audit(
        actor=request.user,
        action=AuditEvent.Action.READ,
        obj=office,
        authority_id=authority.pk,
        channel=CHANNEL,
        changes={"queue_board": state.day.isoformat(), "appointments": state.appointment_ids()},
    )
    return render(
        request,
        "appointments/queue/board.html",
        backoffice_context(
            request,
            authority,
            office=office,
            board=state,
            counter_label=request.session.get(_session_key(office)),
        ),
    )


def _act(request: HttpRequest, authority: Authority, office: AppointmentOffice, user: User) -> HttpResponse:
    target = HttpResponseRedirect(
        reverse("backoffice:appointments_queue", kwargs={"ags": authority.ags, "slug": office.office.slug})
    )
    form = QueueActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Diese Aktion ist unvollständig."))
        return target
    data = form.cleaned_data
    action = data["aktion"]
    try:
        if action == "checkin":
            ticket = queue.queue_checkin(office=office, code=data["termin"] or "", actor=user)
            messages.success(request, _("Angemeldet: Wartenummer %(number)s.") % {"number": ticket.number})
        elif action == "walkin":
            service = OfficeService.objects.filter(office=office, service__leika_key=data["leistung"]).first()
            if service is None:
                messages.error(request, _("Bitte wählen Sie ein Anliegen."))
                return target
            ticket = queue.queue_walkin(office=office, service=service, actor=user)
            messages.success(
                request, _("Vorsprache ohne Termin: Wartenummer %(number)s.") % {"number": ticket.number}
            )
        elif action == "call":
            counter = Counter.objects.filter(office=office, label=data["schalter"], active=True).first()
            if counter is None:
                messages.error(request, _("Bitte wählen Sie Ihren Schalter."))
                return target
            request.session[_session_key(office)] = counter.label
            ticket = queue.queue_call_next(office=office, counter=counter, actor=user)
            messages.success(
                request,
                _("Nummer %(number)s an Schalter %(counter)s aufgerufen.")
                % {"number": ticket.number, "counter": counter.label},
            )
        else:
            found = QueueTicket.objects.filter(office=office, pk=data["nummer"]).first()
            if found is None:
                messages.error(request, _("Diese Wartenummer gibt es hier nicht."))
                return target
            ticket = queue.queue_transition(ticket=found, action=action, actor=user)
            messages.success(
                request,
                _("Nummer %(number)s: %(status)s.")
                % {"number": ticket.number, "status": ticket.get_status_display()},
            )
    except Problem as problem:
        messages.error(request, problem.localized())
    return target
