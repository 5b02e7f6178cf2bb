"""Back-office pages of the process viewer: a version's diagram with its step list, the BPMN file, and
where a case stands in its process.

Thin views: process versions through :mod:`.selectors_viewer` (any staff of the alliance), cases
through ``cases.selectors.case_get_for_user`` (scoped to the case's authority and audited).
"""

from __future__ import annotations

import hashlib

from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.cases.selectors import case_get_for_user
from amtsweg.core.text import german_slugify
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

from .models import ProcessVersion
from .selectors_viewer import case_process, empty_markers, process_version_get_for_user

CHANNEL = "web"
# The BPMN file is data, never a page: no scripts, no styles, no plug-ins, even when opened directly.
BPMN_CSP = "default-src 'none'; sandbox"


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)  # staff_page let only staff accounts through
    return user


def bpmn_response(request: HttpRequest, version: ProcessVersion, *, inline: bool) -> HttpResponse:
    """The version's BPMN file as ``application/xml``: an attachment unless ``inline`` (the viewer's
    fetch), sandboxed, with an ETag so the viewer reloads it only when it changed."""
    content = version.bpmn_xml.encode("utf-8")
    etag = f'"{hashlib.sha256(content).hexdigest()}"'
    if etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = HttpResponse(content, content_type="application/xml; charset=utf-8")
        filename = f"{german_slugify(version.process_id, max_length=80) or 'prozess'}-v{version.number}.bpmn"
        response["Content-Disposition"] = content_disposition_header(not inline, filename) or "attachment"
    response["ETag"] = etag
    response["Cache-Control"] = "private, no-cache"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = BPMN_CSP
    return response


def _optional_url(name: str, **kwargs: object) -> str:
    """The URL of a page of another part of the module, or "" while that part does not provide it."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return ""


def _bpmn_url(authority: Authority, version: ProcessVersion) -> str:
    url = reverse("backoffice:process-version-bpmn", kwargs={"ags": authority.ags, "pk": version.pk})
    return f"{url}?inline=1"


@require_GET
@staff_page()
def version_diagram(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    version = process_version_get_for_user(_user(request), pk)
    context = backoffice_context(
        request,
        authority,
        version=version,
        definition=version.definition,
        structure=version.parsed,
        bpmn_url=_bpmn_url(authority, version),
        download_url=reverse(
            "backoffice:process-version-bpmn", kwargs={"ags": authority.ags, "pk": version.pk}
        ),
        markers=empty_markers(),
        breadcrumbs=[
            (_("Prozesse"), _optional_url("backoffice:processes", ags=authority.ags)),
            (
                f"{version.definition.name} v{version.number}",
                _optional_url("backoffice:process-version", ags=authority.ags, pk=version.pk),
            ),
            (_("Diagramm"), ""),
        ],
    )
    return render(request, "processes/viewer_version.html", context)


@require_GET
@staff_page()
def version_bpmn(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    version = process_version_get_for_user(_user(request), pk)
    return bpmn_response(request, version, inline=request.GET.get("inline") == "1")


@require_GET
@staff_page()
def case_process_page(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    case = case_get_for_user(user=_user(request), pk=pk, channel=CHANNEL, authority=authority)
    process = case_process(case)
    version = process.version
    context = backoffice_context(
        request,
        authority,
        case=case,
        process=process,
        version=version,
        structure=version.parsed if version else None,
        markers=process.markers,
        bpmn_url=_bpmn_url(authority, version) if version else "",
        breadcrumbs=[
            (_("Vorgänge"), reverse("backoffice:cases", kwargs={"ags": authority.ags})),
            (case.reference, reverse("backoffice:case-detail", kwargs={"ags": authority.ags, "pk": case.pk})),
            (_("Prozess"), ""),
        ],
    )
    return render(request, "processes/viewer_case.html", context)
