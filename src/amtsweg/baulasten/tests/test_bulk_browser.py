"""The bulk Auskunft page in Chromium (axe-core on every page state): a notary logs in, steps up to
"substantiell", uploads a CSV with one wrong line (the preview names the line, files nothing and
offers no confirmation), uploads the corrected file, confirms and sees her references next to the
case references."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case
from amtsweg.catalog.models import Service
from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.testing import PASSWORD, World, make_user

from ..models import AuskunftRequest
from .browser_support import assert_error_summary_links_work
from .factories import baulasten_setup
from .factories_auskunft import auskunft_setup

pytestmark = [pytest.mark.browser]

HEADER = "reference;gemarkung;flur;flurstueck;interesse;begruendung\n"
REASON = "Beurkundung eines Grundstückskaufvertrags"


def test_notary_uploads_previews_corrects_and_files(
    page: Page, world: World, settings: Any, tmp_path: Path
) -> None:
    settings.IDENTITY_SIMULATOR = True
    auskunft_setup(world, baulasten_setup(world))
    notary = make_user("notarin@example.org", kind=User.Kind.CITIZEN, first="Nora", last="Notarin")
    organisation = Organisation.objects.create(name="Notariat Beispiel", identifier="NOT-1")
    OrganisationMembership.objects.create(organisation=organisation, user=notary)
    wrong = tmp_path / "sammelantrag.csv"
    wrong.write_text(
        HEADER
        + f"UR-2026-0001;053359;3;119/2;notar;{REASON}\n"
        + f"UR-2026-0001;Nirgendwo;7;200;notar;{REASON}\n"  # no such Gemarkung
        + "UR-2026-0002;3347;2;45;kreditinstitut;Beleihung des Grundstücks\n",
        encoding="utf-8",
    )
    fixed = tmp_path / "sammelantrag-korrigiert.csv"
    fixed.write_text(wrong.read_text(encoding="utf-8").replace("Nirgendwo", "Neuss"), encoding="utf-8")

    # --- log in; an authority that asks for "substantiell" on the service gets the step-up first ----------
    Service.objects.filter(leika_key="99012004023000").update(required_trust_level="substantiell")
    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(notary.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto("/baulasten/auskunft/sammelantrag/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Stärkere Anmeldung nötig")
    page.get_by_role("link", name="Demo-Identität (Simulator)").click()
    page.get_by_label("substantiell (eIDAS substanziell)").check()
    page.get_by_role("button", name="Als diese Person anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulastenauskunft: Sammelantrag")
    expect(page.get_by_role("link", name="CSV-Vorlage herunterladen")).to_be_visible()
    assert_accessible(page)

    # --- no file chosen: the error is at the field ----------------------------------------------------
    page.get_by_role("button", name="Vorschau anzeigen").click()
    assert assert_error_summary_links_work(page) == ["#id_datei"]
    assert_accessible(page)

    # --- a file with one wrong line: the preview names it, nothing is filed ----------------------------
    page.get_by_label("CSV-Datei").set_input_files(wrong)
    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sammelantrag: Vorschau")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("es wurde nichts eingereicht")
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_contain_text("Zeile 3")
    summary.get_by_role("link").click()
    line = page.get_by_role("row", name="3 UR-2026-0001 Nirgendwo")
    expect(line).to_be_focused()
    expect(line).to_contain_text("Nirgendwo")
    expect(page.get_by_role("row", name="2 UR-2026-0001 053359")).to_contain_text("keine")
    expect(page.get_by_role("button", name="Alle Anträge verbindlich einreichen")).to_have_count(0)
    assert_accessible(page)
    assert not Case.objects.exists()

    # --- the corrected file: preview, confirm, result ------------------------------------------------
    page.get_by_role("link", name="Andere Datei hochladen").click()
    page.get_by_label("CSV-Datei").set_input_files(fixed)
    page.get_by_role("button", name="Vorschau anzeigen").click()
    expect(page.get_by_role("main")).to_contain_text("Die Datei enthält 2 Anträge.")
    expect(page.locator(".error-summary")).to_have_count(0)
    expect(page.get_by_role("table", name="Zeilen der Datei").get_by_role("row")).to_have_count(4)
    assert_accessible(page)
    assert not Case.objects.exists()
    page.get_by_role("button", name="Alle Anträge verbindlich einreichen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Sammelantrag eingereicht")
    cases = {c.authority: c for c in Case.objects.filter(applicant=notary)}
    assert set(cases) == {world.neuss, world.dormagen}
    table = page.get_by_role("table", name="Ihre Zeichen und unsere Aktenzeichen")
    expect(table.get_by_role("row", name="UR-2026-0001")).to_contain_text(cases[world.neuss].reference)
    expect(table.get_by_role("row", name="UR-2026-0002")).to_contain_text(cases[world.dormagen].reference)
    assert_accessible(page)
    assert AuskunftRequest.objects.get(case=cases[world.neuss]).parcels.count() == 2
