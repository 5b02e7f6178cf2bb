"""Portal views: thin, each calls a selector (or the catalogue/tenancy read functions) and renders."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from amtsweg.catalog import selectors as catalog_selectors
from amtsweg.core.problems import Problem
from amtsweg.forms.selectors import published_form_for
from amtsweg.tenancy import responsibility as tenancy_responsibility
from amtsweg.tenancy.responsibility import AddressAmbiguous

from . import selectors
from .forms import ResidenceForm

SEARCH_PAGE_SIZE = 10
# Deep pages of a search are never useful to a person and only cost the database; cap them.
SEARCH_MAX_PAGE = 100

Crumbs = list[tuple[str, str | None]]


def _crumbs(*trail: tuple[str, str | None]) -> Crumbs:
    return [(_("Startseite"), reverse("portal:home")), *trail]


def problem_message(problem: Problem) -> str:
    """The problem's text in the page's language (domain code ships German and English)."""
    return problem.detail_en if (get_language() or "de").startswith("en") else problem.detail_de


def _client_error_status(problem: Problem) -> int:
    return problem.status_code if 400 <= problem.status_code < 500 else 400


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/home.html",
        {
            "alliances": selectors.alliance_overview_list(),
            "themenfelder": selectors.themenfeld_list(),
            "search_max_length": settings.SEARCH_MAX_QUERY_LENGTH,
        },
    )


@require_safe
def authority_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.authority_page(slug=slug)
    return render(
        request,
        "portal/authority_detail.html",
        {
            "page": page,
            "authority": page.authority,
            "breadcrumbs": _crumbs((page.authority.name, None)),
        },
    )


@require_safe
def authority_theme(request: HttpRequest, slug: str) -> HttpResponse:
    """The authority's colours as CSS custom properties: the CSP forbids inline styles."""
    theme = selectors.authority_theme(slug=slug)
    etag = f'"{theme.etag}"'
    response = render(request, "portal/theme.css", {"theme": theme}, content_type="text/css; charset=utf-8")
    response["ETag"] = etag
    patch_cache_control(response, public=True, max_age=3600)
    conditional = get_conditional_response(request, etag=etag, response=response)
    return conditional if conditional is not None else response


@require_safe
def office_detail(request: HttpRequest, slug: str, office_slug: str) -> HttpResponse:
    from amtsweg.vehicles.waiting import is_road_traffic_office

    page = selectors.office_page(authority_slug=slug, office_slug=office_slug)
    return render(
        request,
        "portal/office_detail.html",
        {
            "page": page,
            # a road-traffic office links its waiting times and the desired-plate check
            "road_traffic": is_road_traffic_office(page.office.pk),
            "authority": page.authority,
            "breadcrumbs": _crumbs(
                (page.authority.name, reverse("portal:authority", args=[page.authority.slug])),
                (page.office.name, None),
            ),
        },
    )


@require_safe
def catalogue(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "portal/catalogue.html",
        {
            "themenfelder": selectors.themenfeld_list(),
            "search_max_length": settings.SEARCH_MAX_QUERY_LENGTH,
            "breadcrumbs": _crumbs((_("Leistungen"), None)),
        },
    )


@require_safe
def themenfeld_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.themenfeld_page(slug=slug)
    return render(
        request,
        "portal/themenfeld_detail.html",
        {
            "page": page,
            "breadcrumbs": _crumbs(
                (_("Leistungen"), reverse("portal:catalogue")), (page.themenfeld.name, None)
            ),
        },
    )


@require_safe
def lebenslage_detail(request: HttpRequest, slug: str) -> HttpResponse:
    page = selectors.lebenslage_page(slug=slug)
    themenfeld = page.lebenslage.themenfeld
    return render(
        request,
        "portal/lebenslage_detail.html",
        {
            "page": page,
            "breadcrumbs": _crumbs(
                (_("Leistungen"), reverse("portal:catalogue")),
                (themenfeld.name, reverse("portal:themenfeld", args=[themenfeld.slug])),
                (page.lebenslage.name, None),
            ),
        },
    )


def _page_number(raw: str | None) -> int:
    try:
        number = int(raw or "1")
    except ValueError:
        return 1
    return min(max(number, 1), SEARCH_MAX_PAGE)


@require_safe
def search(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()
    page_number = _page_number(request.GET.get("seite"))
    context: dict[str, Any] = {
        "query": query,
        "search_max_length": settings.SEARCH_MAX_QUERY_LENGTH,
        "breadcrumbs": _crumbs((_("Suche"), None)),
        "results": None,
        "error": None,
    }
    status = 200
    if query:
        try:
            results = catalog_selectors.service_search(
                query=query, limit=SEARCH_PAGE_SIZE, offset=(page_number - 1) * SEARCH_PAGE_SIZE
            )
        except Problem as problem:
            context["error"] = problem_message(problem)
            status = _client_error_status(problem)
        else:
            page_count = max(1, -(-results.total // SEARCH_PAGE_SIZE))
            context.update(
                {
                    "results": results,
                    "page_number": page_number,
                    "page_count": page_count,
                    "previous_page": page_number - 1 if page_number > 1 else None,
                    "next_page": page_number + 1 if page_number < min(page_count, SEARCH_MAX_PAGE) else None,
                    "first_rank": (page_number - 1) * SEARCH_PAGE_SIZE + 1,
                }
            )
    return render(request, "portal/search.html", context, status=status)


@require_safe
def service_detail(request: HttpRequest, leika_key: str) -> HttpResponse:
    service = selectors.service_get(leika_key=leika_key)
    form = ResidenceForm(request.GET or None, towns=selectors.residence_area_list())
    crumbs: Crumbs = [(_("Leistungen"), reverse("portal:catalogue"))]
    if service.ozg_service is not None:
        themenfeld = service.ozg_service.themenfeld
        crumbs.append((themenfeld.name, reverse("portal:themenfeld", args=[themenfeld.slug])))
    context: dict[str, Any] = {
        "service": service,
        "form": form,
        "breadcrumbs": _crumbs(*crumbs, (service.name, None)),
        "responsibility": None,
        "offering": None,
        "online_form": None,
        "candidates": None,
        "problem": None,
    }
    status = 200
    if form.submitted:
        if not form.is_valid():
            status = 400
        else:
            try:
                responsibility = tenancy_responsibility.responsibility_resolve(
                    service=service,
                    ags=form.cleaned_data["ags"] or None,
                    postcode=None if form.cleaned_data["ags"] else form.cleaned_data["plz"] or None,
                    street=None if form.cleaned_data["ags"] else form.cleaned_data["strasse"] or None,
                )
            except AddressAmbiguous as problem:
                # Not an error: the postcode is shared by several towns, so the citizen picks one.
                context["candidates"] = selectors.candidate_towns(problem.extra.get("candidates"))
                context["problem"] = problem_message(problem)
            except Problem as problem:
                context["problem"] = problem_message(problem)
                status = _client_error_status(problem)
            else:
                context["responsibility"] = responsibility
                context["offering"] = responsibility.offering
                if responsibility.offering is not None:
                    context["online_form"] = published_form_for(
                        service=service, authority=responsibility.authority
                    )
    return render(request, "portal/service_detail.html", context, status=status)


# --- error pages (wired as handler400/403/404/500 in amtsweg.urls) ----------------------------


def _error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    return render(request, "portal/error.html", {"status": status, "message": message}, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Die Anfrage ist ungültig."))


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Sie dürfen diese Seite nicht sehen."))


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Diese Seite gibt es nicht. Vielleicht hat sich die Adresse geändert."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(
        request, 500, _("Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.")
    )
