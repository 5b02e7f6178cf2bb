"""Wunschkennzeichen in a real browser: check without login, log in, reserve, see it under
"Meine Kennzeichen", release; the Zulassungsstelle finds and releases a reservation. axe-core on
every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World
from amtsweg.vehicles.models import PlateReservation, RegisteredVehicle

from .matrix_plates import plate_service, reservation

pytestmark = pytest.mark.browser


def test_citizen_checks_reserves_and_releases(page: Page, world: World) -> None:
    plate_service(world)
    RegisteredVehicle.objects.create(
        plate="NE-AB 123", vin="V1", district_prefix="NE", holder_family_name="X"
    )

    page.goto("/kennzeichen/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Wunschkennzeichen")
    assert_accessible(page)

    page.get_by_role("textbox", name="Wunschkennzeichen").fill("neab123")
    page.get_by_role("button", name="Verfügbarkeit prüfen").click()
    expect(page.get_by_role("alert")).to_contain_text("nicht eindeutig")
    assert_accessible(page)

    page.get_by_role("textbox", name="Wunschkennzeichen").fill("ne ab 123")
    page.get_by_role("button", name="Verfügbarkeit prüfen").click()
    expect(page.get_by_role("status").filter(has_text="bereits vergeben")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="NE-AB 124").click()
    expect(page.get_by_role("status").filter(has_text="ist frei")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Anmelden und reservieren").click()
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wunschkennzeichen reservieren")
    expect(page.locator("#plate")).to_have_text("NE-AB 124")
    assert_accessible(page)

    page.get_by_role("button", name="NE-AB 124 verbindlich reservieren").click()
    expect(page).to_have_url(re.compile(r"/konto/kennzeichen/$"))
    expect(page.get_by_role("status")).to_contain_text("ist für Sie reserviert")
    expect(page.get_by_role("link", name="Gebühr für NE-AB 124 bezahlen")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Reservierung NE-AB 124 freigeben").click()
    expect(page.get_by_role("status")).to_contain_text("ist freigegeben")
    assert_accessible(page)
    assert PlateReservation.objects.get(plate="NE-AB 124").status == "released"


def test_zulassungsstelle_releases_with_reason(
    page: Page, world: World, password_only_staff_login: None
) -> None:
    held = reservation(world)
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.kreis_admin.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"/backoffice/{world.kreis.ags}/kennzeichen/")
    page.get_by_label("Kennzeichen").fill("ne mx 42")
    page.get_by_role("button", name="Suchen").click()
    expect(page.get_by_role("row", name=re.compile("NE-MX 42"))).to_contain_text("Clara Citizen")
    assert_accessible(page)

    page.get_by_role("link", name="Freigeben NE-MX 42").click()
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Grund der Freigabe").fill("Doppelt reserviert")
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("status")).to_contain_text("ist freigegeben")
    assert_accessible(page)
    held.refresh_from_db()
    assert held.status == "released"
