"""The back office in Chromium: an authority administrator logs in, changes an offering, reads the audit."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.catalog.models import ServiceOffering
from amtsweg.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_admin_changes_offering_and_sees_it_in_the_audit(page: Page, world: World) -> None:
    page.goto("/backoffice/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung für Beschäftigte")
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(world.admin_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")
    assert_accessible(page)
    page.get_by_role("link", name="Leistungsangebote").first.click()
    expect(page.get_by_role("table")).to_contain_text("Meldebescheinigung Ausstellung")
    assert_accessible(page)

    page.get_by_role("link", name="Meldebescheinigung Ausstellung").click()
    assert_accessible(page)
    page.get_by_label("Reifegrad").select_option("4")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_role("status")).to_contain_text("gespeichert")
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    assert offering.maturity == 4

    page.get_by_role("link", name="Zugriffsprotokoll").click()
    expect(page.get_by_role("table")).to_contain_text("geändert")
    assert_accessible(page)


def test_citizen_is_told_to_use_the_portal(page: Page, world: World) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("kein Dienstkonto")
    assert_accessible(page)
