"""A citizen in Chromium: logs in, finds the information request in the postbox, answers with an upload."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import FilePayload, Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case, Document, Phase
from amtsweg.testing import PASSWORD, World

from . import factories_citizen as factories

pytestmark = pytest.mark.browser

SCREENSHOTS = Path("/tmp")


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_citizen_answers_an_information_request_with_an_upload(page: Page, world: World, media: Path) -> None:
    case = factories.submitted_case(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    factories.add_document(case=case, kind=Document.Kind.RECEIPT, filename="eingangsbestaetigung.pdf")
    request = factories.request_information(case=case, caseworker=world.caseworker_neuss)

    page.goto(f"/konto/antraege/{case.pk}/")
    expect(page).to_have_url(re.compile(r"/konto/anmelden/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmelden")
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Dieses Konto ist ein Dienstkonto.")
    assert_accessible(page)

    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Konto")
    expect(page.get_by_role("region", name="Ihre Antwort wird erwartet")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-account.png"), full_page=True)

    account_nav = page.get_by_role("navigation", name="Mein Konto")
    account_nav.get_by_role("link", name=re.compile(r"Postfach \(1 ungelesen\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Postfach")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-postbox.png"), full_page=True)
    page.get_by_role("link", name=f"{case.title}: Unterlagen nachgefordert").click()
    expect(page.get_by_text("Bitte reichen Sie eine Kopie Ihres Personalausweises nach.")).to_be_visible()
    expect(account_nav.get_by_role("link", name="Postfach", exact=True)).to_be_visible()  # read: no count
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-postbox-message.png"), full_page=True)

    page.get_by_role("link", name="Jetzt antworten und Unterlagen hochladen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nachforderung beantworten")
    assert_accessible(page)

    # First a program disguised as a PDF: refused, explained, nothing stored, the text kept.
    page.get_by_label("Ihre Antwort").fill("Anbei die Kopie meines Ausweises.")
    page.get_by_label("Unterlagen hochladen").set_input_files(
        [FilePayload(name="ausweis.pdf", mimeType="application/pdf", buffer=factories.EXE_BYTES)]
    )
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_role("alert")).to_contain_text("keinen erlaubten Dateityp")
    expect(page.get_by_label("Ihre Antwort")).to_have_value("Anbei die Kopie meines Ausweises.")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-answer-refused.png"), full_page=True)
    assert not Document.objects.filter(information_request=request).exists()

    page.get_by_label("Unterlagen hochladen").set_input_files(
        [FilePayload(name="ausweis.pdf", mimeType="application/pdf", buffer=factories.PDF_BYTES)]
    )
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_role("status").first).to_contain_text("Ihre Antwort ist bei Neuss eingegangen.")
    expect(page.get_by_role("heading", level=1)).to_have_text(case.title)
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text("In Bearbeitung")
    expect(page.get_by_role("region", name="Verlauf")).to_contain_text(
        "Ihre Antwort auf die Nachforderung ist eingegangen."
    )
    expect(page.get_by_role("link", name="ausweis.pdf")).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-case-answered.png"), full_page=True)

    page.get_by_role("link", name="Meine Anträge").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Anträge")
    expect(page.get_by_role("listitem").filter(has_text=case.reference)).to_contain_text("In Bearbeitung")
    assert_accessible(page)

    request.refresh_from_db()
    assert request.answered_at is not None
    assert Case.objects.get(pk=case.pk).phase == Phase.IN_PROGRESS
    assert Document.objects.filter(information_request=request, kind=Document.Kind.REPLY).count() == 1
