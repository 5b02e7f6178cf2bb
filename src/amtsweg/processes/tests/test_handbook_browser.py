"""The process handbook in Chromium: an administrator adds know-how to a step; the page stays accessible."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from .matrix_handbook import handbook_definition

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_admin_writes_a_handbook_entry(page: Page, world: World) -> None:
    definition = handbook_definition(world, world.neuss)
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.admin_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.goto(f"/backoffice/{world.neuss.ags}/prozesse/{definition.pk}/handbuch/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Prozesshandbuch")
    assert_accessible(page)
    page.get_by_role("link", name="Eintrag „Anmeldung prüfen und Steuer festsetzen“ anlegen").click()
    assert_accessible(page)
    page.get_by_label("Arbeitsanweisung").fill("Chipnummer prüfen\n<b>nicht fett</b>")
    page.get_by_label("Ansprechperson").fill("Team Steuern")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    expect(page.locator("#schritt-Activity_Antrag_pruefen")).to_contain_text("<b>nicht fett</b>")
    assert_accessible(page)
