"""Back-office pages of cases: the team inbox, the case page and every caseworker action.

Thin views: reads through ``cases.selectors`` (scoped by ``tenancy.access``), writes through
``cases.services``. A refused action (a :class:`~amtsweg.core.problems.Problem`) is shown on the
page, never as a server error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.db.models import Exists, OuterRef, Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.documents import document_response
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.processes.models import Handover
from amtsweg.processes.selectors import case_origin, case_parts
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority, Team

from . import services
from .forms_staff import (
    VIEW_LABELS,
    AssignForm,
    BulkActionForm,
    DecisionForm,
    InboxFilterForm,
    InformationRequestForm,
    NoteForm,
    StatusForm,
    TeamForm,
)
from .models import Case, StatusDefinition
from .presentation import event_text, summary_sections
from .selectors import (
    OPEN,
    InvalidCursor,
    case_detail,
    case_document,
    case_for_action,
    case_get_for_user,
    cases_for_staff,
    inbox_page,
    manual_transitions,
    status_model_of,
    status_of,
    statuses_for_authority,
)

CHANNEL = "web"
PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_page let only staff accounts through
    return user


# --- the inbox ---------------------------------------------------------------------------------------


@require_GET
@staff_page()
def inbox(request: HttpRequest, authority: Authority) -> HttpResponse:
    user = _user(request)
    teams = list(
        Team.objects.filter(authority=authority)
        .annotate(
            is_member=Exists(Team.members.through.objects.filter(team_id=OuterRef("pk"), user_id=user.pk))
        )
        .order_by("name")
    )
    member_of = {team.pk for team in teams if team.is_member}
    statuses = statuses_for_authority(authority)
    services_offered = list(
        Service.objects.filter(offerings__authority=authority).order_by("name").only("id", "name")
    )
    form = InboxFilterForm(
        request.GET,
        statuses=statuses.choices(),
        services=services_offered,
        teams=teams,
        default_view="team" if member_of else "alle",
    )
    filters = form.to_filter()
    cursor = request.GET.get("cursor") or None
    try:
        page = inbox_page(
            user=user,
            filters=filters,
            authorities=[authority],
            cursor=cursor,
            limit=PAGE_SIZE,
            member_teams=member_of,
        )
    except InvalidCursor as problem:
        messages.warning(request, problem.localized())
        page = inbox_page(
            user=user, filters=filters, authorities=[authority], limit=PAGE_SIZE, member_teams=member_of
        )
    rows = _inbox_rows(page.cases, authority, statuses.for_cases(page.cases))

    params = {key: value for key, value in request.GET.items() if key != "cursor" and value}
    params["ansicht"] = form.view_param
    query = urlencode(params)
    tabs = [
        (key, label, "?" + urlencode({**{k: v for k, v in params.items() if k != "ansicht"}, "ansicht": key}))
        for key, label in VIEW_LABELS.items()
    ]
    return render(
        request,
        "cases/staff/inbox.html",
        backoffice_context(
            request,
            authority,
            form=form,
            page=page,
            rows=rows,
            tabs=tabs,
            view=form.view_param,
            view_label=VIEW_LABELS[form.view_param],
            no_team=form.view_param == "team" and not member_of,
            query=query,
            next_url=f"?{query}&cursor={page.next_cursor}" if page.next_cursor else "",
            previous_url=f"?{query}&cursor={page.previous_cursor}" if page.previous_cursor else "",
            first_url=f"?{query}" if cursor else "",
            here=request.get_full_path(),
            bulk=BulkActionForm(None, authority=authority, statuses=statuses.choices()),
        ),
    )


@dataclass(frozen=True)
class InboxRow:
    """One line of the inbox, with every text and link worked out (the page shows 50 at a time)."""

    pk: int
    reference: str
    url: str
    claim_url: str
    select_label: str
    title: str
    applicant: str
    status: str
    team: str
    assignee: str
    received: str
    received_iso: str
    due: str
    due_iso: str
    overdue: bool


def _inbox_rows(
    cases: list[Case], authority: Authority, models: dict[int | None, dict[str, StatusDefinition]]
) -> list[InboxRow]:
    base = reverse("backoffice:cases", kwargs={"ags": authority.ags})
    today = timezone.localdate()
    rows = []
    for case in cases:
        status = status_of(models, case)
        received = timezone.localtime(case.submitted_at)
        is_open = case.phase in OPEN
        rows.append(
            InboxRow(
                pk=case.pk,
                reference=case.reference,
                url=f"{base}{case.pk}/",
                claim_url=f"{base}{case.pk}/uebernehmen/" if is_open and case.assignee_id is None else "",
                select_label=_("%(reference)s auswählen") % {"reference": case.reference},
                title=case.title,
                applicant=case.applicant_name,
                status=status.label if status else case.status,
                team=case.team.name if case.team else "–",
                assignee=(case.assignee.get_full_name() or case.assignee.email) if case.assignee else "",
                received=date_format(received, "SHORT_DATE_FORMAT"),
                received_iso=received.isoformat(),
                due=date_format(case.due_date, "SHORT_DATE_FORMAT") if case.due_date else "",
                due_iso=case.due_date.isoformat() if case.due_date else "",
                overdue=bool(is_open and case.due_date and case.due_date < today),
            )
        )
    return rows


@require_POST
@staff_page()
def bulk_action(request: HttpRequest, authority: Authority) -> HttpResponse:
    user = _user(request)
    form = BulkActionForm(
        request.POST, authority=authority, statuses=statuses_for_authority(authority).choices()
    )
    back = _safe_next(request, authority, reverse("backoffice:cases", kwargs={"ags": authority.ags}))
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
        return HttpResponseRedirect(back)
    data = form.cleaned_data
    cases = list(
        cases_for_staff(user=user)
        .filter(authority=authority, pk__in=data["vorgang"])
        .select_related("authority")
        .order_by("submitted_at", "id")
    )
    action = data["aktion"]
    done, refused = services.cases_bulk_update(
        cases=cases,
        actor=user,
        channel=CHANNEL,
        assignee=user if action == "mir" else data["an"] if action == "zuweisen" else None,
        unassign=action == "freigeben",
        status_key=data["status"] if action == "status" else None,
    )
    missing = len(set(data["vorgang"])) - len(cases)
    if done:
        messages.success(
            request,
            ngettext("%(count)d Vorgang wurde geändert.", "%(count)d Vorgänge wurden geändert.", done)
            % {"count": done},
        )
    for case, problem in refused:
        messages.error(
            request,
            _("%(reference)s nicht geändert: %(reason)s")
            % {
                "reference": case.reference,
                "reason": problem.localized(),
            },
        )
    if missing:
        messages.error(
            request,
            ngettext(
                "%(count)d ausgewählter Vorgang wurde nicht gefunden.",
                "%(count)d ausgewählte Vorgänge wurden nicht gefunden.",
                missing,
            )
            % {"count": missing},
        )
    return HttpResponseRedirect(back)


def _safe_next(request: HttpRequest, authority: Authority, default: str) -> str:
    """``next`` from the form if it is a page of this authority's back office, else ``default``."""
    candidate = request.POST.get("next") or ""
    prefix = reverse("backoffice:dashboard", kwargs={"ags": authority.ags})
    if candidate.startswith(prefix) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}
    ):
        return candidate
    return default


