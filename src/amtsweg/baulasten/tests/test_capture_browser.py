"""Capture of the paper files in Chromium (axe-core on every page state): a caseworker uploads two
scanned pages (after an empty upload is refused), the queue lists them, the worker runs the real OCR,
the scan page shows the suggestions found in the text, she indexes one scan; a second caseworker
sends it back once without a reason (refused, the error is at the field), then approves it; the
progress page counts every state.

Two one-page scans keep the OCR at two pages in total."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.testing import World

from ..models import ScanFile
from .browser_support import assert_error_summary_links_work, staff_login
from .factories import NEUSS_119_2, baulasten_setup
from .ocr_support import require_ocr
from .scans import scan_pdf

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_upload_ocr_index_check_and_progress(page: Page, world: World, tmp_path: Path) -> None:
    require_ocr()
    setup = baulasten_setup(world)
    ags = world.neuss.ags
    # Sheet 2 no. 1 is the parking entry on 119/2; sheet 5 no. 2 names a parcel without entries.
    parking = tmp_path / "blatt-2.pdf"
    parking.write_bytes(scan_pdf(1, sheet=2, number=1))
    other = tmp_path / "blatt-5.pdf"
    other.write_bytes(scan_pdf(1, sheet=5, number=2, flur=7, flurstueck="200", street="Am Obertor 3"))

    staff_login(page, setup.bau_neuss.email)
    page.goto(f"/backoffice/{ags}/baulasten/erfassung/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Erfassung der Baulastenakten")
    expect(page.get_by_role("main")).to_contain_text("Keine Scans in diesem Status.")
    assert_accessible(page)

    # --- upload: nothing chosen, then the two scans ------------------------------------------------------
    page.get_by_role("link", name="Scans hochladen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scans hochladen")
    assert_accessible(page)
    page.get_by_label("Bezeichnung des Stapels").fill("Archivkarton 17")
    page.get_by_role("button", name="Hochladen").click()
    assert assert_error_summary_links_work(page) == ["#id_uploads"]
    assert_accessible(page)
    expect(page.get_by_label("Bezeichnung des Stapels")).to_have_value("Archivkarton 17")
    page.get_by_label("Gescannte Dateien (PDF oder TIFF)").set_input_files([parking, other])
    page.get_by_role("button", name="Hochladen").click()
    expect(page.get_by_role("status")).to_contain_text("2 Datei(en) hochgeladen")
    queue = page.get_by_role("table", name="hochgeladen, Texterkennung ausstehend")
    expect(queue.get_by_role("link")).to_have_text(["blatt-2.pdf", "blatt-5.pdf"])
    expect(queue).to_contain_text("Archivkarton 17")
    assert_accessible(page)

    # --- the worker runs the OCR -----------------------------------------------------------------------
    while deliver_due_messages():
        pass
    statuses = dict(ScanFile.objects.values_list("original_name", "status"))
    assert statuses == {"blatt-2.pdf": "ocr_done", "blatt-5.pdf": "ocr_done"}, ScanFile.objects.values(
        "original_name", "ocr_error"
    )
    page.get_by_role("link", name="Erfassungsliste").click()
    nav = page.get_by_role("navigation", name="Status")
    expect(nav.get_by_role("link", name="Text erkannt, zu erfassen (2)")).to_have_attribute(
        "aria-current", "page"
    )
    page.get_by_role("link", name="blatt-2.pdf").click()

    # --- the scan page: suggestions from the text; index it ---------------------------------------------
    expect(page.get_by_role("heading", level=1)).to_have_text("Scan: blatt-2.pdf")
    form = page.get_by_role("form", name="Erfassen: Flurstücke und Baulasten zuordnen")
    parcel = form.get_by_role("checkbox", name="Gemarkung Neuss (3359), Flur 3, Flurstück 119/2")
    expect(parcel).to_be_checked()
    expect(parcel).to_have_value(NEUSS_119_2)
    expect(form.get_by_role("checkbox", name="Baulastenblatt 2, lfd. Nr. 1")).to_be_checked()
    expect(form.get_by_role("checkbox", name="Baulastenblatt 1, lfd. Nr. 1")).not_to_be_checked()
    expect(page.get_by_role("main")).to_contain_text("Abstandsflächenbaulast")  # the recognised text
    expect(page.get_by_role("link", name="Durchsuchbares PDF/A herunterladen")).to_be_visible()
    assert_accessible(page)
    form.get_by_role("button", name="Erfassung speichern").click()
    expect(page.get_by_role("status")).to_contain_text("wartet auf die Prüfung durch eine zweite Person")
    expect(page.get_by_role("button", name="Prüfung speichern")).to_have_count(0)  # four eyes
    scan = ScanFile.objects.get(original_name="blatt-2.pdf")
    assert scan.status == ScanFile.Status.INDEXED and scan.indexed_by == setup.bau_neuss
    assert list(scan.entries.all()) == [setup.parking]

    # --- the second person: a return without a reason is refused, then approval ------------------------
    page.context.clear_cookies()
    staff_login(page, setup.bau_neuss_checker.email)
    page.goto(f"/backoffice/{ags}/baulasten/erfassung/?status=indexed")
    page.get_by_role("link", name="blatt-2.pdf").click()
    check = page.get_by_role("form", name="Prüfen (Vier-Augen-Prinzip)")
    expect(page.get_by_role("main")).to_contain_text("Baulastenblatt 2, lfd. Nr. 1")
    assert_accessible(page)
    check.get_by_role("radio", name="Zur Korrektur zurückgeben").check()
    check.get_by_role("button", name="Prüfung speichern").click()
    assert assert_error_summary_links_work(page) == ["#id_note"]
    assert_accessible(page)
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.INDEXED
    check.get_by_role("radio", name="Erfassung ist richtig").check()
    check.get_by_role("button", name="Prüfung speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Geprüft.")
    expect(page.get_by_role("main")).to_contain_text("geprüft von")
    scan.refresh_from_db()
    assert scan.status == ScanFile.Status.CHECKED and scan.checked_by == setup.bau_neuss_checker

    # --- progress: per town and per batch ----------------------------------------------------------------
    page.get_by_role("link", name="Fortschritt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fortschritt der Erfassung")
    towns = page.get_by_role("table", name="Nach Stadt / Gemeinde")
    # files, pages, OCR pending, text recognised, failed, indexed, checked, % OCR, % indexed, % checked
    expect(towns.get_by_role("row", name="Neuss").get_by_role("cell")).to_have_text(
        ["1", "1", "0", "0", "0", "0", "1", "100,0", "100,0", "100,0"]
    )
    expect(towns.get_by_role("row", name="noch nicht zugeordnet").get_by_role("cell")).to_have_text(
        ["1", "1", "0", "1", "0", "0", "0", "100,0", "0,0", "0,0"]
    )
    expect(towns.get_by_role("row", name="gesamt").get_by_role("cell")).to_have_text(
        ["2", "2", "0", "1", "0", "0", "1", "100,0", "50,0", "50,0"]
    )
    batches = page.get_by_role("table", name="Nach Stapel")
    expect(batches.get_by_role("row", name="Archivkarton 17").get_by_role("cell")).to_have_text(
        ["2", "2", "0", "1", "0", "0", "1", "100,0", "50,0", "50,0"]
    )
    assert_accessible(page)
