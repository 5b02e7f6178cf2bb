"""The citizen's account pages ("Mein Konto"): own applications, documents, postbox and answers.

Thin views: reads come from ``selectors_citizen`` (scoped to the logged-in citizen, 404 for
anything else), writes from the services. Every page needs a citizen account (``citizen_required``).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.cases.documents import document_response
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.identity.selectors import identity_summary
from amtsweg.identity.views import citizen_required

from . import selectors_citizen as selectors
from .forms_citizen import InformationRequestAnswerForm
from .models import InformationRequest
from .services import postbox_mark_read
from .services_citizen import information_request_reply

CHANNEL = "web"
PAGE_SIZE = 25

Crumbs = list[tuple[str, str | None]]


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by citizen_required
    return user


def _crumbs(*trail: tuple[str, str | None]) -> Crumbs:
    return [
        (_("Startseite"), reverse("portal:home")),
        (_("Mein Konto"), reverse("portal:account") if trail else None),
        *trail,
    ]


def _render(
    request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    context.setdefault("unread_count", selectors.postbox_unread_count(user=_user(request)))
    return render(request, f"cases/citizen/{template}", context, status=status)


def draft_url(draft_id: uuid.UUID) -> str:
    return reverse("portal:draft_resume", kwargs={"draft_id": draft_id})


@require_safe
@citizen_required
def account(request: HttpRequest) -> HttpResponse:
    """``/konto/``: what needs the citizen's attention, then the latest cases and messages."""
    user = _user(request)
    recent = selectors.case_rows(selectors.cases_for_citizen(user=user)[:5])
    return _render(
        request,
        "account.html",
        {
            "open_requests": list(selectors.open_information_requests_for_citizen(user=user)[:20]),
            "recent_cases": recent,
            "draft_count": selectors.drafts_open_for_citizen(user=user).count(),
            "identity": identity_summary(request, user),
            "breadcrumbs": _crumbs(),
        },
    )


@require_safe
@citizen_required
def my_applications(request: HttpRequest) -> HttpResponse:
    """``/konto/antraege/``: own cases with live status, and drafts not yet submitted."""
    user = _user(request)
    page = Paginator(selectors.cases_for_citizen(user=user), PAGE_SIZE).get_page(request.GET.get("seite"))
    drafts = [(d, draft_url(d.id)) for d in selectors.drafts_open_for_citizen(user=user)[:50]]
    return _render(
        request,
        "my_applications.html",
        {
            "page": page,
            "rows": selectors.case_rows(page.object_list),
            "drafts": drafts,
            "breadcrumbs": _crumbs((_("Meine Anträge"), None)),
        },
    )


def _case_crumbs(reference: str, pk: int, *trail: tuple[str, str | None]) -> Crumbs:
    case_url = reverse("portal:my_application", kwargs={"pk": pk}) if trail else None
    return _crumbs((_("Meine Anträge"), reverse("portal:my_applications")), (reference, case_url), *trail)


def answer_form(info_request: InformationRequest, *args: Any) -> InformationRequestAnswerForm:
    # Field names stay plain ("answer", "files"); only the HTML ids differ per request on one page.
    return InformationRequestAnswerForm(*args, auto_id=f"id_r{info_request.pk}_%s")


@require_safe
@citizen_required
def my_application(request: HttpRequest, pk: int) -> HttpResponse:
    """``/konto/antraege/<pk>/``: status, history, data, documents and open requests of one case."""
    view = selectors.case_view_for_citizen(user=_user(request), pk=pk)
    forms = [(r, answer_form(r)) for r in view.open_requests]
    return _render(
        request,
        "my_application.html",
        {
            "view": view,
            "case": view.case,
            "answer_forms": forms,
            "breadcrumbs": _case_crumbs(view.case.reference, pk),
        },
    )


@require_http_methods(["GET", "POST"])
@citizen_required
def information_request_answer(request: HttpRequest, pk: int, request_pk: int) -> HttpResponse:
    """``/konto/antraege/<pk>/nachforderungen/<request_pk>/``: answer with text and files.

    All or nothing: a refused file or a refused answer leaves no document behind and the request
    open; a second answer gets 409 with a clear message.
    """
    user = _user(request)
    info_request = selectors.information_request_get_for_citizen(user=user, case_pk=pk, pk=request_pk)
    case = info_request.case
    form = answer_form(
        info_request,
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
    )
    status = 200
    if request.method == "POST" and info_request.answered_at is None and form.is_valid():
        try:
            information_request_reply(
                request=info_request,
                answer=form.cleaned_data["answer"],
                uploads=form.cleaned_data["uploads"],
                actor=user,
                channel=CHANNEL,
            )
        except Problem as problem:
            status = problem.status_code if problem.status_code >= 400 else 400
            form.add_error(None, problem.localized())
            info_request = InformationRequest.objects.get(pk=info_request.pk)
        else:
            messages.success(
                request,
                _("Vielen Dank. Ihre Antwort ist bei %(authority)s eingegangen.")
                % {"authority": case.authority.name},
            )
            return redirect("portal:my_application", pk=case.pk)
    elif request.method == "POST" and info_request.answered_at is not None:
        status = 409
        form.add_error(None, _("Diese Nachforderung ist bereits beantwortet."))
    elif request.method == "POST":
        status = 400
    return _render(
        request,
        "answer.html",
        {
            "case": case,
            "info_request": info_request,
            "form": form,
            "files_dropped": request.method == "POST" and bool(request.FILES) and status != 200,
            "breadcrumbs": _case_crumbs(case.reference, case.pk, (_("Nachforderung beantworten"), None)),
        },
        status=status,
    )


@require_safe
@citizen_required
def document_download(request: HttpRequest, pk: uuid.UUID) -> FileResponse:
    """``/konto/dokumente/<uuid>/``: a document of one's own cases or postbox, always as a download."""
    return document_response(selectors.document_get_for_citizen(user=_user(request), pk=pk))


@require_safe
@citizen_required
def postbox(request: HttpRequest) -> HttpResponse:
    """``/konto/postfach/``: messages newest first, unread ones marked."""
    user = _user(request)
    page = Paginator(selectors.postbox_for_citizen(user=user), PAGE_SIZE).get_page(request.GET.get("seite"))
    return _render(request, "postbox.html", {"page": page, "breadcrumbs": _crumbs((_("Postfach"), None))})


@require_safe
@citizen_required
def postbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    """``/konto/postfach/<pk>/``: one message; opening it marks it as read."""
    user = _user(request)
    message = selectors.postbox_message_get_for_citizen(user=user, pk=pk)
    was_unread = message.read_at is None
    postbox_mark_read(message=message, actor=user)
    document = message.document
    if document is not None and document.kind not in selectors.CITIZEN_DOCUMENT_KINDS:
        document = None
    return _render(
        request,
        "postbox_message.html",
        {
            "message": message,
            "was_unread": was_unread,
            "document": document,
            "info_request": message.information_request,
            "breadcrumbs": _crumbs((_("Postfach"), reverse("portal:postbox")), (message.subject, None)),
        },
    )
