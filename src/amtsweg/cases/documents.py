"""Storing uploaded files (Dokumente): type sniffed from the content, size limit, checksum, virus scan.

:func:`document_store` is the only way an upload becomes a :class:`~amtsweg.cases.models.Document`.
It never trusts the file name or the browser's content type: the type comes from the first bytes
(puremagic), and only PDF, JPEG and PNG are accepted unless the caller allows others. When
``CLAMAV_ADDRESS`` is set, every file is streamed to clamd (INSTREAM) before it is stored; an
infected file, or a scanner that cannot be reached, rejects the upload and stores nothing.
"""

from __future__ import annotations

import hashlib
import re
import socket
import struct
import unicodedata
import uuid
from collections.abc import Collection, Iterator
from pathlib import PurePath
from typing import TYPE_CHECKING

import puremagic
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from amtsweg.core.problems import Problem

from .models import Case, Document, InformationRequest

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from amtsweg.forms.models import Draft
    from amtsweg.identity.models import User

DEFAULT_ALLOWED_TYPES = ("application/pdf", "image/jpeg", "image/png")
TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}
EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}
SNIFF_BYTES = 8192
CHUNK = 64 * 1024
MAX_FILENAME = 120


class UploadRejected(Problem):
    """An upload that is not stored; the message says why in words the applicant understands."""

    status_code = 422
    code = "upload-rejected"


def upload_max_mb() -> int:
    return int(getattr(settings, "UPLOAD_MAX_MB", 10))


def upload_max_files_per_draft() -> int:
    return int(getattr(settings, "UPLOAD_MAX_FILES_PER_DRAFT", 20))


def _types_text(types: Collection[str]) -> str:
    return ", ".join(TYPE_NAMES.get(t, t) for t in types)


def sniff_content_type(head: bytes) -> str | None:
    """The MIME type the content says it has (the best guess of puremagic), or None if unknown."""
    if not head:
        return None
    try:
        candidates = puremagic.magic_string(head)
    except (puremagic.PureError, ValueError):
        return None
    best = max((c.confidence for c in candidates if c.mime_type), default=None)
    if best is None:
        return None
    for candidate in candidates:  # puremagic lists the most likely first; ties keep that order
        if candidate.mime_type and candidate.confidence == best:
            return str(candidate.mime_type)
    return None


def sanitize_filename(name: str, content_type: str) -> str:
    """A display name safe in every file system and header: no path, no control characters.

    The extension is made to match the real type, so a PDF named ``bild.exe`` is kept as
    ``bild.exe.pdf`` and opens as what it is.
    """
    base = PurePath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C")
    base = re.sub(r'[<>:"/\\|?*;]', "_", base)
    base = " ".join(base.split()).strip(" .")
    extension = EXTENSIONS.get(content_type, "")
    stem = base
    if extension and base.lower().endswith(extension):
        stem = base[: -len(extension)]
    elif content_type == "image/jpeg" and base.lower().endswith(".jpeg"):
        stem, extension = base[:-5], ".jpeg"
    stem = stem[: MAX_FILENAME - len(extension)].strip(" .") or _("Datei")
    return stem + extension


def _chunks(upload: UploadedFile[bytes]) -> Iterator[bytes]:
    upload.seek(0)
    yield from upload.chunks(CHUNK)


# --- virus scan: the clamd INSTREAM protocol --------------------------------------------------


class ScanUnavailable(Exception):
    """clamd could not be reached or answered something unexpected."""


def _clamd_connect(address: str, timeout: float) -> socket.socket:
    if address.startswith("/"):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(address)
        return sock
    host, _sep, port = address.rpartition(":")
    return socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout)


def clamd_scan(chunks: Iterator[bytes], *, address: str, timeout: float = 30.0) -> str | None:
    """Stream the content to clamd; None when clean, else the name of what was found.

    Protocol (clamd(8)): ``zINSTREAM\\0``, then chunks each prefixed with their length as a 4-byte
    big-endian integer, a zero-length chunk to end; the reply is ``stream: OK`` or
    ``stream: <signature> FOUND`` (or ``... ERROR``), terminated by a NUL byte.
    """
    try:
        with _clamd_connect(address, timeout) as sock:
            sock.sendall(b"zINSTREAM\0")
            for chunk in chunks:
                for start in range(0, len(chunk), CHUNK):
                    part = chunk[start : start + CHUNK]
                    sock.sendall(struct.pack("!L", len(part)) + part)
            sock.sendall(struct.pack("!L", 0))
            reply = b""
            while not reply.endswith(b"\0") and len(reply) < 4096:
                data = sock.recv(4096)
                if not data:
                    break
                reply += data
    except (OSError, ValueError) as exc:
        raise ScanUnavailable(type(exc).__name__) from exc
    text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    if text.endswith("OK") and "FOUND" not in text:
        return None
    if text.endswith("FOUND"):
        return text.removeprefix("stream:").removesuffix("FOUND").strip() or "unknown"
    raise ScanUnavailable(text[:200] or "empty reply")


# --- storing ----------------------------------------------------------------------------------


