"""Process analytics in Chromium: the analysis page is accessible (axe) with its graph, tables and the
CSV download, and it works without JavaScript."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from .factories_analytics import HAPPY, SKIPS_ISSUE, WITH_REQUEST, event_case, model_version

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_caseworker_reads_the_analysis_and_downloads_the_log(page: Page, world: World) -> None:
    version = model_version(world)
    for path in (HAPPY, HAPPY, WITH_REQUEST, SKIPS_ISSUE):
        event_case(world, version=version, path=path)
    deviating = event_case(world, version=version, path=SKIPS_ISSUE)

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.goto(f"/backoffice/{world.neuss.ags}/prozesse/analyse/{world.town_service.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prozessanalyse")
    expect(
        page.get_by_role("img", name="Direkt-Folge-Graph der Leistung Meldebescheinigung Ausstellung")
    ).to_be_visible()
    expect(
        page.get_by_role("table", name="Übergänge (direkt aufeinander folgende Schritte)")
    ).to_contain_text("Antrag prüfen")
    expect(page.get_by_role("link", name=deviating.reference)).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Eingang ab").fill("2026-03-03")
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_text("Für diese Auswahl gibt es keine Vorgänge")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Auswahl zurücksetzen").click()

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    assert download.value.suggested_filename.startswith("ereignisprotokoll-99115005000000-")
    assert download.value.suggested_filename.endswith(".csv")
