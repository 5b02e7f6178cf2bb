"""Storing uploads: real type from the content, size limit, checksum, safe names, ClamAV scan.

ClamAV itself cannot be used in the tests: without network access it has no signatures. The scan
is tested against a tiny server speaking clamd's INSTREAM protocol on 127.0.0.1, started in the
test, which answers ``FOUND`` for content containing the EICAR test string and ``OK`` otherwise —
the same replies clamd gives, so the client code is exercised byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from amtsweg.cases.documents import (
    UploadRejected,
    clamd_scan,
    document_delete,
    document_store,
    sanitize_filename,
    sniff_content_type,
)
from amtsweg.cases.models import Document
from amtsweg.forms.models import Draft
from amtsweg.forms.tests.factories import (
    EXE_BYTES,
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    ZIP_BYTES,
    make_draft,
    publish_form,
)
from amtsweg.testing import World

# The EICAR anti-virus test file: harmless, but every scanner reports it.
# Split in two so that scanners do not flag this source file.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


@pytest.fixture(autouse=True)
def media(settings: Any) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as media:
        settings.MEDIA_ROOT = media
        yield Path(media)


@pytest.fixture
def draft(world: World) -> Draft:
    version = publish_form(world.town_service)
    return make_draft(applicant=world.citizen, version=version, authority=world.neuss)


def upload(name: str, content: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def store(world: World, draft: Draft, content: bytes, name: str = "a.pdf") -> Document:
    return document_store(upload=upload(name, content), kind="attachment", actor=world.citizen, draft=draft)


class FakeClamd:
    """A clamd stand-in: reads one INSTREAM per connection and replies like clamd."""

    def __init__(self, *, reply: bytes | None = None, unix_path: str | None = None) -> None:
        self.reply = reply
        self.received: list[bytes] = []
        if unix_path:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(unix_path)
            self.address = unix_path
        else:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.bind(("127.0.0.1", 0))
            self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        self.sock.listen(4)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _read_exact(self, conn: socket.socket, count: int) -> bytes:
        data = b""
        while len(data) < count:
            part = conn.recv(count - len(data))
            if not part:
                raise ConnectionError
            data += part
        return data

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            with conn:
                try:
                    assert self._read_exact(conn, 10) == b"zINSTREAM\0"
                    content = b""
                    while True:
                        (length,) = struct.unpack("!L", self._read_exact(conn, 4))
                        if length == 0:
                            break
                        content += self._read_exact(conn, length)
                except (ConnectionError, AssertionError):
                    continue
                self.received.append(content)
                if self.reply is not None:
                    conn.sendall(self.reply)
                elif EICAR in content:
                    conn.sendall(b"stream: Win.Test.EICAR_HDB-1 FOUND\0")
                else:
                    conn.sendall(b"stream: OK\0")

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def clamd() -> Iterator[FakeClamd]:
    server = FakeClamd()
    yield server
    server.close()


# --- type, size, checksum, name -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [(PDF_BYTES, "application/pdf"), (PNG_BYTES, "image/png"), (JPEG_BYTES, "image/jpeg")],
)
def test_accepted_types_are_stored_with_checksum_and_sniffed_type(
    world: World, draft: Draft, content: bytes, expected: str
) -> None:
    document = document_store(
        upload=upload("scan", content, content_type="application/octet-stream"),
        kind=Document.Kind.ATTACHMENT,
        actor=world.citizen,
        draft=draft,
        field_key="proof",
    )
    document.refresh_from_db()
    assert document.content_type == expected
    assert document.size == len(content)
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.draft == draft and document.field_key == "proof"
    assert document.uploaded_by == world.citizen
    assert document.scanned is False  # no scanner configured
    with document.file.open("rb") as handle:
        assert handle.read() == content
    # Stored under a random name, never the uploaded one.
    stored_name = str(document.file.name)
    assert Path(stored_name).name == str(document.id)
    assert "scan" not in stored_name


def test_an_exe_named_pdf_is_rejected_and_nothing_is_stored(world: World, draft: Draft, media: Path) -> None:
    with pytest.raises(UploadRejected) as caught:
        document_store(
            upload=upload("Personalausweis.pdf", EXE_BYTES, "application/pdf"),
            kind=Document.Kind.ATTACHMENT,
            actor=world.citizen,
            draft=draft,
        )
    assert caught.value.code == "upload-type-not-allowed"
    assert "Personalausweis.pdf" in caught.value.detail_de
    assert "Inhalt" in caught.value.detail_de
    assert caught.value.extra["detected_type"] == "application/vnd.microsoft.portable-executable"
    assert not Document.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


@pytest.mark.parametrize("content", [ZIP_BYTES, b"just some text", b"<html><script>alert(1)</script>"])
def test_other_types_are_rejected(world: World, draft: Draft, content: bytes) -> None:
    with pytest.raises(UploadRejected, match="allowed type"):
        document_store(upload=upload("a.pdf", content), kind="attachment", actor=world.citizen, draft=draft)


def test_allowed_types_can_be_narrowed(world: World, draft: Draft) -> None:
    with pytest.raises(UploadRejected) as caught:
        document_store(
            upload=upload("a.png", PNG_BYTES),
            kind="attachment",
            actor=world.citizen,
            draft=draft,
            allowed_types=["application/pdf"],
        )
    assert "Erlaubt sind: PDF." in caught.value.detail_de


def test_empty_file_is_rejected(world: World, draft: Draft) -> None:
    with pytest.raises(UploadRejected) as caught:
        store(world, draft, b"", "a.pdf")
    assert caught.value.code == "upload-empty"


@override_settings(UPLOAD_MAX_MB=1)
def test_oversized_file_is_rejected_with_413(world: World, draft: Draft) -> None:
    big = PDF_BYTES + b"0" * (1024 * 1024)
    with pytest.raises(UploadRejected) as caught:
        store(world, draft, big, "big.pdf")
    assert caught.value.status_code == 413
    assert "höchstens 1 MB" in caught.value.detail_de
    assert not Document.objects.exists()


def test_a_lying_size_attribute_does_not_help(world: World, draft: Draft) -> None:
    big = upload("big.pdf", PDF_BYTES + b"0" * (2 * 1024 * 1024))
    big.size = 10  # the content is read and counted, not the declared size
    with pytest.raises(UploadRejected, match="too large"):
        document_store(upload=big, kind="attachment", actor=world.citizen, draft=draft, max_size=1)


@override_settings(UPLOAD_MAX_FILES_PER_DRAFT=2)
def test_files_per_draft_are_limited(world: World, draft: Draft) -> None:
    for index in range(2):
        store(world, draft, PDF_BYTES, f"{index}.pdf")
    with pytest.raises(UploadRejected) as caught:
        store(world, draft, PDF_BYTES, "3.pdf")
    assert caught.value.code == "upload-limit-reached"
    assert Document.objects.filter(draft=draft).count() == 2


@pytest.mark.parametrize(
    ("name", "content_type", "expected"),
    [
        ("Ausweis.pdf", "application/pdf", "Ausweis.pdf"),
        ("C:\\Users\\clara\\Ausweis.PDF", "application/pdf", "Ausweis.pdf"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("bild.exe", "image/png", "bild.exe.png"),
        ("foto.jpeg", "image/jpeg", "foto.jpeg"),
        ("a\x00b\nc<script>.pdf", "application/pdf", "abc_script_.pdf"),
        ("", "application/pdf", "Datei.pdf"),
        ("...", "image/png", "Datei.png"),
        ("x" * 500 + ".pdf", "application/pdf", "x" * 116 + ".pdf"),
        ("Übersicht Straße.pdf", "application/pdf", "Übersicht Straße.pdf"),
    ],
)
def test_filenames_are_sanitized(name: str, content_type: str, expected: str) -> None:
    assert sanitize_filename(name, content_type) == expected


def test_sniffing_ignores_unknown_content() -> None:
    assert sniff_content_type(b"") is None
    assert sniff_content_type(b"plain words") is None
    assert sniff_content_type(PDF_BYTES) == "application/pdf"


def test_document_delete_removes_the_file(
    world: World, draft: Draft, django_capture_on_commit_callbacks: Any
) -> None:
    document = store(world, draft, PDF_BYTES, "a.pdf")
    path = Path(document.file.path)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        document_delete(document=document)
    assert not path.exists()
    assert not Document.objects.filter(pk=document.pk).exists()


# --- virus scan ---------------------------------------------------------------------------------


def test_clean_file_is_scanned_and_marked(
    world: World, draft: Draft, clamd: FakeClamd, settings: Any
) -> None:
    settings.CLAMAV_ADDRESS = clamd.address
    document = store(world, draft, PDF_BYTES, "a.pdf")
    assert document.scanned is True
    assert clamd.received == [PDF_BYTES]  # the whole content went to the scanner


def test_eicar_is_rejected_and_nothing_is_stored(
    world: World, draft: Draft, clamd: FakeClamd, settings: Any, media: Path
) -> None:
    settings.CLAMAV_ADDRESS = clamd.address
    infected = PDF_BYTES + EICAR  # a PDF by its first bytes, so only the scan can catch it
    with pytest.raises(UploadRejected) as caught:
        store(world, draft, infected, "a.pdf")
    assert caught.value.code == "upload-infected"
    assert "Schadsoftware" in caught.value.detail_de
    assert caught.value.extra["signature"] == "Win.Test.EICAR_HDB-1"
    assert not Document.objects.exists()
    assert not any(path.is_file() for path in media.rglob("*"))


def test_large_files_are_streamed_in_chunks(clamd: FakeClamd) -> None:
    content = os.urandom(200_000)
    assert clamd_scan(iter([content[:150_000], content[150_000:]]), address=clamd.address) is None
    assert clamd.received == [content]


def test_unreachable_scanner_rejects_the_upload(world: World, draft: Draft, settings: Any) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    settings.CLAMAV_ADDRESS = f"127.0.0.1:{port}"
    with pytest.raises(UploadRejected) as caught:
        store(world, draft, PDF_BYTES, "a.pdf")
    assert caught.value.code == "upload-scan-unavailable"
    assert caught.value.status_code == 503
    assert "Prüfung derzeit nicht möglich" in caught.value.detail_de
    assert not Document.objects.exists()


@pytest.mark.parametrize("reply", [b"stream: Can't allocate memory ERROR\0", b"", b"garbage\0"])
def test_scanner_errors_reject_the_upload(world: World, draft: Draft, settings: Any, reply: bytes) -> None:
    server = FakeClamd(reply=reply)
    settings.CLAMAV_ADDRESS = server.address
    try:
        with pytest.raises(UploadRejected, match="scanning is currently unavailable"):
            store(world, draft, PDF_BYTES, "a.pdf")
    finally:
        server.close()
    assert not Document.objects.exists()


def test_scanner_on_a_unix_socket(world: World, draft: Draft, settings: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = FakeClamd(unix_path=os.path.join(folder, "clamd.sock"))
        settings.CLAMAV_ADDRESS = server.address
        try:
            document = document_store(
                upload=upload("a.pdf", PDF_BYTES), kind="attachment", actor=world.citizen, draft=draft
            )
        finally:
            server.close()
    assert document.scanned
