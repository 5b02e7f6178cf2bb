"""The vehicle-part page in Chromium: a Kreis caseworker records a vehicle with the Kennzeichenmitnahme,
sees an error linked to its field, refuses one, and opens the label; axe-clean at every step."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from ..models import VehicleChange
from .kreis_factories import hand_over, kreis_caseworker, message, publish_kreis_model, register

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_kreis_caseworker_works_the_vehicle_part(page: Page, world: World) -> None:
    publish_kreis_model(world)
    caseworker: Any = kreis_caseworker(world)
    register("D-XY 42E")
    register("GV-X 7", holder_family_name="Geborene")
    case = hand_over(world, message("D-XY 42E", "GV-X 7", "NE-NO 1"))

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(caseworker.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"/backoffice/{world.kreis.ags}/kfz/")
    assert_accessible(page)
    page.get_by_role("link", name=case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(case.reference)
    assert_accessible(page)

    # the holder differs: recording without the confirmation shows the error summary
    page.get_by_role("button", name="Adressänderung für GV-X 7 eintragen").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Halterdaten")
    assert_accessible(page)
    summary.get_by_role("link").click()
    expect(page.get_by_label("Ich habe die Identität geprüft", exact=False)).to_be_focused()
    page.get_by_label("Ich habe die Identität geprüft", exact=False).check()
    page.get_by_role("button", name="Adressänderung für GV-X 7 eintragen").click()
    expect(page.get_by_role("status")).to_contain_text("GV-X 7 eingetragen")

    # Kennzeichenmitnahme: the outside plate is kept
    page.get_by_label("bisheriges Kennzeichen behalten (Kennzeichenmitnahme)").check()
    page.get_by_role("button", name="Adressänderung für D-XY 42E eintragen").click()
    expect(page.get_by_role("status")).to_contain_text("D-XY 42E eingetragen")

    page.get_by_label("Begründung der Ablehnung").fill("Fahrzeug nicht im Register")
    page.get_by_role("button", name="Adressänderung für NE-NO 1 ablehnen").click()
    expect(page.get_by_role("status")).to_contain_text("NE-NO 1 abgelehnt")
    assert_accessible(page)
    assert sorted(VehicleChange.objects.filter(case=case).values_list("outcome", flat=True)) == [
        "recorded",
        "recorded",
        "refused",
    ]
    expect(page.get_by_role("link", name="Adressaufkleber drucken (2 Fahrzeuge, PDF)")).to_be_visible()
    response = page.request.get(
        page.get_by_role("link", name="Adressaufkleber drucken", exact=False).get_attribute("href") or ""
    )
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
