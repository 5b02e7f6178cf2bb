"""The operator's report in a real browser: log in, see the facility list, report, see the success;
axe-core on the list and the report page (including its error state)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from ..models import CareOffer, VacancyReport
from .factories import care_setup

pytestmark = [pytest.mark.browser]


def test_operator_logs_in_and_reports(page: Page, world: World) -> None:
    care = care_setup(world)
    page.goto("/pflegefinder/meine-einrichtungen/")
    expect(page).to_have_url(re.compile(r"/konto/anmelden/"))
    page.get_by_label("E-Mail-Adresse").fill(care.operator_user.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Einrichtungen")
    expect(page.get_by_role("heading", name="Seniorenzentrum St. Quirin")).to_be_visible()
    expect(page.get_by_text("Haus am Stadtpark")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Jetzt melden – Seniorenzentrum St. Quirin").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Freie Plätze melden")
    assert_accessible(page)

    # Over capacity: the error summary links to the field, the input is kept.
    page.get_by_label("Vollstationäre Pflege: jetzt frei").fill("99")
    page.get_by_label("Kurzzeitpflege: jetzt frei").fill("1")
    page.get_by_role("button", name="Meldung senden").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Mehr als 80 Plätze")
    expect(page.get_by_label("Vollstationäre Pflege: jetzt frei")).to_have_value("99")
    assert_accessible(page)

    page.get_by_label("Vollstationäre Pflege: jetzt frei").fill("2")
    page.get_by_role("button", name="Meldung senden").click()
    expect(page.get_by_role("status")).to_contain_text("Ihre Meldung vom")
    expect(page.get_by_label("Vollstationäre Pflege: jetzt frei")).to_have_value("2")
    assert_accessible(page)
    assert CareOffer.objects.get(facility=care.st_quirin, care_type="vollstationaer").free_now == 2

    page.get_by_role("button", name="Alle Plätze belegt").click()
    expect(page.get_by_role("status")).to_contain_text("alle Plätze belegt")
    assert set(CareOffer.objects.filter(facility=care.st_quirin).values_list("free_now", flat=True)) == {0}
    assert VacancyReport.objects.filter(offer__facility=care.st_quirin).count() == 4

    page.get_by_role("link", name="Verlauf").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verlauf der Meldungen")
    assert_accessible(page)
    page.get_by_role("link", name="Angaben").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Angaben zur Einrichtung")
    assert_accessible(page)
    page.get_by_role("link", name="Fotos").first.click()
    assert_accessible(page)
    page.goto("/pflegefinder/meine-einrichtungen/zugang/")
    page.get_by_role("button", name="Schlüssel erstellen").click()
    expect(page.get_by_role("status")).to_contain_text("nur jetzt angezeigt")
    assert_accessible(page)
