"""The operators' pages in the portal: their facilities, the one-screen daily report, report history,
facility details, photos and the API token for facility software.

Thin views: access only through ``care.access`` (another operator's facility is a 404, never a 403),
writes through ``care.services``, ``care.services_facilities`` and ``care.photos``. Every page works
without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from rest_framework.authtoken.models import Token

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User

from . import access, photos, services, services_facilities
from .forms_operator import FacilityDetailsForm, PhotoForm, VacancyReportForm
from .models import CareFinder, CareOffer, Facility, FacilityPhoto, VacancyReport
from .selectors import is_stale

CHANNEL = "web"
HISTORY_PAGE_SIZE = 50
DEFAULT_STALE_HOURS = 48


def _login_required(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated or not isinstance(request.user, User):
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        return view(request, *args, **kwargs)

    return wrapper


def facility_page(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page of one of the operator's facilities: login, then ``access.facility_for_operator`` (404)."""

    @_login_required
    @wraps(view)
    def wrapper(request: HttpRequest, pk: int, **kwargs: Any) -> HttpResponseBase:
        facility = access.facility_for_operator(request.user, pk)
        return view(request, facility, **kwargs)

    return wrapper


def _actor(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # ensured by _login_required
    return user


def _stale_limit(facility: Facility) -> timedelta:
    hours = (
        CareFinder.objects.filter(authority_id=facility.authority_id)
        .values_list("stale_after_hours", flat=True)
        .first()
    )
    return timedelta(hours=hours or DEFAULT_STALE_HOURS)


def _error_links(form: forms.Form) -> list[dict[str, str]]:
    links: list[dict[str, str]] = []
    for name, errors in form.errors.items():
        target = "" if name == "__all__" else form[name].auto_id
        if name != "__all__" and isinstance(form[name].field.widget, forms.CheckboxSelectMultiple):
            target = f"{target}_0"
        links.extend({"message": str(error), "target": target} for error in errors)
    return links


def _form_field(form: forms.Form, service_field: str) -> str | None:
    """The report form's input that a service error names (``vollstationaer`` or
    ``vollstationaer.expected``), so the error summary links to it; else a form-wide error."""
    care_type, _dot, part = service_field.partition(".")
    name = f"{care_type}-exp0-date" if part == "expected" else f"{care_type}-free"
    return name if name in form.fields and not form.has_error(name) else None


def _context(facility: Facility, section: str, **extra: Any) -> dict[str, Any]:
    return {"facility": facility, "section": section, **extra}


@require_safe
@_login_required
def operator_home(request: HttpRequest) -> HttpResponse:
    """The operator's facilities with each offer's last report (age, stale flag) and "Jetzt melden"."""
    facilities = list(
        access.operator_facilities(request.user)
        .select_related("operator")
        .prefetch_related("offers")
        .order_by("name")
    )
    limits = {
        authority_id: timedelta(hours=hours)
        for authority_id, hours in CareFinder.objects.filter(
            authority_id__in={f.authority_id for f in facilities}
        ).values_list("authority_id", "stale_after_hours")
    }
    now = timezone.now()
    rows = []
    for facility in facilities:
        limit = limits.get(facility.authority_id, timedelta(hours=DEFAULT_STALE_HOURS))
        offers = [
            {"offer": offer, "stale": is_stale(offer.reported_at, limit=limit, now=now)}
            for offer in facility.offers.all()
        ]
        rows.append({"facility": facility, "offers": offers, "stale": any(o["stale"] for o in offers)})
    return render(request, "care/operator/home.html", {"rows": rows, "now": now})


def _report_offers(facility: Facility) -> list[CareOffer]:
    return list(CareOffer.objects.filter(facility=facility).order_by("care_type"))


@require_http_methods(["GET", "POST"])
@facility_page
def operator_report(request: HttpRequest, facility: Facility) -> HttpResponse:
    """One screen: free places now per care type and expected free places by date; "Alle Plätze
    belegt" reports 0 for every care type. A request key rendered into the form makes a double click
    store one report."""
    offers = _report_offers(facility)
    now = timezone.now()
    today = timezone.localdate(now)
    form = VacancyReportForm(request.POST or None, offers=offers, today=today)
    if request.method == "POST":
        all_full = request.POST.get("action") == "all_full"
        request_key = (request.POST.get("request_key") or "")[:100]
        lines: list[services.ReportLine] | None = None
        if all_full:
            lines = [services.ReportLine(care_type=o.care_type, free_places=0) for o in offers]
        elif form.is_valid():
            lines = form.lines()
        if lines is not None:
            try:
                reports = services.vacancy_report_submit(
                    facility=facility,
                    actor=_actor(request),
                    lines=lines,
                    channel=CHANNEL,
                    request_key=f"web:{request_key}" if request_key else "",
                )
            except Problem as problem:
                form.add_error(_form_field(form, str(problem.extra.get("field", ""))), problem.localized())
            else:
                at = timezone.localtime(reports[0].reported_at)
                messages.success(
                    request,
                    (
                        _(
                            "Gemeldet: alle Plätze belegt. Ihre Meldung vom %(date)s um %(time)s Uhr "
                            "ist gespeichert."
                        )
                        if all_full
                        else _("Vielen Dank! Ihre Meldung vom %(date)s um %(time)s Uhr ist gespeichert.")
                    )
                    % {"date": at.strftime("%d.%m.%Y"), "time": at.strftime("%H:%M")},
                )
                return redirect("portal:care_operator_report", pk=facility.pk)
    status = 400 if form.is_bound and form.errors else 200
    sections = [
        {"offer": offer, "free": form[f"{offer.care_type}-free"], "rows": form.rows(offer)}
        for offer in offers
    ]
    return render(
        request,
        "care/operator/report.html",
        _context(
            facility,
            "report",
            form=form,
            sections=sections,
            error_links=_error_links(form) if form.is_bound else [],
            stale_limit=_stale_limit(facility),
            now=now,
        ),
        status=status,
    )


@require_safe
@facility_page
def operator_history(request: HttpRequest, facility: Facility) -> HttpResponse:
    reports = (
        VacancyReport.objects.filter(offer__facility=facility)
        .select_related("offer", "reported_by")
        .order_by("-reported_at", "-id")
    )
    page = Paginator(reports, HISTORY_PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(request, "care/operator/history.html", _context(facility, "history", page=page))


@require_http_methods(["GET", "POST"])
@facility_page
def operator_details(request: HttpRequest, facility: Facility) -> HttpResponse:
    offers = _report_offers(facility)
    form = FacilityDetailsForm(request.POST or None, facility=facility, offers=offers)
    if request.method == "POST" and form.is_valid():
        try:
            services_facilities.facility_update_by_operator(
                facility=facility,
                actor=_actor(request),
                details=form.details(),
                channel=CHANNEL,
            )
        except services_facilities.FacilityDetailsInvalid as problem:
            form.add_error(None, problem.localized())
        else:
            messages.success(request, _("Die Angaben sind gespeichert."))
            return redirect("portal:care_operator_details", pk=facility.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "care/operator/details.html",
        _context(
            facility,
            "details",
            form=form,
            share_sections=[{"offer": o, "fields": form.share_fields(o)} for o in offers],
            error_links=_error_links(form) if form.is_bound else [],
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@facility_page
def operator_photos(request: HttpRequest, facility: Facility) -> HttpResponse:
    form = PhotoForm()
    if request.method == "POST":
        if "remove" in request.POST:
            try:
                photo_id = int(request.POST["remove"])
            except ValueError:
                photo_id = 0
            photos.photo_remove(facility=facility, actor=_actor(request), photo_id=photo_id)
            messages.success(request, _("Das Foto ist entfernt."))
            return redirect("portal:care_operator_photos", pk=facility.pk)
        form = PhotoForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                photos.photo_add(
                    facility=facility,
                    actor=_actor(request),
                    upload=form.cleaned_data["image"],
                    alt_text=form.cleaned_data["alt_text"],
                )
            except photos.PhotoRejected as problem:
                form.add_error("image", problem.localized())
            else:
                messages.success(request, _("Das Foto ist gespeichert."))
                return redirect("portal:care_operator_photos", pk=facility.pk)
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "care/operator/photos.html",
        _context(
            facility,
            "photos",
            form=form,
            photos=list(FacilityPhoto.objects.filter(facility=facility)),
            max_photos=photos.MAX_PHOTOS,
            error_links=_error_links(form) if form.is_bound else [],
        ),
        status=status,
    )


@require_http_methods(["GET", "POST"])
@_login_required
def operator_token(request: HttpRequest) -> HttpResponse:
    """Create or rotate the account's API token; the full key is shown once, right after creation."""
    user = request.user
    assert isinstance(user, User)
    if not access.is_operator(user):
        return render(request, "care/operator/token.html", {"is_operator": False})
    new_key = ""
    if request.method == "POST":
        token = services_facilities.operator_token_rotate(user=user)
        new_key = token.key
    existing = Token.objects.filter(user=user).values_list("key", "created").first()
    api_url = request.build_absolute_uri("/api/v1/care/operator/facilities")
    return render(
        request,
        "care/operator/token.html",
        {
            "is_operator": True,
            "new_key": new_key,
            "prefix": existing[0][:4] if existing else "",
            "created": existing[1] if existing else None,
            "api_url": api_url,
            "docs_url": "/api/v1/docs/",
        },
    )
