"""Writes of the capture part: bulk upload of scanned paper files, indexing a scan to parcels and
entries, the four-eyes check, and retrying a failed OCR.

Uploads are checked by their content, never by name or browser type: a PDF starts with ``%PDF-`` and
ends with ``%%EOF`` (a truncated file does not), is not encrypted (``/Encrypt``); a TIFF starts with
``II*\\0`` or ``MM\\0*`` and opens with Pillow. One upload is all or nothing: a bad file refuses the
whole upload with a message naming it, so that nothing half-done is left behind; a file the authority
already has (same SHA-256) is not stored again but reported as a duplicate, so a box can simply be
uploaded again after fixing a file. Every stored file gets one outbox message ``baulasten.ocr``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from amtsweg.cases.documents import sanitize_filename
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.outbox.services import outbox_enqueue
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent

from . import suggest
from .flurstueck import parse
from .models import Baulast, Gemarkung, Parcel, Register, ScanBatch, ScanFile

OCR_KIND = "baulasten.ocr"
CHUNK = 1024 * 1024
TAIL = 2048  # "%%EOF" must appear in the last bytes of a complete PDF
PDF, TIFF = "application/pdf", "image/tiff"
_OVERLAP = 16  # bytes kept between chunks so that "/Encrypt" split by a chunk border is still seen


class ScanRejected(Problem):
    """An upload or a capture step that is refused; the message names the file or the reason."""

    status_code = 422
    code = "scan-rejected"


@dataclass
class BatchUpload:
    """What an upload did: the batch (None when every file was a duplicate), the new and the
    already known files."""

    batch: ScanBatch | None
    created: list[ScanFile] = field(default_factory=list)
    duplicates: list[ScanFile] = field(default_factory=list)


@dataclass
class _Checked:
    upload: UploadedFile[bytes]
    name: str
    content_type: str
    size: int
    sha256: str


def _chunks(upload: UploadedFile[bytes]) -> Iterator[bytes]:
    upload.seek(0)
    yield from upload.chunks(CHUNK)


def _refuse(code: str, de: str, en: str, name: str, *, status_code: int = 422) -> ScanRejected:
    return ScanRejected(de, en, code=code, status_code=status_code, extra={"file": name})


def _check(upload: UploadedFile[bytes]) -> _Checked:
    """Size, type by content, structure and checksum of one file, read once as a stream."""
    limit_mb = int(settings.BAULASTEN_SCAN_MAX_MB)
    limit = limit_mb * 1024 * 1024
    name = sanitize_filename(upload.name or "", "")
    too_large = _refuse(
        "scan-too-large",
        f"Die Datei „{name}“ ist zu groß; erlaubt sind höchstens {limit_mb} MB je Datei.",
        f"The file “{name}” is too large; the limit is {limit_mb} MB per file.",
        name,
        status_code=413,
    )
    if (upload.size or 0) > limit:
        raise too_large
    digest = hashlib.sha256()
    size = 0
    head = b""
    tail = b""
    encrypted = False
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > limit:
            raise too_large
        if len(head) < 8:
            head += chunk[: 8 - len(head)]
        window = tail[-_OVERLAP:] + chunk
        encrypted = encrypted or b"/Encrypt" in window
        tail = (tail + chunk)[-TAIL:]
        digest.update(chunk)
    if size == 0:
        raise _refuse("scan-empty", f"Die Datei „{name}“ ist leer.", f"The file “{name}” is empty.", name)
    if head.startswith(b"%PDF-"):
        content_type = PDF
        if b"%%EOF" not in tail:
            raise _refuse(
                "scan-broken",
                f"Die Datei „{name}“ ist kein vollständiges PDF (beschädigt oder abgeschnitten). "
                "Bitte scannen oder exportieren Sie sie neu.",
                f"The file “{name}” is not a complete PDF (damaged or truncated). "
                "Please scan or export it again.",
                name,
            )
        if encrypted:
            raise _refuse(
                "scan-encrypted",
                f"Die Datei „{name}“ ist verschlüsselt oder kennwortgeschützt. Bitte laden Sie sie ohne "
                "Kennwort hoch (z. B. im Scanprogramm ohne Schutz speichern).",
                f"The file “{name}” is encrypted or password protected. Please upload it without a password.",
                name,
            )
    elif head[:4] in (b"II*\x00", b"MM\x00*"):
        content_type = TIFF
        _check_tiff(upload, name)
    else:
        raise _refuse(
            "scan-type",
            f"Die Datei „{name}“ ist weder PDF noch TIFF. "
            "Maßgeblich ist der Inhalt der Datei, nicht ihr Name.",
            f"The file “{name}” is neither PDF nor TIFF; its content decides, not its name.",
            name,
            status_code=415,
        )
    return _Checked(
        upload, sanitize_filename(upload.name or "", content_type), content_type, size, digest.hexdigest()
    )


def _check_tiff(upload: UploadedFile[bytes], name: str) -> None:
    from PIL import Image, UnidentifiedImageError

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            frames = getattr(image, "n_frames", 1)
            image.seek(frames - 1)  # walks every page directory: a truncated TIFF fails here
    except (UnidentifiedImageError, OSError, EOFError, ValueError, SyntaxError) as exc:
        raise _refuse(
            "scan-broken",
            f"Die Datei „{name}“ ist kein lesbares TIFF (beschädigt?).",
            f"The file “{name}” is not a readable TIFF (damaged?).",
            name,
        ) from exc


def _require_staff(actor: User, authority_id: int) -> None:
    if not access.can_access(actor, authority_id):
        raise Problem(
            "Nur Beschäftigte der führenden Behörde dürfen Scans bearbeiten.",
            "Only staff of the keeping authority may work on scans.",
            status_code=403,
            code="scan-forbidden",
        )


def scan_batch_upload_report(
    *, register: Register, actor: User, files: list[UploadedFile[bytes]], label: str, channel: str
) -> BatchUpload:
    """Check and store ``files`` as one batch of ``register``; see the module docstring."""
    _require_staff(actor, register.authority_id)
    most = int(settings.BAULASTEN_SCAN_MAX_FILES)
    if not files:
        raise ScanRejected(
            "Bitte wählen Sie mindestens eine Datei aus.",
            "Please choose at least one file.",
            code="scan-none",
        )
    if len(files) > most:
        raise ScanRejected(
            f"Höchstens {most} Dateien je Hochladen (hier {len(files)}); bitte teilen Sie den Stapel auf.",
            f"At most {most} files per upload ({len(files)} given); please split the batch.",
            code="scan-too-many",
            status_code=413,
        )
    checked = [_check(upload) for upload in files]
    result = BatchUpload(batch=None)
    saved: list[ScanFile] = []
    try:
        with transaction.atomic():
            known = {
                scan.sha256: scan
                for scan in ScanFile.objects.filter(
                    authority_id=register.authority_id, sha256__in=[c.sha256 for c in checked]
                )
            }
            for item in checked:
                if item.sha256 in known:
                    result.duplicates.append(known[item.sha256])
                    continue
                if result.batch is None:
                    result.batch = ScanBatch.objects.create(
                        register=register,
                        authority_id=register.authority_id,
                        label=label[:200],
                        uploaded_by=actor,
                    )
                scan = ScanFile(
                    batch=result.batch,
                    authority_id=register.authority_id,
                    original_name=item.name[:200],
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                )
                item.upload.seek(0)
                scan.original.save(item.sha256, item.upload, save=False)  # streamed in chunks
                saved.append(scan)
                try:
                    with transaction.atomic():
                        scan.save(force_insert=True)
                except IntegrityError:
                    # The same file arrived in a parallel upload a moment ago.
                    scan.original.delete(save=False)
                    saved.remove(scan)
                    result.duplicates.append(
                        ScanFile.objects.get(authority_id=register.authority_id, sha256=item.sha256)
                    )
                    continue
                known[item.sha256] = scan
                result.created.append(scan)
                outbox_enqueue(
                    kind=OCR_KIND,
                    payload={"scan_id": scan.pk},
                    dedupe_key=f"{OCR_KIND}:{scan.pk}",
                    authority_id=register.authority_id,
                )
            if result.batch is not None:
                access.audit(
                    actor=actor,
                    action=AuditEvent.Action.CREATE,
                    obj=result.batch,
                    authority_id=register.authority_id,
                    channel=channel,
                    changes={
                        "files": [s.pk for s in result.created],
                        "duplicates": [s.pk for s in result.duplicates],
                    },
                )
    except BaseException:
        for scan in saved:
            scan.original.delete(save=False)
        raise
    return result


def scan_batch_upload(
    *, register: Register, actor: User, files: list[UploadedFile[bytes]], label: str, channel: str
) -> ScanBatch:
    """The design's contract: the new batch (or, when every file was known already, the batch of
    the first of them). Use :func:`scan_batch_upload_report` to learn which files were duplicates."""
    result = scan_batch_upload_report(
        register=register, actor=actor, files=files, label=label, channel=channel
    )
    if result.batch is not None:
        return result.batch
    return result.duplicates[0].batch


def _locked(scan: ScanFile) -> ScanFile:
    return ScanFile.objects.select_for_update().select_related("batch__register").get(pk=scan.pk)


def _conflict(de: str, en: str, code: str) -> Problem:
    return Problem(de, en, status_code=409, code=code)


def scan_index(
    *, scan: ScanFile, actor: User, parcels: list[str], entries: list[int], channel: str
) -> ScanFile:
    """Index ``scan`` to ``parcels`` (Flurstückskennzeichen) and ``entries`` (ids of the same register).

    Allowed when the text is recognised (or recognition failed: the paper still needs indexing), and
    again by the same person while the scan waits for its check. Parcels must lie in the register's
    area; an unknown parcel of a known Gemarkung is added to the parcel table."""
    _require_staff(actor, scan.authority_id)
    if not parcels and not entries:
        raise ScanRejected(
            "Bitte ordnen Sie den Scan mindestens einem Flurstück oder einer Baulast zu.",
            "Please assign the scan to at least one parcel or entry.",
            code="scan-index-empty",
        )
    with transaction.atomic():
        scan = _locked(scan)
        register = scan.batch.register
        if scan.status == ScanFile.Status.INDEXED and scan.indexed_by_id != actor.pk:
            raise _conflict(
                "Dieser Scan ist bereits von einer anderen Person erfasst und wartet auf die Prüfung.",
                "This scan was indexed by someone else and is waiting for its check.",
                "scan-indexed-by-other",
            )
        if scan.status not in (ScanFile.Status.OCR_DONE, ScanFile.Status.OCR_FAILED, ScanFile.Status.INDEXED):
            raise _conflict(
                f"Ein Scan im Status „{scan.get_status_display()}“ kann nicht erfasst werden.",
                f"A scan with status “{scan.status}” cannot be indexed.",
                "scan-state",
            )
        parcel_rows = _parcels(register, parcels)
        entry_ids = list(dict.fromkeys(entries))
        entry_rows = list(Baulast.objects.filter(register=register, pk__in=entry_ids))
        if len(entry_rows) != len(entry_ids):
            missing = sorted(set(entry_ids) - {e.pk for e in entry_rows})
            raise ScanRejected(
                f"Baulast(en) {', '.join(map(str, missing))} gibt es in diesem Verzeichnis nicht.",
                f"Entries {', '.join(map(str, missing))} do not exist in this register.",
                code="scan-entry-elsewhere",
                extra={"entries": missing},
            )
        # One by one, so that the first parcel keeps the lowest link id (progress counts the scan
        # for the town of its first parcel).
        scan.parcels.clear()
        for parcel in parcel_rows:
            scan.parcels.add(parcel)
        scan.entries.set(entry_rows)
        scan.status = ScanFile.Status.INDEXED
        scan.indexed_by = actor
        scan.indexed_at = timezone.now()
        scan.checked_by = None
        scan.checked_at = None
        scan.save(update_fields=["status", "indexed_by", "indexed_at", "checked_by", "checked_at"])
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=scan,
            authority_id=scan.authority_id,
            channel=channel,
            changes={
                "status": scan.status,
                "parcels": [p.kennzeichen for p in parcel_rows],
                "entries": entry_ids,
            },
        )
    return scan


def _parcels(register: Register, keys: list[str]) -> list[Parcel]:
    towns = set(register.areas.values_list("town_id", flat=True))
    rows: list[Parcel] = []
    for key in dict.fromkeys(k.strip() for k in keys):
        parts = parse(key)  # InvalidKennzeichen: 422 naming the part
        gemarkung = Gemarkung.objects.filter(key=parts.gemarkung_key).first()
        if gemarkung is None or gemarkung.town_id not in towns:
            raise ScanRejected(
                f"Das Flurstück {key} liegt nicht im Gebiet dieses Baulastenverzeichnisses.",
                f"Parcel {key} is not in this register's area.",
                code="scan-parcel-elsewhere",
                extra={"kennzeichen": key},
            )
        parcel, _created = Parcel.objects.get_or_create(
            kennzeichen=parts.kennzeichen,
            defaults={
                "gemarkung": gemarkung,
                "flur": parts.flur,
                "zaehler": parts.zaehler,
                "nenner": parts.nenner,
                "folge": parts.folge,
            },
        )
        rows.append(parcel)
    return rows


def scan_check(*, scan: ScanFile, actor: User, approve: bool, note: str = "", channel: str) -> ScanFile:
    """The second person's check of an indexed scan: approve → checked; reject (with a note) → back
    to the capture queue. The person who indexed it can do neither (409; the database refuses it too)."""
    _require_staff(actor, scan.authority_id)
    note = note.strip()
    if not approve and not note:
        raise ScanRejected(
            "Bitte begründen Sie die Rückgabe, damit die Erfassung korrigiert werden kann.",
            "Please give a reason for sending the scan back.",
            code="scan-reject-reason",
        )
    with transaction.atomic():
        scan = _locked(scan)
        if scan.status != ScanFile.Status.INDEXED:
            raise _conflict(
                "Nur erfasste Scans können geprüft werden.",
                "Only indexed scans can be checked.",
                "scan-state",
            )
        if scan.indexed_by_id == actor.pk:
            raise _conflict(
                "Vier-Augen-Prinzip: Wer einen Scan erfasst hat, darf ihn nicht selbst prüfen.",
                "Four eyes: whoever indexed a scan may not check it.",
                "scan-four-eyes",
            )
        if approve:
            scan.status = ScanFile.Status.CHECKED
            scan.checked_by = actor
            scan.checked_at = timezone.now()
        else:
            # Back to the queue; a scan whose OCR failed and was indexed by hand goes back to that list.
            scan.status = ScanFile.Status.OCR_FAILED if scan.ocr_error else ScanFile.Status.OCR_DONE
            scan.checked_by = None
            scan.checked_at = None
        scan.save(update_fields=["status", "checked_by", "checked_at"])
        changes: dict[str, Any] = {"status": scan.status, "approved": approve}
        if note:
            changes["note"] = note[:2000]
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=scan,
            authority_id=scan.authority_id,
            channel=channel,
            changes=changes,
        )
    return scan


def last_check_note(scan: ScanFile) -> str:
    """The note of the last rejection, if the scan was sent back and not indexed since."""
    if scan.status not in (ScanFile.Status.OCR_DONE, ScanFile.Status.OCR_FAILED):
        return ""
    event = (
        AuditEvent.objects.filter(
            object_type=scan._meta.label_lower, object_id=str(scan.pk), changes__approved=False
        )
        .order_by("-at", "-pk")
        .first()
    )
    return str(event.changes.get("note", "")) if event is not None else ""


def scan_ocr_retry(*, scan: ScanFile, actor: User, channel: str) -> ScanFile:
    """Queue the OCR of a scan whose recognition failed once more (e.g. after installing OCRmyPDF)."""
    _require_staff(actor, scan.authority_id)
    with transaction.atomic():
        scan = _locked(scan)
        if scan.status != ScanFile.Status.OCR_FAILED:
            raise _conflict(
                "Nur Scans mit fehlgeschlagener Texterkennung können neu erkannt werden.",
                "Only scans whose OCR failed can be recognised again.",
                "scan-state",
            )
        scan.status = ScanFile.Status.UPLOADED
        scan.ocr_error = ""
        scan.save(update_fields=["status", "ocr_error"])
        outbox_enqueue(
            kind=OCR_KIND,
            payload={"scan_id": scan.pk},
            dedupe_key=f"{OCR_KIND}:{scan.pk}:{timezone.now().timestamp():.6f}",
            authority_id=scan.authority_id,
        )
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=scan,
            authority_id=scan.authority_id,
            channel=channel,
            changes={"status": scan.status, "ocr_retry": True},
        )
    return scan


def scan_suggestions(scan: ScanFile, text: str) -> list[dict[str, Any]]:
    """The OCR suggestions of ``text`` for ``scan``'s register: parcels of its area's Gemarkungen,
    sheet and number, kinds, and the register's entries on the suggested parcels (or with the
    suggested sheet and number)."""
    register = scan.batch.register
    gemarkungen = Gemarkung.objects.filter(town__baulasten_area__register=register).values_list("key", "name")
    found = suggest.suggestions(text, list(gemarkungen))
    keys = [s["kennzeichen"] for s in found if s["type"] == "parcel"]
    sheet = next((s["sheet"] for s in found if s["type"] == "sheet"), None)
    numbers = {s["number"] for s in found if s["type"] == "number"}
    entries = Baulast.objects.filter(register=register, parcel_links__parcel__kennzeichen__in=keys).distinct()
    exact = set()
    if sheet is not None and numbers:
        exact = set(
            Baulast.objects.filter(register=register, sheet=sheet, number__in=numbers).values_list(
                "pk", flat=True
            )
        )
    rows = {e.pk: e for e in entries} | {e.pk: e for e in Baulast.objects.filter(pk__in=exact)}
    for entry in sorted(rows.values(), key=lambda e: (e.sheet, e.number)):
        found.append(
            {
                "type": "entry",
                "entry_id": entry.pk,
                "label": f"Baulastenblatt {entry.sheet}, lfd. Nr. {entry.number} ({entry.get_kind_display()})"
                + (" – gelöscht" if entry.deleted_on else ""),
                "count": 1,
                "checked": entry.pk in exact or (not exact and len(rows) == 1),
            }
        )
    return found
