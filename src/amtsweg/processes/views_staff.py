"""Back-office pages of process models (list, upload, publish), the task inbox (complete a task) and
the hand-overs received from other authorities (answer them).

Thin views: the authority comes from ``staff_page`` (``tenancy.access``), reads from ``selectors``,
writes from ``services``.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.catalog.models import ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import services
from .api_staff import may_change_processes_of
from .models import Handover, ProcessVersion
from .selectors import (
    handover_get_for_user,
    handovers_received,
    open_tasks_for,
    process_definitions_for,
    task_get_for_user,
)
from .selectors_viewer import process_version_get_for_user

CHANNEL = "web"


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_page lets only staff accounts through
    return request.user


class ImportForm(forms.Form):
    offering = forms.ModelChoiceField(queryset=ServiceOffering.objects.none(), label=gettext_lazy("Leistung"))
    target = forms.ChoiceField(
        label=gettext_lazy("Gilt für"),
        choices=[
            ("variant", gettext_lazy("unsere Variante")),
            ("alliance", gettext_lazy("Referenzmodell des Verbunds")),
        ],
        widget=forms.RadioSelect,
        initial="variant",
    )
    file = forms.FileField(label=gettext_lazy("BPMN-Datei (.bpmn, mit Diagramm)"))
    called = forms.FileField(label=gettext_lazy("Aufgerufener Prozess (optional, .bpmn)"), required=False)


@staff_page()
@require_http_methods(["GET", "POST"])
def process_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    """The process models of the authority's services, and the upload of a new version."""
    offerings = access.scope(ServiceOffering.objects.select_related("service"), request.user).filter(
        authority=authority
    )
    form = ImportForm(request.POST or None, request.FILES or None)
    form.fields["offering"].queryset = offerings.order_by("service__name")  # type: ignore[attr-defined]
    can_import = may_change_processes_of(request.user, authority.pk) or access.administers_alliance(
        request.user
    )
    if request.method == "POST" and can_import and form.is_valid():
        target_authority = authority if form.cleaned_data["target"] == "variant" else None
        if not may_change_processes_of(request.user, target_authority.pk if target_authority else None):
            form.add_error("target", _("Sie dürfen dieses Prozessmodell nicht ändern."))
        else:
            upload = form.cleaned_data["file"]
            called = form.cleaned_data.get("called")
            try:
                version = services.process_version_import(
                    service=form.cleaned_data["offering"].service,
                    authority=target_authority,
                    xml=upload.read(services.MAX_BPMN_BYTES + 1),
                    filename=upload.name or "process.bpmn",
                    actor=_staff(request),
                    supporting=[(called.name, called.read(services.MAX_BPMN_BYTES + 1))] if called else [],
                )
            except Problem as problem:
                form.add_error("file", problem.localized())
            else:
                if version.executable:
                    messages.success(
                        request,
                        _("Version %(number)s ist gespeichert (Entwurf).") % {"number": version.number},
                    )
                else:
                    messages.warning(
                        request,
                        _(
                            "Version %(number)s ist gespeichert, kann aber nicht ausgeführt werden "
                            "(siehe Gründe)."
                        )
                        % {"number": version.number},
                    )
                return HttpResponseRedirect(reverse("backoffice:processes", args=[authority.ags]))
    elif request.method == "POST" and not can_import:
        raise PermissionDenied
    service_ids = offerings.values_list("service_id", flat=True)
    definitions = (
        process_definitions_for(request.user)
        .filter(service_id__in=service_ids)
        .filter(Q(authority__isnull=True) | Q(authority=authority))
        .prefetch_related("versions")
    )
    return render(
        request,
        "processes/staff_process_list.html",
        backoffice_context(request, authority, definitions=definitions, form=form, can_import=can_import),
    )


