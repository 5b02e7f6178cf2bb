"""Open data in the portal: the page listing each finder's dataset, the daily files (latest and dated)
and the DCAT-AP.de catalogue. Public, no login; only enabled finders; unknown → 404."""

from __future__ import annotations

from datetime import date

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from amtsweg.outbox import conf

from .dcat import catalog_rdf
from .models import CareFinder, OpenDataRelease
from .opendata import LICENSE_NAME, LICENSE_URI

CONTENT_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def _finder(ags: str) -> CareFinder:
    finder = CareFinder.objects.filter(authority__ags=ags, enabled=True).select_related("authority").first()
    if finder is None:
        raise Http404
    return finder


def _file_response(release: OpenDataRelease, fmt: str, filename: str) -> FileResponse:
    field = release.csv_file if fmt == "csv" else release.json_file
    try:
        handle = field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=CONTENT_TYPES[fmt], as_attachment=True, filename=filename)
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_safe
def opendata_page(request: HttpRequest) -> HttpResponse:
    finders = list(
        CareFinder.objects.filter(enabled=True).select_related("authority").order_by("authority__name")
    )
    datasets = [
        {"finder": finder, "latest": OpenDataRelease.objects.filter(finder=finder).order_by("-date").first()}
        for finder in finders
    ]
    return render(
        request,
        "care/opendata/page.html",
        {"datasets": datasets, "license_name": LICENSE_NAME, "license_uri": LICENSE_URI},
    )


@require_safe
def opendata_latest(request: HttpRequest, ags: str, fmt: str) -> FileResponse:
    finder = _finder(ags)
    release = OpenDataRelease.objects.filter(finder=finder).order_by("-date").first()
    if release is None:
        raise Http404
    return _file_response(release, fmt, f"pflegeplaetze-{ags}-aktuell.{fmt}")


@require_safe
def opendata_file(request: HttpRequest, ags: str, day: str, fmt: str) -> FileResponse:
    finder = _finder(ags)
    try:
        stichtag = date.fromisoformat(day)
    except ValueError as exc:
        raise Http404 from exc
    release = OpenDataRelease.objects.filter(finder=finder, date=stichtag).first()
    if release is None:
        raise Http404
    return _file_response(release, fmt, f"pflegeplaetze-{ags}-{day}.{fmt}")


@require_safe
def opendata_catalog(request: HttpRequest, ags: str) -> HttpResponse:
    finder = _finder(ags)
    response = HttpResponse(
        catalog_rdf(finder, base_url=conf.public_url()), content_type="application/rdf+xml"
    )
    response["Content-Disposition"] = f'inline; filename="katalog-{ags}.rdf"'
    return response
