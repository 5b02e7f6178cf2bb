"""A citizen applies online in Chromium, without any JavaScript of ours, with axe-core on every kind of page.

Login → start at the responsible town → a step with errors (error summary, links that move the
focus) → yes/no revealing a repeating group → "Weitere Zeile"/"Entfernen" → upload → review → submit
→ receipt. Enter in a text field must mean "Weiter", never "Entfernen".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case, Document
from amtsweg.cases.tests.factories import ensure_default_status_model
from amtsweg.forms.models import Draft
from amtsweg.forms.tests.factories import PDF_BYTES, adult_birth_date, publish_form
from amtsweg.testing import PASSWORD, World

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def log_in(page: Page, world: World) -> None:
    expect(page).to_have_url(re.compile(r"/konto/anmelden/\?next="))
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def focused_id(page: Page) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def test_citizen_applies_from_start_to_receipt(page: Page, world: World, media: Path) -> None:
    ensure_default_status_model()  # an earlier transactional test may have flushed the migration's data
    publish_form(world.town_service)
    page.goto(f"/antraege/neu/{world.town_service.leika_key}/?ags={world.neuss.ags}")
    log_in(page, world)
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldebescheinigung Ausstellung")
    expect(page.get_by_text("Ihr Antrag geht an Neuss.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Antrag beginnen").click()

    # Step 1: errors first. The summary is focused and links to the fields.
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben zur Person")
    assert_accessible(page)
    page.get_by_label("Vorname").fill("Clara")
    page.get_by_label("E-Mail-Adresse").fill("clara(at)example")
    page.get_by_role("button", name="Weiter", exact=True).last.click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Bitte geben Sie „Familienname“ an.")
    expect(page).to_have_title(re.compile(r"^Fehler: "))
    assert focused_id(page) == ""  # the summary itself (no id) has the focus, not a field
    expect(page.get_by_label("Vorname")).to_have_value("Clara")  # nothing typed is lost
    expect(page.get_by_label("E-Mail-Adresse")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-apply-errors.png"), full_page=True)
    summary.get_by_role("link", name="Bitte geben Sie „Familienname“ an.").click()
    assert focused_id(page) == "f-family_name"

    page.get_by_label("Familienname").fill("Citizen")
    page.get_by_label("Geburtsdatum").fill(adult_birth_date())
    page.get_by_label("E-Mail-Adresse").fill("clara@example.org")
    page.get_by_label("Straße").fill("Markt")
    page.get_by_label("Hausnummer").fill("1")
    page.get_by_label("Postleitzahl").fill("41460")
    page.get_by_label("Ort", exact=True).fill("Neuss")
    page.get_by_role("button", name="Weiter", exact=True).last.click()

    # Step 2: radios, checkboxes, German amounts.
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben zur Bescheinigung")
    page.get_by_role("radio", name="Arbeitgeber").check()
    page.get_by_label("Anzahl der Exemplare").fill("2")
    page.get_by_label("Bereits gezahlte Gebühr").fill("10,50")
    page.get_by_role("checkbox", name="Englisch").check()
    assert_accessible(page)
    page.get_by_role("button", name="Weiter", exact=True).last.click()

    # Step 3: "Ja" reveals the children on the next round trip; rows come and go without JavaScript.
    expect(page.get_by_role("heading", level=1)).to_have_text("Familie")
    page.get_by_role("radio", name="Ja").check()
    page.get_by_role("button", name="Weiter", exact=True).last.click()
    expect(page.get_by_text("Nach Ihren Antworten brauchen wir noch weitere Angaben.")).to_be_visible()
    page.get_by_label("Name des Kindes").fill("Carl")
    page.get_by_label("Geburtsdatum des Kindes").fill("2015-05-01")
    page.get_by_role("button", name=re.compile("^Weitere Zeile")).click()
    expect(page.get_by_role("group", name="Kinder – Eintrag 2")).to_be_visible()
    expect(page.get_by_label("Name des Kindes").first).to_have_value("Carl")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-apply-rows.png"), full_page=True)
    page.get_by_role("button", name=re.compile(r"^Entfernen\s*: Kinder – Eintrag 2$")).click()
    expect(page.get_by_role("group", name="Kinder – Eintrag 2")).to_have_count(0)
    expect(page.get_by_role("group", name="Kinder – Eintrag 1")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Weitere Zeile")).click()
    # Enter in a text field means "Weiter": the hidden first button of the form, not "Entfernen".
    second = page.get_by_role("group", name="Kinder – Eintrag 2")
    second.get_by_label("Name des Kindes").fill("Cleo")
    second.get_by_label("Geburtsdatum des Kindes").fill("2023-02-03")
    second.get_by_label("Name des Kindes").press("Enter")

    # Step 4 (only for "Arbeitgeber"): upload.
    expect(page.get_by_role("heading", level=1)).to_have_text("Arbeitgeber")
    draft = Draft.objects.get(applicant=world.citizen)
    assert [child["child_name"] for child in draft.data["children"]] == ["Carl", "Cleo"]
    page.get_by_label("Name des Arbeitgebers").fill("ACME GmbH")
    page.get_by_label("Datei auswählen").set_input_files(
        FilePayload(name="Arbeitsvertrag.pdf", mimeType="application/pdf", buffer=PDF_BYTES)
    )
    page.get_by_role("button", name=re.compile(r"^Hochladen\s*: Nachweis$")).click()
    expect(page.get_by_role("link", name="Arbeitsvertrag.pdf")).to_be_visible()
    expect(page.get_by_label("Name des Arbeitgebers")).to_have_value("ACME GmbH")
    assert_accessible(page)
    page.get_by_role("button", name="Weiter zur Übersicht").click()

    # Review: every answer in words, a change link per step.
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    main = page.get_by_role("main")
    for text in ("Markt 1, 41460 Neuss", "10,50 €", "Englisch", "Arbeitgeber", "Arbeitsvertrag.pdf", "Cleo"):
        expect(main).to_contain_text(text)
    expect(page.get_by_role("link", name=re.compile(r"^Ändern\s*: Familie$"))).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-apply-review.png"), full_page=True)
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()

    # Receipt.
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    case = Case.objects.get()
    expect(page.get_by_text(case.reference)).to_be_visible()
    expect(page.get_by_text("wird gerade erstellt")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-apply-receipt.png"), full_page=True)
    assert Document.objects.get(case=case).filename == "Arbeitsvertrag.pdf"

    # Back and reload: the receipt again, no second case.
    page.go_back()
    page.reload()
    assert Case.objects.count() == 1