def document_store(
    *,
    upload: UploadedFile[bytes],
    kind: str,
    actor: User | AnonymousUser | None,
    draft: Draft | None = None,
    case: Case | None = None,
    information_request: InformationRequest | None = None,
    field_key: str = "",
    allowed_types: Collection[str] | None = None,
    max_size: int | None = None,
) -> Document:
    """Check ``upload`` and store it as a :class:`Document`; raises :class:`UploadRejected` otherwise.

    ``max_size`` is in megabytes (default ``UPLOAD_MAX_MB``, 10). Checks, in order: not empty, not
    too large, the real type (sniffed) is allowed, the draft has room for another file, the scan
    finds nothing. Nothing is written before every check has passed; if storing the row fails,
    the file is removed again.
    """
    allowed = tuple(allowed_types or DEFAULT_ALLOWED_TYPES)
    limit_mb = max_size or upload_max_mb()
    limit = limit_mb * 1024 * 1024
    declared_size = upload.size or 0
    if declared_size > limit:
        raise _too_large(limit_mb, sanitize_filename(upload.name or "", ""))

    digest = hashlib.sha256()
    size = 0
    head = b""
    for chunk in _chunks(upload):
        size += len(chunk)
        if size > limit:
            raise _too_large(limit_mb, sanitize_filename(upload.name or "", ""))
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
        digest.update(chunk)
    shown_name = sanitize_filename(upload.name or "", "")
    if size == 0:
        raise UploadRejected(
            f"Die Datei „{shown_name}“ ist leer. Bitte wählen Sie eine andere Datei.",
            f"The file “{shown_name}” is empty. Please choose another file.",
            code="upload-empty",
        )

    content_type = sniff_content_type(head)
    shown_name = sanitize_filename(upload.name or "", "")
    if content_type not in allowed:
        raise UploadRejected(
            f"Die Datei „{shown_name}“ hat keinen erlaubten Dateityp. Erlaubt sind: {_types_text(allowed)}. "
            "Maßgeblich ist der Inhalt der Datei, nicht ihr Name.",
            f"The file “{shown_name}” is not of an allowed type ({_types_text(allowed)}); "
            "its content decides, not its name.",
            code="upload-type-not-allowed",
            extra={"detected_type": content_type or "unknown"},
        )

    if draft is not None:
        count = Document.objects.filter(draft=draft).count()
        most = upload_max_files_per_draft()
        if count >= most:
            raise UploadRejected(
                f"Zu einem Antrag können höchstens {most} Dateien hochgeladen werden.",
                f"At most {most} files can be uploaded to one application.",
                code="upload-limit-reached",
            )

    scanned = False
    address = str(getattr(settings, "CLAMAV_ADDRESS", "") or "")
    if address:
        try:
            found = clamd_scan(
                _chunks(upload), address=address, timeout=float(getattr(settings, "CLAMAV_TIMEOUT", 30))
            )
        except ScanUnavailable as exc:
            raise UploadRejected(
                f"Die Datei „{shown_name}“ konnte nicht auf Schadsoftware geprüft werden "
                "(Prüfung derzeit nicht möglich). Bitte versuchen Sie es später noch einmal.",
                f"The file “{shown_name}” could not be checked for malware "
                "(scanning is currently unavailable). Please try again later.",
                status_code=503,
                code="upload-scan-unavailable",
            ) from exc
        if found is not None:
            raise UploadRejected(
                f"Die Datei „{shown_name}“ enthält Schadsoftware und wurde nicht gespeichert.",
                f"The file “{shown_name}” contains malware and was not stored.",
                code="upload-infected",
                extra={"signature": found},
            )
        scanned = True

    document = Document(
        id=uuid.uuid4(),
        kind=kind,
        draft=draft,
        case=case,
        information_request=information_request,
        field_key=field_key[:63],
        filename=sanitize_filename(upload.name or "", content_type),
        content_type=content_type,
        size=size,
        sha256=digest.hexdigest(),
        scanned=scanned,
        uploaded_by=actor if actor is not None and actor.is_authenticated else None,
        created_at=timezone.now(),
    )
    upload.seek(0)
    document.file.save(str(document.id), upload, save=False)
    try:
        with transaction.atomic():
            document.save(force_insert=True)
    except BaseException:
        document.file.delete(save=False)
        raise
    return document


def document_delete(*, document: Document) -> None:
    """Remove a document and, once the transaction has committed, its file."""
    name, storage = document.file.name, document.file.storage
    document.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


def _too_large(limit_mb: int, name: str) -> UploadRejected:
    return UploadRejected(
        f"Die Datei „{name}“ ist zu groß. Erlaubt sind höchstens {limit_mb} MB.",
        f"The file “{name}” is too large; the limit is {limit_mb} MB.",
        status_code=413,
        code="upload-too-large",
    )


def document_response(document: Document) -> FileResponse:
    """The stored file as a download, for every caller (staff, citizen, API, notices).

    Always an attachment with the stored (sniffed) type, never rendered inline and never sniffed into
    another type by the browser, so an uploaded HTML or SVG cannot run in the portal; never cached.
    A file missing from storage is a 404, not a 500.
    """
    try:
        handle = document.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=document.filename,
        content_type=document.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
