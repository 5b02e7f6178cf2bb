"""Back-office pages of the vehicle part of a move at the Zulassungsstelle.

``<ags>/kfz/`` lists the cases with a handed-over vehicle part; ``<ags>/kfz/<case>/`` shows the
handed-over data (nothing else of the town's case exists here), the register result per vehicle,
the forms to record or refuse each vehicle (with the Kennzeichenmitnahme choice), and the label
download. Cases are read through ``tenancy.access`` (another authority's staff get 404).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.models import Case, Phase
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.processes.models import ProcessTask
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .label import address_labels_pdf
from .messages import AddressChangeMessage, InvalidMessage
from .models import VehicleChange
from .services import (
    handed_over_message,
    handover_of,
    vehicle_change_record,
    vehicle_change_refuse,
    vehicle_changes_for,
)

CHANNEL = "web"


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_page lets only staff accounts through
    return request.user


class RecordForm(forms.Form):
    keep_plate = forms.ChoiceField(
        label=gettext_lazy("Kennzeichen"),
        choices=[("ja", gettext_lazy("behalten")), ("nein", gettext_lazy("neues Kennzeichen"))],
        required=False,
    )
    new_plate = forms.CharField(label=gettext_lazy("Neues Kennzeichen"), required=False, max_length=20)
    holder_verified = forms.BooleanField(required=False)


class RefuseForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Begründung"), max_length=500)


def _vehicle_cases(request: HttpRequest, authority: Authority) -> QuerySet[Case]:
    return access.scope(Case.objects.filter(authority=authority), request.user).filter(
        handover_received__isnull=False
    )


def _case(request: HttpRequest, authority: Authority, case_id: int) -> Case:
    case = access.get_for_user(
        _vehicle_cases(request, authority).select_related("authority", "service"),
        request.user,
        channel=CHANNEL,
        pk=case_id,
    )
    return case


@require_safe
@staff_page()
def vehicle_part_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    cases = (
        _vehicle_cases(request, authority)
        .annotate(
            vehicles=Count("vehicle_changes"),
            vehicles_open=Count("vehicle_changes", filter=Q(vehicle_changes__outcome="open")),
        )
        .order_by("-submitted_at")
    )
    show_closed = request.GET.get("alle") == "1"
    if not show_closed:
        cases = cases.exclude(phase=Phase.CLOSED)
    return render(
        request,
        "vehicles/staff_part_list.html",
        backoffice_context(request, authority, cases=cases[:200], show_closed=show_closed),
    )


def _render_part(
    request: HttpRequest,
    authority: Authority,
    case: Case,
    *,
    error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    handover = handover_of(case)
    message: AddressChangeMessage | None
    message_errors: list[str] = []
    try:
        message = handed_over_message(case)
    except InvalidMessage as exc:
        message, message_errors = None, exc.errors
    changes = vehicle_changes_for(case)
    tasks = ProcessTask.objects.filter(case=case, state=ProcessTask.State.OPEN, kind=ProcessTask.Kind.USER)
    return render(
        request,
        "vehicles/staff_part.html",
        backoffice_context(
            request,
            authority,
            case=case,
            handover=handover,
            message=message,
            message_errors=message_errors,
            changes=changes,
            open_changes=sum(1 for c in changes if c.outcome == VehicleChange.Outcome.OPEN),
            recorded=sum(1 for c in changes if c.outcome == VehicleChange.Outcome.RECORDED),
            tasks=tasks,
            error=error,
            editable=case.phase != Phase.CLOSED,
        ),
        status=status,
    )


@require_safe
@staff_page()
def vehicle_part(request: HttpRequest, authority: Authority, case_id: int) -> HttpResponse:
    return _render_part(request, authority, _case(request, authority, case_id))


def _change(case: Case, change_id: int) -> VehicleChange:
    change = VehicleChange.objects.select_related("case").filter(case=case, pk=change_id).first()
    if change is None:
        raise Http404
    return change


def _back(authority: Authority, case: Case) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("backoffice:vehicle_part", args=[authority.ags, case.pk]))


@require_POST
@staff_page()
def vehicle_record(request: HttpRequest, authority: Authority, case_id: int, change_id: int) -> HttpResponse:
    case = _case(request, authority, case_id)
    change = _change(case, change_id)
    form = RecordForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    keep_plate = data.get("keep_plate", "ja") != "nein"
    try:
        vehicle_change_record(
            change=change,
            keep_plate=keep_plate,
            new_plate=data.get("new_plate", "") or "",
            holder_verified=bool(data.get("holder_verified")),
            actor=_staff(request),
            channel=CHANNEL,
        )
    except Problem as problem:
        field = {
            "holder-not-verified": f"holder-{change.pk}",
            "vehicle-not-found": f"reason-{change.pk}",
        }.get(problem.code, f"new-plate-{change.pk}" if not keep_plate else f"record-{change.pk}")
        error = {"change": change.pk, "field": field, "message": problem.localized(), "plate": change.plate}
        return _render_part(request, authority, case, error=error, status=problem.status_code)
    messages.success(request, _("Adressänderung für %(plate)s eingetragen.") % {"plate": change.plate})
    return _back(authority, case)


@require_POST
@staff_page()
def vehicle_refuse(request: HttpRequest, authority: Authority, case_id: int, change_id: int) -> HttpResponse:
    case = _case(request, authority, case_id)
    change = _change(case, change_id)
    form = RefuseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        vehicle_change_refuse(change=change, reason=reason, actor=_staff(request), channel=CHANNEL)
    except Problem as problem:
        error = {
            "change": change.pk,
            "field": f"reason-{change.pk}",
            "message": problem.localized(),
            "plate": change.plate,
        }
        return _render_part(request, authority, case, error=error, status=problem.status_code)
    messages.success(request, _("Adressänderung für %(plate)s abgelehnt.") % {"plate": change.plate})
    return _back(authority, case)


@require_safe
@staff_page()
def vehicle_labels(request: HttpRequest, authority: Authority, case_id: int) -> HttpResponse:
    case = _case(request, authority, case_id)
    try:
        message = handed_over_message(case)
        pdf = address_labels_pdf(case=case, message=message)
    except InvalidMessage:
        raise Http404 from None
    except Problem as problem:
        messages.error(request, problem.localized())
        return _back(authority, case)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="adressaufkleber-{case.reference}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
