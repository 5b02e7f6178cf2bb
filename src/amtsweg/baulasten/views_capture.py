"""Back-office pages of the capture part (``<ags>/baulasten/erfassung/``): the queue, the bulk
upload, a scan's page (text, suggestions, indexing, four-eyes check), the downloads and progress.

Thin views: reads through ``tenancy.access`` (another authority's staff get 404; opening a scan or
downloading it is audited), writes through ``services_capture``."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from amtsweg.backoffice.views import backoffice_context, staff_page
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import selectors_capture, services_capture
from .forms_capture import ScanCheckForm, ScanIndexForm, ScanUploadForm
from .models import BaulastKind, Register, ScanFile
from .ocr import ocr_available

CHANNEL = "web"
PAGE_SIZE = 50


def _register(request: HttpRequest, authority: Authority) -> Register:
    register = access.scope(Register.objects.filter(authority=authority), request.user).first()
    if register is None:
        raise Http404
    return register


def _staff(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # staff_page guarantees it
    return request.user


def _scan(request: HttpRequest, authority: Authority, pk: int) -> ScanFile:
    register = _register(request, authority)
    return access.get_for_user(
        ScanFile.objects.filter(batch__register=register).select_related("batch", "indexed_by", "checked_by"),
        request.user,
        channel=CHANNEL,
        pk=pk,
    )


@require_safe
@staff_page()
def capture_queue(request: HttpRequest, authority: Authority) -> HttpResponse:
    register = _register(request, authority)
    scans = access.scope(selectors_capture.scans_of(register), request.user)
    status = request.GET.get("status") or ScanFile.Status.OCR_DONE
    if status not in ScanFile.Status.values:
        status = ScanFile.Status.OCR_DONE
    counts = {row["status"]: row["n"] for row in scans.values("status").annotate(n=Count("pk")).order_by()}
    tabs = [(value, label, counts.get(value, 0)) for value, label in ScanFile.Status.choices]
    page = Paginator(
        scans.filter(status=status).select_related("batch", "indexed_by").order_by("created_at", "pk"),
        PAGE_SIZE,
    ).get_page(request.GET.get("seite"))
    context = backoffice_context(
        request,
        authority,
        register=register,
        tabs=tabs,
        status=status,
        page=page,
        ocr_problem=ocr_available(),
    )
    return render(request, "baulasten/capture_queue.html", context)


@require_http_methods(["GET", "POST"])
@staff_page()
def scan_upload(request: HttpRequest, authority: Authority) -> HttpResponse:
    register = _register(request, authority)
    form = ScanUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = services_capture.scan_batch_upload_report(
                register=register,
                actor=_staff(request),
                files=form.cleaned_data["uploads"],
                label=form.cleaned_data["label"],
                channel=CHANNEL,
            )
        except Problem as problem:
            form.add_error("uploads", problem.localized())
        else:
            if result.created:
                messages.success(
                    request,
                    _("%(count)s Datei(en) hochgeladen; die Texterkennung läuft im Hintergrund.")
                    % {"count": len(result.created)},
                )
            if result.duplicates:
                messages.info(
                    request,
                    _(
                        "%(count)s Datei(en) waren schon vorhanden und wurden nicht erneut "
                        "gespeichert: %(names)s"
                    )
                    % {
                        "count": len(result.duplicates),
                        "names": ", ".join(s.original_name for s in result.duplicates),
                    },
                )
            return HttpResponseRedirect(
                reverse("backoffice:baulasten_capture", kwargs={"ags": authority.ags}) + "?status=uploaded"
            )
    context = backoffice_context(
        request,
        authority,
        register=register,
        form=form,
        ocr_problem=ocr_available(),
        max_files=settings.BAULASTEN_SCAN_MAX_FILES,
        max_mb=settings.BAULASTEN_SCAN_MAX_MB,
    )
    return render(request, "baulasten/capture_upload.html", context, status=422 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_page()
def scan_detail(request: HttpRequest, authority: Authority, pk: int) -> HttpResponse:
    scan = _scan(request, authority, pk)
    actor = _staff(request)
    parcel_choices = [(s["kennzeichen"], s["label"]) for s in scan.suggestions if s.get("type") == "parcel"]
    entry_choices = [(str(s["entry_id"]), s["label"]) for s in scan.suggestions if s.get("type") == "entry"]
    # Already indexed parcels and entries are offered (and ticked) too, so re-indexing starts from them.
    for parcel in scan.parcels.select_related("gemarkung"):
        if parcel.kennzeichen not in dict(parcel_choices):
            parcel_choices.append((parcel.kennzeichen, str(parcel)))
    for entry in scan.entries.all():
        if str(entry.pk) not in dict(entry_choices):
            entry_choices.append((str(entry.pk), str(entry)))
    indexed = scan.status in (ScanFile.Status.INDEXED, ScanFile.Status.CHECKED) or scan.parcels.exists()
    initial = {
        "parcels": list(scan.parcels.values_list("kennzeichen", flat=True))
        if indexed
        else [s["kennzeichen"] for s in scan.suggestions if s.get("type") == "parcel" and s.get("checked")],
        "entries": [str(pk) for pk in scan.entries.values_list("pk", flat=True)]
        if indexed
        else [str(s["entry_id"]) for s in scan.suggestions if s.get("type") == "entry" and s.get("checked")],
    }
    action = request.POST.get("action") if request.method == "POST" else None
    index_form = ScanIndexForm(
        request.POST if action == "index" else None,
        initial=initial,
        parcel_choices=parcel_choices,
        entry_choices=entry_choices,
    )
    check_form = ScanCheckForm(request.POST if action == "check" else None)
    try:
        if action == "index" and index_form.is_valid():
            services_capture.scan_index(
                scan=scan,
                actor=actor,
                parcels=index_form.parcel_keys(),
                entries=index_form.entry_ids(),
                channel=CHANNEL,
            )
            messages.success(
                request, _("Der Scan ist erfasst und wartet auf die Prüfung durch eine zweite Person.")
            )
            return HttpResponseRedirect(request.path)
        if action == "check" and check_form.is_valid():
            approve = check_form.cleaned_data["decision"] == "approve"
            services_capture.scan_check(
                scan=scan, actor=actor, approve=approve, note=check_form.cleaned_data["note"], channel=CHANNEL
            )
            messages.success(request, _("Geprüft.") if approve else _("Zur Korrektur zurückgegeben."))
            return HttpResponseRedirect(request.path)
        if action == "retry":
            services_capture.scan_ocr_retry(scan=scan, actor=actor, channel=CHANNEL)
            messages.success(request, _("Die Texterkennung wird wiederholt."))
            return HttpResponseRedirect(request.path)
    except Problem as problem:
        form = check_form if action == "check" else index_form
        # A return without a reason is the note's error: shown at the field the summary links to.
        field = "note" if getattr(problem, "code", "") == "scan-reject-reason" else None
        form.add_error(field, problem.localized())
    kinds = dict(BaulastKind.choices)
    context = backoffice_context(
        request,
        authority,
        scan=scan,
        index_form=index_form,
        check_form=check_form,
        can_check=scan.status == ScanFile.Status.INDEXED and scan.indexed_by_id != actor.pk,
        can_index=scan.status in (ScanFile.Status.OCR_DONE, ScanFile.Status.OCR_FAILED)
        or (scan.status == ScanFile.Status.INDEXED and scan.indexed_by_id == actor.pk),
        other_suggestions=[
            {**s, "label": kinds.get(s["kind"], s["label"])} if s.get("type") == "kind" else s
            for s in scan.suggestions
            if s.get("type") in ("sheet", "number", "kind")
        ],
        check_note=services_capture.last_check_note(scan),
        ocr_problem=ocr_available() if scan.status == ScanFile.Status.OCR_FAILED else None,
    )
    status = 422 if (index_form.errors or check_form.errors) else 200
    return render(request, "baulasten/capture_scan.html", context, status=status)


def _download(handle_field: Any, *, filename: str, content_type: str) -> FileResponse:
    if not handle_field:
        raise Http404
    try:
        handle = handle_field.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _stem(scan: ScanFile) -> str:
    name = scan.original_name
    for suffix in (".pdf", ".tif", ".tiff"):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name or f"scan-{scan.pk}"


@require_safe
@staff_page()
def scan_pdf(request: HttpRequest, authority: Authority, pk: int) -> FileResponse:
    """The searchable PDF/A made by the OCR (404 until it exists)."""
    scan = _scan(request, authority, pk)
    return _download(scan.ocr_pdf, filename=f"{_stem(scan)}-ocr.pdf", content_type="application/pdf")


@require_safe
@staff_page()
def scan_original(request: HttpRequest, authority: Authority, pk: int) -> FileResponse:
    """The file as uploaded."""
    scan = _scan(request, authority, pk)
    return _download(scan.original, filename=scan.original_name, content_type=scan.content_type)


def _csv_cell(value: object) -> object:
    # Spreadsheet formula injection: a batch label typed by staff must never run as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@require_safe
@staff_page()
def progress(request: HttpRequest, authority: Authority) -> HttpResponse:
    register = _register(request, authority)
    scans = access.scope(selectors_capture.scans_of(register), request.user)
    towns = selectors_capture.progress_by_town(register, scans)
    towns[-2].label = _("noch nicht zugeordnet")
    towns[-1].label = _("gesamt")
    batches = selectors_capture.progress_by_batch(scans)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="erfassung-{authority.ags}.csv"'
        response.write("\ufeff")  # spreadsheet programs read UTF-8 only with the byte-order mark
        writer = csv.writer(response, delimiter=";")
        statuses = selectors_capture.STATUSES
        writer.writerow(
            ["Art", "Bezeichnung", "Dateien", "Seiten", *statuses, "Text erkannt %", "erfasst %", "geprüft %"]
        )
        for kind, rows in (("Ort", towns), ("Stapel", batches)):
            for row in rows:
                writer.writerow(
                    [
                        kind,
                        _csv_cell(row.label),
                        row.files,
                        row.pages,
                        *(row.by_status[s] for s in statuses),
                        *(
                            ("" if p is None else str(p).replace(".", ","))
                            for p in (row.percent_ocr, row.percent_indexed, row.percent_checked)
                        ),
                    ]
                )
        return response
    context = backoffice_context(request, authority, register=register, towns=towns, batches=batches)
    return render(request, "baulasten/capture_progress.html", context)
