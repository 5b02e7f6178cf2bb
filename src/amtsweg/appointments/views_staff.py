"""Back-office pages of appointments: the authority's offices, the day and week calendar of an office,
an appointment (with staff cancellation and the video link), capacity planning, statistics (with a
CSV download) and the office's settings (administrators).

Thin: the office and the appointment are read through ``tenancy.access`` (``stats`` selectors),
the figures come from ``stats``, cancellations from ``services``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from . import calendar, stats, video
from .forms_staff import (
    WEEKDAY_CHOICES,
    BreakForm,
    ClosureForm,
    CounterForm,
    OfficeServiceForm,
    OfficeSettingsForm,
    PeriodForm,
    closure_conflicts,
    settings_delete,
    settings_save,
)
from .models import Appointment, AppointmentOffice, Break, Closure, Counter, OfficeService, QueueTicket
from .services import appointment_cancel

CHANNEL = "web"
CAPACITY_DAYS, CAPACITY_MAX_DAYS = 14, 92
STATISTICS_DAYS, STATISTICS_MAX_DAYS = 30, 366
WEEKDAYS = dict(WEEKDAY_CHOICES)
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
OfficeView = Callable[..., HttpResponseBase]


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # guaranteed by staff_page
    return request.user


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"status": status, "message": message}, status=status)


def office_page(*, administer: bool = False) -> Callable[[OfficeView], Callable[..., HttpResponseBase]]:
    """A page of one office (``<ags>/termine/<slug>/…``): the view gets ``(request, authority, office)``.

    Other towns' staff get 404 (``staff_page``); with ``administer``, the town's caseworkers get 403:
    they know the office exists, but only the authority's administrators change its settings.
    """

    def decorate(view: OfficeView) -> Callable[..., HttpResponseBase]:
        @staff_page()
        @wraps(view)
        def wrapper(request: HttpRequest, authority: Authority, slug: str, **kwargs: Any) -> HttpResponseBase:
            office = stats.office_for_staff(user=request.user, authority=authority, slug=slug)
            if office is None:
                raise Http404
            if administer and not access.can_access(request.user, authority, administer=True):
                return _error(request, 403, _("Nur die Administration der Behörde darf das ändern."))
            return view(request, authority, office, **kwargs)

        return wrapper

    return decorate


def _context(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, **extra: object
) -> dict[str, object]:
    return backoffice_context(
        request, authority, office=office, today=calendar.local_day(timezone.now()), **extra
    )


# --- offices ------------------------------------------------------------------------------------


@require_safe
@staff_page()
def offices(request: HttpRequest, authority: Authority) -> HttpResponse:
    rows = stats.offices_for_staff(user=request.user, authority=authority)
    return render(
        request,
        "appointments/staff/offices.html",
        backoffice_context(request, authority, offices=rows, today=calendar.local_day(timezone.now())),
    )


# --- calendar -----------------------------------------------------------------------------------


@require_safe
@office_page()
def day(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    raw = request.GET.get("datum", "")
    try:
        shown = date.fromisoformat(raw) if raw else calendar.local_day(timezone.now())
    except ValueError:
        return _error(request, 400, _("Bitte geben Sie das Datum als JJJJ-MM-TT an."))
    plan = stats.day_plan(office=office, day=shown)
    monday = shown - timedelta(days=shown.weekday())
    return render(
        request,
        "appointments/staff/day.html",
        _context(
            request,
            authority,
            office,
            plan=plan,
            previous=shown - timedelta(days=1),
            next=shown + timedelta(days=1),
            week=_week_param(monday),
        ),
    )


def _week_param(monday: date) -> str:
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


@require_safe
@office_page()
def week(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    raw = request.GET.get("woche", "")
    if raw:
        match = _WEEK.fullmatch(raw)
        try:
            monday = date.fromisocalendar(int(match[1]), int(match[2]), 1) if match else None
        except ValueError:
            monday = None
        if monday is None:
            return _error(request, 400, _("Bitte geben Sie die Woche als JJJJ-Www an, z. B. 2026-W14."))
    else:
        today = calendar.local_day(timezone.now())
        monday = today - timedelta(days=today.weekday())
    plan = stats.week_plan(office=office, monday=monday)
    return render(
        request,
        "appointments/staff/week.html",
        _context(
            request,
            authority,
            office,
            plan=plan,
            week=_week_param(monday),
            week_number=monday.isocalendar()[1],
            sunday=monday + timedelta(days=6),
            previous=_week_param(monday - timedelta(days=7)),
            next=_week_param(monday + timedelta(days=7)),
            totals=stats.capacity_totals([d.capacity for d in plan.days]),
        ),
    )


# --- one appointment ----------------------------------------------------------------------------


def _appointment(request: HttpRequest, office: AppointmentOffice, reference: str) -> Appointment:
    # Reading the person's data is recorded in the audit (``get_for_user``).
    return access.get_for_user(
        Appointment.objects.filter(office=office)
        .select_related("counter", "office__office", "case", "rescheduled_to", "user")
        .prefetch_related("items__service__service"),
        request.user,
        channel=CHANNEL,
        reference=reference,
    )


@require_safe
@office_page()
def appointment_detail(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, reference: str
) -> HttpResponse:
    appointment = _appointment(request, office, reference)
    user = _user(request)
    meeting = video.meeting_url(appointment, display_name=user.get_full_name() or user.email, moderator=True)
    cancellable = appointment.status in (Appointment.Status.RESERVED, Appointment.Status.BOOKED) and (
        appointment.starts_at > timezone.now()
    )
    return render(
        request,
        "appointments/staff/appointment.html",
        _context(
            request,
            authority,
            office,
            appointment=appointment,
            meeting_url=meeting,
            cancellable=cancellable,
            ticket=QueueTicket.objects.filter(appointment=appointment).select_related("counter").first(),
            local_day=calendar.local_day(appointment.starts_at),
        ),
    )


@require_POST
@office_page()
def appointment_staff_cancel(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, reference: str
) -> HttpResponse:
    appointment = _appointment(request, office, reference)
    try:
        appointment = appointment_cancel(appointment=appointment, by="staff")
    except Problem as problem:
        messages.error(request, problem.localized())
    else:
        access.audit(
            actor=request.user,
            action=AuditEvent.Action.UPDATE,
            obj=appointment,
            authority_id=appointment.authority_id,
            channel=CHANNEL,
            changes={"status": appointment.status, "cancelled_by": "staff"},
        )
        messages.success(request, _("Der Termin wurde abgesagt; die Person wird per E-Mail benachrichtigt."))
    return redirect(
        "backoffice:appointments_detail", ags=authority.ags, slug=office.office.slug, reference=reference
    )


# --- capacity and statistics --------------------------------------------------------------------


def _period(request: HttpRequest, *, start: date, days: int, max_days: int) -> PeriodForm:
    return PeriodForm(request.GET, default_start=start, default_days=days, max_days=max_days)


@require_safe
@office_page()
def capacity(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    today = calendar.local_day(timezone.now())
    form = _period(request, start=today, days=CAPACITY_DAYS, max_days=CAPACITY_MAX_DAYS)
    if not form.is_valid():
        return render(
            request,
            "appointments/staff/capacity.html",
            _context(request, authority, office, form=form),
            status=400,
        )
    days = stats.capacity(office=office, start=form.cleaned_data["von"], end=form.cleaned_data["bis"])
    return render(
        request,
        "appointments/staff/capacity.html",
        _context(request, authority, office, form=form, days=days, totals=stats.capacity_totals(days)),
    )


def _statistics_period(request: HttpRequest) -> PeriodForm:
    today = calendar.local_day(timezone.now())
    return _period(
        request,
        start=today - timedelta(days=STATISTICS_DAYS - 1),
        days=STATISTICS_DAYS,
        max_days=STATISTICS_MAX_DAYS,
    )


@require_safe
@office_page()
def statistics(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = _statistics_period(request)
    if not form.is_valid():
        return render(
            request,
            "appointments/staff/statistics.html",
            _context(request, authority, office, form=form),
            status=400,
        )
    figures = stats.statistics(office=office, start=form.cleaned_data["von"], end=form.cleaned_data["bis"])
    return render(
        request,
        "appointments/staff/statistics.html",
        _context(request, authority, office, form=form, figures=figures, query=request.GET.urlencode()),
    )


def _number(value: float | None, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@require_safe
@office_page()
def statistics_csv(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = _statistics_period(request)
    if not form.is_valid():
        return _error(request, 400, " ".join(str(e) for errors in form.errors.values() for e in errors))
    figures = stats.statistics(office=office, start=form.cleaned_data["von"], end=form.cleaned_data["bis"])
    response = HttpResponse(content_type="text/csv; charset=utf-8; header=present")
    filename = f"terminstatistik-{office.office.slug}-{figures.start}-{figures.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(
        [
            "datum",
            "buchungen",
            "absagen",
            "wahrgenommen",
            "nicht_erschienen",
            "no_show_quote_prozent",
            "wartezeit_median_minuten",
            "wartezeit_p90_minuten",
            "wartende_aufgerufen",
            "vorlaufzeit_mittel_minuten",
            "vorlaufzeit_messungen",
        ]
    )
    for row in figures.days:
        writer.writerow(
            [
                row.day.isoformat(),
                row.bookings,
                row.cancellations,
                row.attended,
                row.no_show,
                _number(row.no_show_rate),
                _number(row.wait_median),
                _number(row.wait_p90),
                len(row.waits),
                _number(row.lead_average, 0),
                row.lead_samples,
            ]
        )
    return response


# --- settings (administrators) ------------------------------------------------------------------


def _settings_page(
    request: HttpRequest,
    authority: Authority,
    office: AppointmentOffice,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    forms.setdefault("settings_form", OfficeSettingsForm(instance=office, prefix="office"))
    forms.setdefault("counter_form", CounterForm(office=office, prefix="counter"))
    forms.setdefault("service_form", OfficeServiceForm(office=office, prefix="service"))
    forms.setdefault("break_form", BreakForm(office=office, prefix="break"))
    forms.setdefault("closure_form", ClosureForm(office=office, prefix="closure"))
    invalid = next((f for f in forms.values() if f.is_bound and f.errors), None)
    return render(
        request,
        "appointments/staff/settings.html",
        _context(
            request,
            authority,
            office,
            invalid_form=invalid,
            counters=Counter.objects.filter(office=office).prefetch_related("services__service"),
            services=OfficeService.objects.filter(office=office).select_related("service"),
            breaks=[
                (
                    pause,
                    WEEKDAYS.get(str(pause.weekday), WEEKDAYS[""])
                    if pause.weekday is not None
                    else WEEKDAYS[""],
                )
                for pause in Break.objects.filter(office=office)
                .select_related("counter")
                .order_by("weekday", "starts")
            ],
            closures=[
                (closure, list(closure_conflicts(closure)))
                for closure in Closure.objects.filter(
                    office=office, ends_at__gt=timezone.now()
                ).select_related("counter")
            ],
            **forms,
        ),
        status=status,
    )


def _to_settings(authority: Authority, office: AppointmentOffice, anchor: str = "") -> HttpResponse:
    url = reverse(
        "backoffice:appointments_settings", kwargs={"ags": authority.ags, "slug": office.office.slug}
    )
    return redirect(f"{url}#{anchor}" if anchor else url)


@require_http_methods(["GET", "POST"])
@office_page(administer=True)
def office_settings(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    if request.method == "POST":
        form = OfficeSettingsForm(request.POST, instance=office, prefix="office")
        if form.is_valid():
            settings_save(form=form, office=office, actor=request.user)
            messages.success(request, _("Die Einstellungen wurden gespeichert."))
            return _to_settings(authority, office)
        return _settings_page(request, authority, office, settings_form=form, status=422)
    return _settings_page(request, authority, office)


@require_POST
@office_page(administer=True)
def counter_new(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = CounterForm(request.POST, office=office, prefix="counter")
    if form.is_valid():
        settings_save(form=form, office=office, actor=request.user)
        messages.success(request, _("Der Schalter wurde angelegt."))
        return _to_settings(authority, office, "schalter")
    return _settings_page(request, authority, office, counter_form=form, status=422)


@require_http_methods(["GET", "POST"])
@office_page(administer=True)
def counter_edit(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, pk: int
) -> HttpResponse:
    counter = get_object_or_404(Counter, office=office, pk=pk)
    form = CounterForm(request.POST or None, instance=counter, office=office, prefix="counter")
    if request.method == "POST" and form.is_valid():
        settings_save(form=form, office=office, actor=request.user)
        messages.success(request, _("Der Schalter wurde gespeichert."))
        return _to_settings(authority, office, "schalter")
    return render(
        request,
        "appointments/staff/settings_item.html",
        _context(
            request, authority, office, form=form, title=_("Schalter „%(name)s“") % {"name": counter.name}
        ),
        status=422 if form.errors else 200,
    )


@require_POST
@office_page(administer=True)
def service_new(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = OfficeServiceForm(request.POST, office=office, prefix="service")
    if form.is_valid():
        settings_save(form=form, office=office, actor=request.user)
        messages.success(request, _("Die Leistung wurde hinzugefügt."))
        return _to_settings(authority, office, "leistungen")
    return _settings_page(request, authority, office, service_form=form, status=422)


@require_http_methods(["GET", "POST"])
@office_page(administer=True)
def service_edit(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, pk: int
) -> HttpResponse:
    service = get_object_or_404(OfficeService.objects.select_related("service"), office=office, pk=pk)
    form = OfficeServiceForm(request.POST or None, instance=service, office=office, prefix="service")
    if request.method == "POST" and form.is_valid():
        settings_save(form=form, office=office, actor=request.user)
        messages.success(request, _("Die Leistung wurde gespeichert."))
        return _to_settings(authority, office, "leistungen")
    return render(
        request,
        "appointments/staff/settings_item.html",
        _context(request, authority, office, form=form, title=service.service.name),
        status=422 if form.errors else 200,
    )


@require_POST
@office_page(administer=True)
def break_new(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = BreakForm(request.POST, office=office, prefix="break")
    if form.is_valid():
        settings_save(form=form, office=office, actor=request.user)
        messages.success(request, _("Die Pause wurde angelegt."))
        return _to_settings(authority, office, "pausen")
    return _settings_page(request, authority, office, break_form=form, status=422)


@require_POST
@office_page(administer=True)
def break_delete(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, pk: int
) -> HttpResponse:
    settings_delete(obj=get_object_or_404(Break, office=office, pk=pk), office=office, actor=request.user)
    messages.success(request, _("Die Pause wurde gelöscht."))
    return _to_settings(authority, office, "pausen")


@require_POST
@office_page(administer=True)
def closure_new(request: HttpRequest, authority: Authority, office: AppointmentOffice) -> HttpResponse:
    form = ClosureForm(request.POST, office=office, prefix="closure")
    if form.is_valid():
        closure = settings_save(form=form, office=office, actor=request.user)
        assert isinstance(closure, Closure)
        conflicts = closure_conflicts(closure).count()
        messages.success(request, _("Die Schließung wurde angelegt."))
        if conflicts:
            messages.warning(
                request,
                _(
                    "%(count)s gebuchte Termine fallen in die Schließung. Sie bleiben bestehen, bis "
                    "Sie sie absagen; die Liste steht bei der Schließung."
                )
                % {"count": conflicts},
            )
        return _to_settings(authority, office, "schliessungen")
    return _settings_page(request, authority, office, closure_form=form, status=422)


@require_POST
@office_page(administer=True)
def closure_delete(
    request: HttpRequest, authority: Authority, office: AppointmentOffice, pk: int
) -> HttpResponse:
    settings_delete(obj=get_object_or_404(Closure, office=office, pk=pk), office=office, actor=request.user)
    messages.success(request, _("Die Schließung wurde gelöscht."))
    return _to_settings(authority, office, "schliessungen")
