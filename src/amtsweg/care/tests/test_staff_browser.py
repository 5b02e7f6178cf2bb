"""The Heimaufsicht's overview and the registry form in Chromium, checked with axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from ..models import Facility
from .factories import care_setup

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_heimaufsicht_overview_and_registry_form_are_accessible(page: Page, world: World) -> None:
    care_setup(world)
    page.goto("/backoffice/")
    page.get_by_label("E-Mail-Adresse").fill(world.kreis_admin.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.goto("/backoffice/05162000/pflege/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Heimaufsicht: Pflegefinder")
    expect(page.get_by_role("table")).to_contain_text("Haus am Stadtpark")
    assert_accessible(page)

    page.goto("/backoffice/05162000/pflege/einrichtungen/neu/")
    page.get_by_role("button", name="Anlegen").click()  # empty: the error summary
    expect(page.locator(".error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name", exact=True).fill("Haus Erftaue")
    page.get_by_label("Straße und Hausnummer").fill("Erftstraße 5")
    page.get_by_label("PLZ").fill("41460")
    page.get_by_label("Ort", exact=True).fill("Neuss")
    page.get_by_label("Träger", exact=True).select_option(label="Sonnenhof Pflege gGmbH")
    page.get_by_label("Plätze: Tagespflege").fill("12")
    page.get_by_role("button", name="Anlegen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Haus Erftaue")
    assert_accessible(page)
    assert Facility.objects.filter(name="Haus Erftaue", authority=world.kreis).exists()
