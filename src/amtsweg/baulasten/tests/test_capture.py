"""Capture of the paper files: upload checks, the OCR handler end to end, indexing, the four-eyes
check (service and database), progress figures, pages and API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import Client, override_settings

from amtsweg.core.problems import Problem
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.tenancy.models import AuditEvent, Authority
from amtsweg.testing import World

from ..flurstueck import InvalidKennzeichen
from ..handlers_capture import ocr_scan
from ..models import Register, RegisterArea, ScanBatch, ScanFile
from ..selectors_capture import progress_by_batch, progress_by_town, scans_of
from ..services_capture import (
    OCR_KIND,
    ScanRejected,
    last_check_note,
    scan_batch_upload,
    scan_batch_upload_report,
    scan_check,
    scan_index,
    scan_ocr_retry,
)
from ..syschecks import check_ocr
from .factories import DORMAGEN_45, JUECHEN_8, NEUSS_119_2, NEUSS_119_3, BaulastenSetup, baulasten_setup
from .ocr_support import normalised, require_ocr
from .scans import scan_pdf, scan_tiff

MINI_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def setup(world: World) -> BaulastenSetup:
    return baulasten_setup(world)


def _file(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _upload(setup: BaulastenSetup, *files: SimpleUploadedFile, label: str = "Karton 1") -> Any:
    return scan_batch_upload_report(
        register=setup.neuss_register, actor=setup.bau_neuss, files=list(files), label=label, channel="web"
    )


def _scan(setup: BaulastenSetup, status: str = ScanFile.Status.OCR_DONE, **fields: Any) -> ScanFile:
    register = fields.pop("register", setup.neuss_register)
    batch = fields.pop("batch", None) or ScanBatch.objects.create(
        register=register, authority=register.authority, label="Stapel", uploaded_by=setup.bau_neuss
    )
    scan = ScanFile(
        batch=batch,
        authority=register.authority,
        original_name="blatt.pdf",
        content_type="application/pdf",
        size=len(MINI_PDF),
        sha256=f"{ScanFile.objects.count() + 1:064d}",
        status=status,
        **fields,
    )
    scan.original.save(scan.sha256, ContentFile(MINI_PDF), save=False)
    scan.save()
    return scan


# --- upload checks ---------------------------------------------------------------------------------


def test_upload_stores_files_once_and_queues_ocr_per_file(setup: BaulastenSetup) -> None:
    pdf = MINI_PDF
    tiff = scan_tiff(1)
    result = _upload(setup, _file("a.pdf", pdf), _file("b.tif", tiff, "image/tiff"))
    assert len(result.created) == 2 and not result.duplicates
    a, b = result.created
    assert (a.content_type, b.content_type) == ("application/pdf", "image/tiff")
    assert a.original.read() == pdf and a.status == ScanFile.Status.UPLOADED
    messages = OutboxMessage.objects.filter(kind=OCR_KIND).order_by("pk")
    assert [m.payload for m in messages] == [{"scan_id": a.pk}, {"scan_id": b.pk}]  # ids only
    assert [m.dedupe_key for m in messages] == [f"baulasten.ocr:{a.pk}", f"baulasten.ocr:{b.pk}"]

    again = _upload(setup, _file("a-kopie.pdf", pdf), _file("c.pdf", pdf + b"\n"))
    assert [s.pk for s in again.duplicates] == [a.pk]
    assert len(again.created) == 1
    assert ScanFile.objects.count() == 3
    assert OutboxMessage.objects.filter(kind=OCR_KIND).count() == 3
    only_known = scan_batch_upload(
        register=setup.neuss_register,
        actor=setup.bau_neuss,
        files=[_file("x.pdf", pdf)],
        label="",
        channel="web",
    )
    assert only_known == a.batch and ScanBatch.objects.count() == 2  # no empty batch


def test_the_same_file_twice_in_one_upload_is_stored_once(setup: BaulastenSetup) -> None:
    result = _upload(setup, _file("a.pdf", MINI_PDF), _file("b.pdf", MINI_PDF))
    assert len(result.created) == 1 and len(result.duplicates) == 1


def test_same_file_at_another_authority_is_its_own(setup: BaulastenSetup) -> None:
    _upload(setup, _file("a.pdf", MINI_PDF))
    other = scan_batch_upload_report(
        register=setup.dormagen_register,
        actor=setup.bau_dormagen,
        files=[_file("a.pdf", MINI_PDF)],
        label="",
        channel="web",
    )
    assert len(other.created) == 1


@pytest.mark.parametrize(
    ("name", "data", "code"),
    [
        ("leer.pdf", b"", "scan-empty"),
        ("bild.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 100, "scan-type"),
        ("text.tif", b"hello world", "scan-type"),
        ("kaputt.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n", "scan-broken"),
        ("geheim.pdf", b"%PDF-1.4\ntrailer<</Encrypt 7 0 R>>\n%%EOF\n", "scan-encrypted"),
        ("kaputt.tif", b"II*\x00" + b"\x00" * 20, "scan-broken"),
    ],
)
def test_bad_files_are_refused_by_content(setup: BaulastenSetup, name: str, data: bytes, code: str) -> None:
    with pytest.raises(ScanRejected) as caught:
        _upload(setup, _file("gut.pdf", MINI_PDF), _file(name, data))
    assert caught.value.code == code
    assert name in caught.value.detail_de and caught.value.extra == {"file": name}
    assert not ScanFile.objects.exists() and not OutboxMessage.objects.exists()  # all or nothing


@override_settings(BAULASTEN_SCAN_MAX_MB=1)
def test_too_large_file_is_refused(setup: BaulastenSetup) -> None:
    big = MINI_PDF[:-6] + b"0" * (1024 * 1024) + b"%%EOF\n"
    with pytest.raises(ScanRejected) as caught:
        _upload(setup, _file("gross.pdf", big))
    assert caught.value.code == "scan-too-large" and caught.value.status_code == 413


@override_settings(BAULASTEN_SCAN_MAX_FILES=2)
def test_too_many_files_are_refused(setup: BaulastenSetup) -> None:
    with pytest.raises(ScanRejected) as caught:
        _upload(setup, *(_file(f"{n}.pdf", MINI_PDF + bytes([n])) for n in range(3)))
    assert caught.value.code == "scan-too-many"
    with pytest.raises(ScanRejected):
        _upload(setup)


def test_staff_of_another_town_cannot_upload(setup: BaulastenSetup) -> None:
    with pytest.raises(Problem) as caught:
        scan_batch_upload_report(
            register=setup.neuss_register,
            actor=setup.bau_dormagen,
            files=[_file("a.pdf", MINI_PDF)],
            label="",
            channel="web",
        )
    assert caught.value.status_code == 403


# --- the OCR handler --------------------------------------------------------------------------------


def test_ocr_handler_recognises_and_suggests(setup: BaulastenSetup) -> None:
    require_ocr()
    result = _upload(setup, _file("blatt-12.pdf", scan_pdf(1, sheet=2, number=1)))
    scan = result.created[0]
    assert deliver_due_messages(kinds=[OCR_KIND]) == 1
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.OCR_DONE, scan.ocr_error
    assert "Gemarkung Neuss, Flur 3, Flurstück 119/2" in normalised(scan.text)
    assert scan.pages == 1 and scan.ocr_seconds and scan.ocr_at
    assert b"pdfaid:part" in scan.ocr_pdf.read()
    parcels = [s for s in scan.suggestions if s["type"] == "parcel"]
    assert parcels[0]["kennzeichen"] == NEUSS_119_2 and parcels[0]["checked"]
    entries = {s["entry_id"]: s["checked"] for s in scan.suggestions if s["type"] == "entry"}
    # Both entries on 119/2 are offered; sheet 2 no. 1 (the parking entry) is ticked.
    assert entries == {setup.setback.pk: False, setup.parking.pk: True}
    assert {"type": "sheet", "sheet": 2}.items() <= next(
        s for s in scan.suggestions if s["type"] == "sheet"
    ).items()

    # Delivered again (a worker died after the effect): nothing changes.
    ocr_at = scan.ocr_at
    ocr_scan(OutboxMessage.objects.get(kind=OCR_KIND))
    scan.refresh_from_db()
    assert scan.ocr_at == ocr_at


def test_broken_file_ends_as_ocr_failed_without_retries(setup: BaulastenSetup) -> None:
    require_ocr()
    scan = _upload(setup, _file("kaputt.pdf", b"%PDF-1.4\nnot a pdf at all\n%%EOF\n")).created[0]
    deliver_due_messages(kinds=[OCR_KIND])
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.OCR_FAILED
    assert "beschädigt" in scan.ocr_error
    message = OutboxMessage.objects.get(kind=OCR_KIND)
    assert message.status == OutboxMessage.Status.FAILED and message.attempts == 1


def test_missing_ocr_fails_clearly_shows_the_banner_and_can_be_retried(
    setup: BaulastenSetup, tmp_path: Any
) -> None:
    missing = str(tmp_path / "ocrmypdf")
    scan = _upload(setup, _file("a.pdf", MINI_PDF)).created[0]
    with override_settings(BAULASTEN_OCRMYPDF=missing):
        deliver_due_messages(kinds=[OCR_KIND])
        scan.refresh_from_db()
        assert scan.status == ScanFile.Status.OCR_FAILED
        assert "apt-get install ocrmypdf tesseract-ocr-deu" in scan.ocr_error
        assert [w.id for w in check_ocr()][:1] == ["baulasten.W001"]
        client = Client()
        client.force_login(setup.bau_neuss)
        page = client.get(f"/backoffice/{setup.neuss_register.authority.ags}/baulasten/erfassung/")
        assert page.status_code == 200
        assert "apt-get install ocrmypdf tesseract-ocr-deu" in page.content.decode()
    scan = scan_ocr_retry(scan=scan, actor=setup.bau_neuss, channel="web")
    assert scan.status == ScanFile.Status.UPLOADED and scan.ocr_error == ""
    assert OutboxMessage.objects.filter(kind=OCR_KIND, status=OutboxMessage.Status.PENDING).count() == 1
    with pytest.raises(Problem) as caught:
        scan_ocr_retry(scan=scan, actor=setup.bau_neuss, channel="web")
    assert caught.value.status_code == 409


# --- indexing and the four-eyes check ---------------------------------------------------------------


def test_index_and_four_eyes(setup: BaulastenSetup) -> None:
    scan = _scan(setup)
    scan = scan_index(
        scan=scan,
        actor=setup.bau_neuss,
        parcels=[NEUSS_119_3, NEUSS_119_2],
        entries=[setup.setback.pk],
        channel="web",
    )
    assert scan.status == ScanFile.Status.INDEXED and scan.indexed_by == setup.bau_neuss
    assert set(scan.parcels.values_list("kennzeichen", flat=True)) == {NEUSS_119_2, NEUSS_119_3}
    # The same person may correct the indexing; another may not (they check instead).
    scan_index(scan=scan, actor=setup.bau_neuss, parcels=[NEUSS_119_2], entries=[], channel="web")
    with pytest.raises(Problem) as other:
        scan_index(scan=scan, actor=setup.bau_neuss_checker, parcels=[NEUSS_119_2], entries=[], channel="web")
    assert other.value.status_code == 409
    with pytest.raises(Problem) as own:
        scan_check(scan=scan, actor=setup.bau_neuss, approve=True, channel="web")
    assert own.value.status_code == 409 and own.value.code == "scan-four-eyes"
    with pytest.raises(ScanRejected):
        scan_check(scan=scan, actor=setup.bau_neuss_checker, approve=False, note=" ", channel="web")
    scan = scan_check(
        scan=scan, actor=setup.bau_neuss_checker, approve=False, note="Flurstück 119/3 fehlt", channel="web"
    )
    assert scan.status == ScanFile.Status.OCR_DONE and last_check_note(scan) == "Flurstück 119/3 fehlt"
    scan = scan_index(
        scan=scan, actor=setup.bau_neuss, parcels=[NEUSS_119_2, NEUSS_119_3], entries=[], channel="web"
    )
    assert last_check_note(scan) == ""
    scan = scan_check(scan=scan, actor=setup.bau_neuss_checker, approve=True, channel="web")
    assert scan.status == ScanFile.Status.CHECKED and scan.checked_by == setup.bau_neuss_checker
    with pytest.raises(Problem):
        scan_index(scan=scan, actor=setup.bau_neuss, parcels=[NEUSS_119_2], entries=[], channel="web")
    assert AuditEvent.objects.filter(object_type="baulasten.scanfile", object_id=str(scan.pk)).count() == 5


def test_database_refuses_checker_equal_to_indexer(setup: BaulastenSetup) -> None:
    scan = _scan(setup, ScanFile.Status.INDEXED, indexed_by=setup.bau_neuss)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScanFile.objects.filter(pk=scan.pk).update(checked_by=setup.bau_neuss, status=ScanFile.Status.CHECKED)


@pytest.mark.parametrize(
    ("parcels", "entries", "error"),
    [
        ([], [], ScanRejected),
        ([DORMAGEN_45], [], ScanRejected),  # another register's area
        ([JUECHEN_8], [], ScanRejected),
        (["0533590030011"], [], InvalidKennzeichen),
        ([NEUSS_119_2], ["dormagen"], ScanRejected),  # an entry of another register
    ],
)
def test_index_refuses_what_is_not_this_registers(
    setup: BaulastenSetup, parcels: list[str], entries: list[str], error: type[Exception]
) -> None:
    scan = _scan(setup)
    ids = [setup.dormagen_entry.pk for _ in entries]
    with pytest.raises(error):
        scan_index(scan=scan, actor=setup.bau_neuss, parcels=parcels, entries=ids, channel="web")
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.OCR_DONE and not scan.parcels.exists()


def test_index_creates_an_unknown_parcel_of_a_known_gemarkung(setup: BaulastenSetup) -> None:
    scan = scan_index(
        scan=_scan(setup), actor=setup.bau_neuss, parcels=["05335100500017______"], entries=[], channel="web"
    )
    parcel = scan.parcels.get()
    assert (parcel.gemarkung.name, parcel.flur, parcel.zaehler) == ("Grimlinghausen", 5, 17)


# --- progress ----------------------------------------------------------------------------------------


def test_progress_per_town_and_batch_is_exact(setup: BaulastenSetup, world: World) -> None:
    kreis = setup.kreis_register
    rommerskirchen = Authority.objects.create(
        alliance=world.alliance,
        kind=Authority.Kind.GEMEINDE if hasattr(Authority.Kind, "GEMEINDE") else Authority.Kind.STADT,
        name="Rommerskirchen",
        slug="rommerskirchen",
        ags="05162028",
        regional_key="051620028028",
        parent=world.kreis,
    )
    RegisterArea.objects.create(register=kreis, town=rommerskirchen)
    from ..models import Gemarkung

    Gemarkung.objects.create(key="053290", name="Rommerskirchen", town=rommerskirchen)
    batch = ScanBatch.objects.create(
        register=kreis, authority=kreis.authority, label="Karton A", uploaded_by=setup.bau_kreis
    )
    other = ScanBatch.objects.create(
        register=kreis, authority=kreis.authority, label="Karton B", uploaded_by=setup.bau_kreis
    )
    statuses = [
        (batch, ScanFile.Status.CHECKED, JUECHEN_8, 3),
        (batch, ScanFile.Status.INDEXED, JUECHEN_8, 2),
        (batch, ScanFile.Status.INDEXED, "05329000100001______", 1),
        (other, ScanFile.Status.OCR_DONE, None, 4),
        (other, ScanFile.Status.OCR_FAILED, None, None),
        (other, ScanFile.Status.UPLOADED, None, None),
    ]
    for box, status, key, pages in statuses:
        scan = _scan(
            setup, status, register=kreis, batch=box, pages=pages, indexed_by=setup.bau_kreis if key else None
        )
        if key:
            from .factories import make_parcel

            scan.parcels.add(make_parcel(key))
            if key == JUECHEN_8:  # a second parcel elsewhere does not move the scan
                scan.parcels.add(make_parcel("05329000100002______"))
    _scan(setup)  # Neuss: another register, not counted
    scans = scans_of(kreis)
    juechen, romm, unassigned, total = progress_by_town(kreis, scans)
    assert (juechen.label, juechen.files, juechen.pages) == ("Jüchen", 2, 5)
    assert juechen.by_status["checked"] == 1 and juechen.by_status["indexed"] == 1
    assert (juechen.percent_indexed, juechen.percent_checked) == (100.0, 50.0)
    assert (romm.label, romm.files, romm.pages, romm.by_status["indexed"]) == ("Rommerskirchen", 1, 1, 1)
    assert (unassigned.files, unassigned.pages) == (3, 4)
    assert unassigned.by_status == {"uploaded": 1, "ocr_done": 1, "ocr_failed": 1, "indexed": 0, "checked": 0}
    assert (total.files, total.pages) == (6, 10)
    assert (total.percent_ocr, total.percent_indexed, total.percent_checked) == (66.7, 50.0, 16.7)
    by_batch = {row.label: row for row in progress_by_batch(scans)}
    assert (by_batch["Karton A"].files, by_batch["Karton A"].pages) == (3, 6)
    assert (by_batch["Karton B"].files, by_batch["Karton B"].percent_indexed) == (3, 0.0)


# --- pages and API -----------------------------------------------------------------------------------


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_pages_upload_index_check_download_and_csv(setup: BaulastenSetup) -> None:
    ags = setup.neuss_register.authority.ags
    client = _client(setup.bau_neuss)
    form = client.get(f"/backoffice/{ags}/baulasten/erfassung/hochladen/")
    assert b'type="file" name="uploads"' in form.content and b"multiple" in form.content
    bad = client.post(
        f"/backoffice/{ags}/baulasten/erfassung/hochladen/",
        {"label": "K", "uploads": [_file("x.pdf", b"PNG")]},
    )
    assert bad.status_code == 422 and "weder PDF noch TIFF" in bad.content.decode()
    posted = client.post(
        f"/backoffice/{ags}/baulasten/erfassung/hochladen/",
        {"label": "Karton 7", "uploads": [_file("a.pdf", MINI_PDF), _file("b.pdf", MINI_PDF + b" ")]},
    )
    assert posted.status_code == 302
    scan = ScanFile.objects.order_by("pk").first()
    assert scan is not None
    ScanFile.objects.filter(pk=scan.pk).update(
        status=ScanFile.Status.OCR_DONE,
        text="Gemarkung Neuss, Flur 3, Flurstück 119/2",
        suggestions=[
            {
                "type": "parcel",
                "kennzeichen": NEUSS_119_2,
                "label": "Gemarkung Neuss (3359), Flur 3, Flurstück 119/2",
                "checked": True,
            },
            {
                "type": "entry",
                "entry_id": setup.setback.pk,
                "label": "Baulastenblatt 1, lfd. Nr. 1",
                "checked": True,
            },
        ],
    )
    url = f"/backoffice/{ags}/baulasten/scans/{scan.pk}/"
    page = client.get(url).content.decode()
    assert f'value="{NEUSS_119_2}"' in page and "checked" in page
    done = client.post(url, {"action": "index", "parcels": [NEUSS_119_2], "entries": [str(setup.setback.pk)]})
    assert done.status_code == 302
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.INDEXED
    assert "Prüfung speichern" not in client.get(url).content.decode()  # the indexer sees no check form
    checker = _client(setup.bau_neuss_checker)
    assert "Prüfung speichern" in checker.get(url).content.decode()
    assert checker.post(url, {"action": "check", "decision": "approve"}).status_code == 302
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.CHECKED

    download = checker.get(f"{url}original/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith('attachment; filename="a.pdf"')
    assert b"".join(download.streaming_content) == MINI_PDF  # type: ignore[attr-defined]
    assert checker.get(f"{url}pdf/").status_code == 404  # no OCR result yet
    assert AuditEvent.objects.filter(
        actor=setup.bau_neuss_checker, action=AuditEvent.Action.READ, object_id=str(scan.pk)
    ).exists()

    csv = client.get(f"/backoffice/{ags}/baulasten/erfassung/fortschritt/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[1].startswith("Ort;Neuss;1;0;0;0;0;0;1;")
    assert "Stapel;Karton 7;2;" in csv.content.decode("utf-8-sig")
    html = client.get(f"/backoffice/{ags}/baulasten/erfassung/fortschritt/").content.decode()
    assert "noch nicht zugeordnet" in html


def test_api_upload_index_and_four_eyes_problem(setup: BaulastenSetup) -> None:
    ags = setup.neuss_register.authority.ags
    client = _client(setup.bau_neuss)
    response = client.post(
        f"/api/v1/baulasten/{ags}/scans",
        {"name": "API-Stapel", "files": [_file("a.pdf", MINI_PDF), _file("b.pdf", MINI_PDF)]},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["created"]) == 1 and len(body["duplicates"]) == 1
    scan_id = body["created"][0]["id"]
    again = client.post(f"/api/v1/baulasten/{ags}/scans", {"files": [_file("a.pdf", MINI_PDF)]})
    assert again.status_code == 200 and again.json()["created"] == []
    bad = client.post(f"/api/v1/baulasten/{ags}/scans", {"files": [_file("a.pdf", b"GIF89a....")]})
    assert bad.status_code == 415 and bad["Content-Type"].startswith("application/problem+json")
    ScanFile.objects.filter(pk=scan_id).update(status=ScanFile.Status.OCR_DONE, text="Flur 3")
    detail = client.get(f"/api/v1/baulasten/{ags}/scans/{scan_id}").json()
    assert detail["text"] == "Flur 3" and detail["suggestions"] == []
    indexed = client.post(
        f"/api/v1/baulasten/{ags}/scans/{scan_id}/index",
        {"parcels": [NEUSS_119_2]},
        content_type="application/json",
    )
    assert indexed.status_code == 200 and indexed.json()["parcels"] == [NEUSS_119_2]
    own = client.post(
        f"/api/v1/baulasten/{ags}/scans/{scan_id}/check", {"approve": True}, content_type="application/json"
    )
    assert own.status_code == 409 and own.json()["code"] == "scan-four-eyes"
    queue = client.get(f"/api/v1/baulasten/{ags}/scans?status=indexed").json()
    assert [row["id"] for row in queue["results"]] == [scan_id]
    progress = client.get(f"/api/v1/baulasten/{ags}/scans/progress").json()
    assert progress["towns"][0] == {
        "name": "Neuss",
        "key": ags,
        "files": 1,
        "pages": 0,
        "by_status": {"uploaded": 0, "ocr_done": 0, "ocr_failed": 0, "indexed": 1, "checked": 0},
        "percent_ocr": 100.0,
        "percent_indexed": 100.0,
        "percent_checked": 0.0,
    }
    foreign = _client(setup.bau_dormagen).get(f"/api/v1/baulasten/{ags}/scans/{scan_id}")
    assert foreign.status_code == 404


def test_register_row_is_needed(setup: BaulastenSetup, world: World) -> None:
    Register.objects.filter(
        pk=setup.neuss_register.pk
    )  # Neuss keeps one; Kreis staff of Neuss get 404 elsewhere
    assert (
        _client(setup.bau_dormagen).get(f"/backoffice/{world.neuss.ags}/baulasten/erfassung/").status_code
        == 404
    )
