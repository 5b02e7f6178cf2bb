"""Outbox handler ``baulasten.ocr``: recognise one scan into a searchable PDF/A (see ``ocr.py``).

Runs outside a database transaction (``external_effect``): OCR takes seconds to minutes and must not
hold a transaction open; the result is written in one short transaction, and only while the scan still
waits for it (``status = uploaded``), so a second delivery of the same message does nothing. A file
that cannot be recognised, or OCR that is not installed, marks the scan ``ocr_failed`` with the reason
and fails the message for good (no endless retries); a timeout is retried by the outbox, and marks
the scan failed on the last attempt.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.files import File
from django.db import transaction
from django.utils import timezone

from amtsweg.outbox import conf as outbox_conf
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import PermanentFailure, handler
from amtsweg.outbox.services import external_effect, long_running

from . import syschecks
from .models import ScanFile
from .ocr import OcrFailed, OcrTimeout, ocr_run
from .services_capture import OCR_KIND, scan_suggestions

logger = logging.getLogger(__name__)
checks.register(syschecks.check_ocr)


def _mark_failed(scan_id: int, reason: str) -> None:
    with transaction.atomic():
        ScanFile.objects.filter(pk=scan_id, status=ScanFile.Status.UPLOADED).update(
            status=ScanFile.Status.OCR_FAILED, ocr_error=reason[:2000]
        )


def ocr_timeout_seconds() -> float:
    """The OCR time limit of one file (``BAULASTEN_OCR_TIMEOUT_SECONDS``)."""
    return float(settings.BAULASTEN_OCR_TIMEOUT_SECONDS)


def _lease_seconds() -> float:
    # The message stays leased a little longer than the OCR may take: no second worker starts the
    # same file while the first is still recognising it.
    return ocr_timeout_seconds() + 120


@handler(OCR_KIND)
@external_effect
@long_running(_lease_seconds)
def ocr_scan(message: OutboxMessage) -> None:
    scan_id = int(message.payload["scan_id"])
    scan = ScanFile.objects.select_related("batch__register").filter(pk=scan_id).first()
    if scan is None or scan.status != ScanFile.Status.UPLOADED:
        return  # deleted, or recognised already: nothing to do
    with tempfile.TemporaryDirectory(prefix="amtsweg-scan-") as work:
        source, target = Path(work) / "scan", Path(work) / "ocr.pdf"
        try:
            with scan.original.open("rb") as stored, source.open("wb") as copy:
                shutil.copyfileobj(stored, copy, 1024 * 1024)
        except FileNotFoundError as exc:
            _mark_failed(scan_id, "Die gespeicherte Datei fehlt. / The stored file is missing.")
            raise PermanentFailure(f"scan {scan_id}: stored file missing") from exc
        try:
            result = ocr_run(source, target, timeout=ocr_timeout_seconds())
        except OcrTimeout:
            if message.attempts >= outbox_conf.max_attempts():
                _mark_failed(scan_id, "Zeitüberschreitung bei jedem Versuch. / Timed out on every attempt.")
            raise
        except OcrFailed as exc:
            if not exc.permanent and message.attempts < outbox_conf.max_attempts():
                raise
            _mark_failed(scan_id, f"{exc.detail_de} / {exc.detail_en}")
            raise PermanentFailure(f"scan {scan_id}: OCR failed (exit code {exc.exit_code})") from exc
        suggestions = scan_suggestions(scan, result.text)
        with transaction.atomic():
            scan = ScanFile.objects.select_for_update().get(pk=scan_id)
            if scan.status != ScanFile.Status.UPLOADED:
                return
            with target.open("rb") as pdf:
                scan.ocr_pdf.save(scan.sha256 + ".pdf", File(pdf), save=False)
            scan.text = result.text
            scan.pages = result.pages
            scan.ocr_seconds = round(result.seconds, 2)
            scan.ocr_at = timezone.now()
            scan.ocr_error = ""
            scan.suggestions = suggestions
            scan.status = ScanFile.Status.OCR_DONE
            scan.save(
                update_fields=[
                    "ocr_pdf",
                    "text",
                    "pages",
                    "ocr_seconds",
                    "ocr_at",
                    "ocr_error",
                    "suggestions",
                    "status",
                ]
            )
    logger.info("scan %s recognised: %s page(s) in %.1f s", scan_id, result.pages, result.seconds)