@staff_page()
@require_POST
def version_publish(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    version: ProcessVersion = process_version_get_for_user(request.user, pk)
    if not may_change_processes_of(request.user, version.definition.authority_id):
        raise PermissionDenied
    try:
        services.process_version_publish(version=version, actor=_staff(request), channel=CHANNEL)
    except Problem as problem:
        messages.error(request, problem.localized())
    else:
        messages.success(
            request,
            _("Version %(number)s ist veröffentlicht; neue Vorgänge laufen darauf.")
            % {"number": version.number},
        )
    return HttpResponseRedirect(reverse("backoffice:processes", args=[authority.ags]))


@staff_page()
def task_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    """The open tasks of the authority, those of the user's teams first."""
    tasks = list(open_tasks_for(request.user, authority_id=authority.pk)[:500])
    team_ids = set(request.user.teams.values_list("pk", flat=True))  # type: ignore[union-attr]
    mine = [t for t in tasks if t.team_id in team_ids]
    others = [t for t in tasks if t.team_id not in team_ids]
    return render(
        request,
        "processes/staff_task_list.html",
        backoffice_context(request, authority, mine=mine, others=others),
    )


@staff_page()
@require_http_methods(["GET", "POST"])
def task_detail(request: HttpRequest, authority: Authority, pk: UUID) -> HttpResponse:
    task = task_get_for_user(request.user, pk, channel=CHANNEL)
    if task.authority_id != authority.pk:
        raise Http404
    fields = services.task_form(task)
    errors: dict[str, str] = {}
    values: dict[str, Any] = {f.id: f.default for f in fields}
    if request.method == "POST":
        values = {f.id: request.POST.get(f.id, "") for f in fields}
        try:
            services.process_task_complete(
                task=task,
                data=request.POST,
                actor=_staff(request),
                channel=CHANNEL,
            )
        except services.InvalidTaskData as problem:
            errors = problem.extra.get("errors", {})
        except Problem as problem:
            messages.error(request, problem.localized())
            return HttpResponseRedirect(reverse("backoffice:tasks", args=[authority.ags]))
        else:
            messages.success(request, _("Aufgabe „%(name)s“ erledigt.") % {"name": task.name or task.bpmn_id})
            return HttpResponseRedirect(reverse("backoffice:tasks", args=[authority.ags]))
    return render(
        request,
        "processes/staff_task_detail.html",
        backoffice_context(
            request,
            authority,
            task=task,
            errors=errors,
            rows=[{"field": f, "value": values.get(f.id, ""), "error": errors.get(f.id, "")} for f in fields],
        ),
        status=422 if errors else 200,
    )


class AnswerForm(forms.Form):
    status = forms.ChoiceField(
        label=gettext_lazy("Antwort"),
        choices=[
            (Handover.Status.COMPLETED, gettext_lazy("erledigt")),
            (Handover.Status.DECLINED, gettext_lazy("abgelehnt")),
            (Handover.Status.ACCEPTED, gettext_lazy("angenommen (in Bearbeitung)")),
        ],
        widget=forms.RadioSelect,
    )
    reply = forms.CharField(
        label=gettext_lazy("Rückmeldung an die übergebende Behörde"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


@staff_page()
def handover_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    handovers = handovers_received(request.user, authority_id=authority.pk)[:500]
    return render(
        request,
        "processes/staff_handover_list.html",
        backoffice_context(request, authority, handovers=handovers),
    )


@staff_page()
@require_http_methods(["GET", "POST"])
def handover_detail(request: HttpRequest, authority: Authority, pk: UUID) -> HttpResponse:
    handover = handover_get_for_user(request.user, pk, channel=CHANNEL)
    if handover.to_authority_id != authority.pk:
        raise Http404
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.handover_answer(
                handover=handover,
                status=form.cleaned_data["status"],
                reply=form.cleaned_data["reply"],
                actor=_staff(request),
                channel=CHANNEL,
            )
        except Problem as problem:
            messages.error(request, problem.localized())
        else:
            messages.success(
                request, _("Die Antwort ist an %(name)s gegangen.") % {"name": handover.from_authority.name}
            )
        return HttpResponseRedirect(reverse("backoffice:handovers", args=[authority.ags]))
    return render(
        request,
        "processes/staff_handover_detail.html",
        backoffice_context(request, authority, handover=handover, form=form),
    )
