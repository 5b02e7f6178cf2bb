"""Pages of the notices module: the public verification page, notice PDFs for staff and applicants, and
the back office's notice list with revocation. Thin: reads from ``selectors``, writes from ``services``."""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.documents import document_response
from amtsweg.core.problems import Problem
from amtsweg.core.ratelimit import client_address
from amtsweg.identity.models import User
from amtsweg.identity.views import citizen_required
from amtsweg.tenancy.models import Authority

from . import selectors
from .forms import RevokeForm, VerifyForm
from .models import Notice
from .services import notice_revoke
from .verification import Verdict

CHANNEL = "web"
PAGE_SIZE = 50
VERDICT_STATUS = {
    Verdict.VALID: 200,
    Verdict.REVOKED: 200,
    Verdict.UNKNOWN: 404,
    Verdict.INVALID: 404,
    Verdict.MALFORMED: 400,
}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # guaranteed by the decorators
    return user


def _crumbs() -> list[tuple[str, str | None]]:
    return [(_("Startseite"), reverse("portal:home")), (_("Bescheid prüfen"), None)]


def _verify_page(request: HttpRequest, context: dict[str, Any], *, status: int) -> HttpResponse:
    response = render(request, "notices/verify.html", {"breadcrumbs": _crumbs(), **context}, status=status)
    # The status of a notice can change (revocation): never serve it from a cache.
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def verify_form(request: HttpRequest) -> HttpResponse:
    """``/verify/``: type the code printed on a notice; a well-formed one leads to its result page."""
    if "code" not in request.GET:
        return _verify_page(request, {"form": VerifyForm()}, status=200)
    form = VerifyForm(request.GET)
    if form.is_valid():
        return redirect("portal:verify", code=form.cleaned_data["code"])
    return _verify_page(request, {"form": form}, status=400)


@require_safe
def verify(request: HttpRequest, code: str) -> HttpResponse:
    """``/verify/<code>``: whether a notice with this code was issued, by whom, when, and on what.

    Shows no personal data, except a certificate's holder (name and year of birth, as printed).
    Failed checks are limited per client address, so codes cannot be guessed by trying.
    """
    result, wait = selectors.notice_verify_limited(text=code, address=client_address(request))
    if result is None:
        minutes = max(1, -(-wait // 60))
        context = {"form": VerifyForm(), "rate_limited": True, "minutes": minutes}
        response = _verify_page(request, context, status=429)
        response["Retry-After"] = str(wait)
        return response
    form = VerifyForm(initial={"code": result.code or code[:64]})
    return _verify_page(request, {"form": form, "result": result}, status=VERDICT_STATUS[result.verdict])


def _pdf_response(notice: Notice) -> HttpResponse:
    if notice.document is None:
        raise Http404  # not rendered yet
    # A streaming response; the back-office view signature names the common base only loosely.
    return cast(HttpResponse, document_response(notice.document))


@require_safe
@citizen_required
def applicant_notice_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """``/konto/bescheide/<pk>/pdf/``: the PDF of a notice on one of the citizen's own cases."""
    notice = selectors.notice_get_for_applicant(user=_user(request), pk=pk)
    return _pdf_response(notice)


# --- back office ---------------------------------------------------------------------------------


@require_safe
@staff_page()
def notice_list(request: HttpRequest, authority: Authority) -> HttpResponse:
    """``/backoffice/<ags>/bescheide/``: the authority's notices, newest first, filtered by status."""
    status = request.GET.get("status", "")
    if status not in Notice.Status.values:
        status = ""
    notices = selectors.notices_for_authority(user=_user(request), authority=authority, status=status)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "notices/backoffice/notice_list.html",
        backoffice_context(request, authority, page=page, status=status, statuses=Notice.Status.choices),
    )


@require_safe
@staff_page()
def staff_notice_pdf(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    """``/backoffice/<ags>/bescheide/<pk>/pdf/``: a notice's PDF (the read is audited)."""
    notice = selectors.notice_get_for_staff(user=_user(request), authority=authority, pk=pk, channel=CHANNEL)
    return _pdf_response(notice)


@require_http_methods(["GET", "POST"])
@staff_page()
def notice_revoke_view(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    """``/backoffice/<ags>/bescheide/<pk>/aufheben/``: confirm with a reason, then revoke."""
    notice = selectors.notice_get_for_staff(user=_user(request), authority=authority, pk=pk, channel=CHANNEL)
    form = RevokeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                notice_revoke(
                    notice=notice, actor=_user(request), reason=form.cleaned_data["reason"], channel=CHANNEL
                )
            except Problem as problem:
                form.add_error(None, problem.localized())
                status = problem.status_code
            else:
                messages.success(request, _("Der Bescheid wurde aufgehoben."))
                return redirect("backoffice:notices", ags=authority.ags)
        else:
            status = 400
    return render(
        request,
        "notices/backoffice/notice_revoke.html",
        backoffice_context(request, authority, notice=notice, form=form),
        status=status,
    )
