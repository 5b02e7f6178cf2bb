"""Isolation matrix rows of the capture part's routes: the target authority (Neuss) keeps a register
with one scan whose text is recognised (``scan_at``)."""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.base import ContentFile

from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_read

from ..models import ScanBatch, ScanFile
from .matrix_common import register_at

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def scan_at(w: World, a: Authority) -> ScanFile:
    register = register_at(w, a)
    scan = ScanFile.objects.filter(batch__register=register).first()
    if scan is None:
        batch = ScanBatch.objects.create(
            register=register, authority=a, label="Karton 1", uploaded_by=w.caseworker_neuss
        )
        scan = ScanFile(
            batch=batch,
            authority=a,
            original_name="blatt-1.pdf",
            content_type="application/pdf",
            size=len(PDF_BYTES),
            sha256=f"{a.pk:064d}",
            status=ScanFile.Status.OCR_DONE,
            text="Gemarkung Neuss, Flur 3, Flurstück 119/2",
        )
        scan.original.save(scan.sha256, ContentFile(PDF_BYTES), save=False)
        scan.ocr_pdf.save(scan.sha256 + ".pdf", ContentFile(PDF_BYTES), save=False)
        scan.save()
    return scan


def api_write(status: int) -> Callable[[str, str], set[int]]:
    def expect(role: str, target: str) -> set[int]:
        if role == "anonymous":
            return {401, 403}
        if role == "citizen":
            return {403}
        return {status} if role in NEUSS_READERS else {404}

    return expect


def page_post(role: str, target: str) -> set[int]:
    """A form post on the scan page: an incomplete index form shows the page again with errors (422)."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {422} if role in NEUSS_READERS else {404}


def _bo(suffix: str) -> Callable[[World, Authority], str]:
    return lambda w, a: f"/backoffice/{register_at(w, a).authority.ags}/baulasten/{suffix}"


def _scan(suffix: str = "") -> Callable[[World, Authority], str]:
    return lambda w, a: f"/backoffice/{a.ags}/baulasten/scans/{scan_at(w, a).pk}/{suffix}"


def _api(suffix: str = "") -> Callable[[World, Authority], str]:
    return lambda w, a: f"/api/v1/baulasten/{a.ags}/scans/{scan_at(w, a).pk}{suffix}"


ROUTES: list[Route] = [
    Route("backoffice:baulasten_capture", _bo("erfassung/"), page_read),
    Route("backoffice:baulasten_scan_upload", _bo("erfassung/hochladen/"), page_read),
    Route("backoffice:baulasten_progress", _bo("erfassung/fortschritt/"), page_read),
    Route("backoffice:baulasten_scan", _scan(), page_read),
    Route("backoffice:baulasten_scan", _scan(), page_post, method="post", data={"action": "index"}),
    Route("backoffice:baulasten_scan_pdf", _scan("pdf/"), page_read),
    Route("backoffice:baulasten_scan_original", _scan("original/"), page_read),
    Route(
        "api-baulasten-scans",
        lambda w, a: f"/api/v1/baulasten/{register_at(w, a).authority.ags}/scans",
        staff_read,
    ),
    Route(
        "api-baulasten-scans",
        lambda w, a: f"/api/v1/baulasten/{register_at(w, a).authority.ags}/scans",
        api_write(415),  # the matrix posts JSON; uploads are multipart
        method="post",
    ),
    Route(
        "api-baulasten-scan-progress",
        lambda w, a: f"/api/v1/baulasten/{register_at(w, a).authority.ags}/scans/progress",
        staff_read,
    ),
    Route("api-baulasten-scan", _api(), staff_read),
    Route("api-baulasten-scan-index", _api("/index"), api_write(422), method="post", data={"parcels": []}),
    Route("api-baulasten-scan-check", _api("/check"), api_write(409), method="post", data={"approve": True}),
    Route("api-baulasten-scan-ocr-retry", _api("/ocr-retry"), api_write(409), method="post"),
]