# --- one case ----------------------------------------------------------------------------------------


@require_GET
@staff_page()
def case_page(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    case = case_get_for_user(user=_user(request), pk=pk, channel=CHANNEL, authority=authority)
    return _render_case(request, authority, case)


def _render_case(
    request: HttpRequest,
    authority: Authority,
    case: Case,
    *,
    bound: dict[str, Form] | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    detail = case_detail(case=case)
    bound = bound or {}
    forms: dict[str, Form] = {
        "assign": AssignForm(authority=authority, initial={"assignee": case.assignee_id}),
        "team": TeamForm(authority=authority, initial={"team": case.team_id}),
        "status": StatusForm(allowed=detail.allowed),
        "note": NoteForm(),
        "request": InformationRequestForm(),
        "decision": DecisionForm(),
        **bound,
    }
    schema = case.submission.form_version.parsed if case.submission else None
    context = backoffice_context(
        request,
        authority,
        case=case,
        detail=detail,
        forms=forms,
        error=error,
        invalid=[
            _error_link(form, name, errors) for form in bound.values() for name, errors in form.errors.items()
        ],
        open_phases=OPEN,
        sections=summary_sections(schema, case.submission.data, detail.documents)
        if schema and case.submission
        else [],
        history=[(event, event_text(event, detail)) for event in detail.events],
        **_parts(case),
        breadcrumbs=[
            (_("Vorgänge"), reverse("backoffice:cases", kwargs={"ags": authority.ags})),
            (case.reference, ""),
        ],
    )
    return render(request, "cases/staff/case_detail.html", context, status=status)


def _parts(case: Case) -> dict[str, Any]:
    """Hand-overs worked as cases of their own, from or to this case: only their status, reference,
    dates and answer, never the other authority's case (one query for a case without any)."""
    if not Handover.objects.filter(Q(case=case, service__isnull=False) | Q(receiving_case=case)).exists():
        return {"parts": [], "origin": None}
    return {"parts": case_parts(case), "origin": case_origin(case)}


def _error_link(form: Form, name: str, errors: Any) -> tuple[str, str, list[str]]:
    """(element id, label, messages) for the error summary; radio groups link to their first option."""
    texts = [str(error) for error in errors]
    if name not in form.fields:
        return "", "", texts
    bound = form[name]
    return bound.id_for_label or f"{bound.auto_id}_0", str(bound.label), texts


@require_GET
@staff_page()
def case_document_download(request: HttpRequest, authority: Authority, pk: int, doc: UUID) -> HttpResponse:
    user = _user(request)
    case = case_for_action(user=user, pk=pk, authority=authority)
    document = case_document(case=case, document_id=doc)
    access.audit(
        actor=user,
        action=AuditEvent.Action.READ,
        obj=document,
        authority_id=case.authority_id,
        channel=CHANNEL,
    )
    # A streaming response; staff_page's signature names the common base only loosely.
    return cast(HttpResponse, document_response(document))


# --- actions: each a small POST form on the case page --------------------------------------------------

Action = Callable[[Case, User, dict[str, Any]], Any]


def _act(
    request: HttpRequest,
    authority: Authority,
    pk: int,
    *,
    name: str,
    form: Form | None,
    perform: Action,
    success: str,
) -> HttpResponse:
    user = _user(request)
    case = case_for_action(user=user, pk=pk, authority=authority)
    if form is not None and not form.is_valid():
        fresh = case_get_for_user(user=user, pk=pk, channel=CHANNEL, authority=authority)
        return _render_case(
            request,
            authority,
            fresh,
            bound={name: form},
            error=_("Bitte prüfen Sie Ihre Eingaben."),
            status=400,
        )
    try:
        perform(case, user, form.cleaned_data if form is not None else {})
    except Problem as problem:
        fresh = case_get_for_user(user=user, pk=pk, channel=CHANNEL, authority=authority)
        return _render_case(
            request,
            authority,
            fresh,
            bound={name: form} if form is not None else {},
            error=problem.localized(),
            status=problem.status_code if 400 <= problem.status_code < 500 else 409,
        )
    messages.success(request, success)
    detail_url = reverse("backoffice:case-detail", kwargs={"ags": authority.ags, "pk": case.pk})
    return HttpResponseRedirect(_safe_next(request, authority, detail_url))


@require_POST
@staff_page()
def case_claim(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    user = _user(request)
    case = case_for_action(user=user, pk=pk, authority=authority)
    try:
        services.case_claim(case=case, actor=user, channel=CHANNEL)
    except Problem as problem:
        messages.error(request, f"{case.reference}: {problem.localized()}")
    else:
        messages.success(request, _("Sie bearbeiten jetzt %(reference)s.") % {"reference": case.reference})
    detail_url = reverse("backoffice:case-detail", kwargs={"ags": authority.ags, "pk": case.pk})
    return HttpResponseRedirect(_safe_next(request, authority, detail_url))


@require_POST
@staff_page()
def case_assign(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="assign",
        form=AssignForm(request.POST, authority=authority),
        perform=lambda case, user, data: services.case_assign(
            case=case, assignee=data["assignee"], actor=user, channel=CHANNEL
        ),
        success=_("Die Zuweisung wurde gespeichert."),
    )


@require_POST
@staff_page()
def case_move_to_team(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="team",
        form=TeamForm(request.POST, authority=authority),
        perform=lambda case, user, data: services.case_move_to_team(
            case=case, team=data["team"], actor=user, channel=CHANNEL
        ),
        success=_("Der Vorgang liegt jetzt im gewählten Team."),
    )


@require_POST
@staff_page()
def case_change_status(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    case = case_for_action(user=_user(request), pk=pk, authority=authority)
    return _act(
        request,
        authority,
        pk,
        name="status",
        form=StatusForm(request.POST, allowed=manual_transitions(status_model_of(case)[2])),
        perform=lambda case, user, data: services.case_change_status(
            case=case, status_key=data["status"], actor=user, channel=CHANNEL, comment=data["comment"]
        ),
        success=_("Der Status wurde geändert."),
    )


@require_POST
@staff_page()
def case_add_note(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="note",
        form=NoteForm(request.POST),
        perform=lambda case, user, data: services.case_add_note(
            case=case, text=data["text"], actor=user, channel=CHANNEL
        ),
        success=_("Die Notiz wurde gespeichert."),
    )


@require_POST
@staff_page()
def case_request_information(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="request",
        form=InformationRequestForm(request.POST),
        perform=lambda case, user, data: services.case_request_information(
            case=case, message=data["message"], due_date=data["due_date"], actor=user, channel=CHANNEL
        ),
        success=_("Die Nachforderung wurde an das Postfach der antragstellenden Person geschickt."),
    )


@require_POST
@staff_page()
def case_decide(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="decision",
        form=DecisionForm(request.POST),
        perform=lambda case, user, data: services.case_decide(
            case=case,
            decision=data["decision"],
            actor=user,
            channel=CHANNEL,
            body=data["body"] or None,
            fee_lines=data["fee_lines"],
        ),
        success=_("Der Vorgang ist entschieden; der Bescheid wird erstellt."),
    )


@require_POST
@staff_page()
def case_close(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    return _act(
        request,
        authority,
        pk,
        name="close",
        form=None,
        perform=lambda case, user, data: services.case_close(case=case, actor=user, channel=CHANNEL),
        success=_("Der Vorgang ist abgeschlossen."),
    )
