"""The place alert in a real browser: subscribe form (prefilled from a search), its error summary, the
"check your e-mail" page, confirm and unsubscribe pages; axe-core on each."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import World

from ..models import AlertSubscription
from .factories import CareSetup, care_setup

pytestmark = pytest.mark.browser


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def test_subscribe_confirm_unsubscribe(page: Page, care: CareSetup) -> None:
    page.goto("/pflegefinder/platz-alarm/?q=41460&radius_km=10&care_type=kurzzeitpflege")
    expect(page.get_by_role("heading", level=1)).to_have_text("Platz-Alarm einrichten")
    expect(page.get_by_label("Postleitzahl, Ort oder Anschrift")).to_have_value("41460")
    expect(page.get_by_label("Umkreis")).to_have_value("10")
    assert_accessible(page)

    page.get_by_label("E-Mail-Adresse").fill("kein-at")
    page.get_by_role("button", name="Platz-Alarm einrichten").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("gültige E-Mail-Adresse")
    expect(page.get_by_label("E-Mail-Adresse")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.get_by_label("E-Mail-Adresse").fill("tochter@example.org")
    page.get_by_role("button", name="Platz-Alarm einrichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte prüfen Sie Ihr E-Mail-Postfach")
    assert_accessible(page)

    key = AlertSubscription.objects.get().key
    page.goto(f"/pflegefinder/platz-alarm/bestaetigen/{key}/")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, Platz-Alarm aktivieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platz-Alarm ist aktiv")
    assert_accessible(page)

    page.get_by_role("link", name="Diesen Platz-Alarm abmelden").click()
    expect(page).to_have_url(re.compile(r"/abmelden/"))
    assert_accessible(page)
    page.get_by_role("button", name="Keine E-Mails mehr senden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platz-Alarm abgemeldet")
    assert_accessible(page)
    assert AlertSubscription.objects.get().unsubscribed_at is not None
