"""The public care finder in a real browser: search by postcode → detail → shortlist → share link, the
browser's location, the map with a dead tile server (the list stays usable), axe-core on every page."""

from __future__ import annotations

import copy
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.browser import assert_accessible
from amtsweg.testing import World

from ..models import CareType
from ..services import ReportLine, vacancy_report_submit
from ..views_portal import LEAFLET_DIR
from .factories import CareSetup, care_setup

pytestmark = pytest.mark.browser
DEAD_TILES = "http://127.0.0.1:9"  # nobody listens on the discard port


@pytest.fixture
def care(world: World, settings: SettingsWrapper) -> CareSetup:
    # Tiles from a port nobody listens on: every tile fails, the page must not depend on them.
    settings.CARE_MAP_TILE_URL = f"{DEAD_TILES}/{{z}}/{{x}}/{{y}}.png"
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["img-src"] = [*policy["DIRECTIVES"]["img-src"], DEAD_TILES]  # as settings derive it
    settings.CONTENT_SECURITY_POLICY = policy
    setup = care_setup(world)
    vacancy_report_submit(
        facility=setup.st_quirin,
        actor=setup.operator_user,
        lines=[
            ReportLine(care_type=CareType.FULL_TIME, free_places=2),
            ReportLine(care_type=CareType.SHORT_TERM, free_places=1),
        ],
        channel="web",
        now=timezone.now() - timedelta(hours=2),
    )
    return setup


def test_search_detail_shortlist_share(page: Page, care: CareSetup) -> None:
    page.goto("/pflegefinder/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pflegefinder")
    assert_accessible(page)

    page.get_by_label("Postleitzahl, Ort oder Anschrift").fill("41460")
    page.get_by_label("Umkreis").select_option("10")
    page.get_by_label("Versorgungsart").select_option("vollstationaer")
    page.get_by_role("button", name="Freie Plätze suchen").click()
    expect(page).to_have_url(re.compile(r"/pflegefinder/\?q=41460"))
    expect(page.get_by_role("heading", level=2, name=re.compile("2 Einrichtungen"))).to_be_visible()
    hit = page.locator(".care-hit").first
    expect(hit).to_contain_text("mehrere frei")
    expect(hit).to_contain_text("gemeldet vor")
    if (LEAFLET_DIR / "leaflet.js").is_file():
        # The map shows (tiles fail), with one marker per result; the list is untouched by it.
        expect(page.locator("#care-map")).to_be_visible()
        expect(page.locator("#care-map .leaflet-interactive")).to_have_count(3)  # 2 markers + the circle
        expect(page.locator("#care-map")).to_have_attribute("data-tiles-failed", "true")
    expect(page.locator(".care-hit")).to_have_count(2)
    assert_accessible(page)

    page.get_by_role("link", name="Seniorenzentrum St. Quirin").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Seniorenzentrum St. Quirin")
    expect(page.get_by_text("Sonnenhof Pflege gGmbH")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Auf die Merkliste").click()
    expect(page.get_by_text("steht auf Ihrer Merkliste")).to_have_count(2)  # message + note
    page.get_by_role("link", name="Zur Merkliste").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Merkliste")
    expect(page.locator(".care-hit")).to_contain_text("Seniorenzentrum St. Quirin")
    expect(page.get_by_role("button", name="Drucken")).to_be_visible()  # shown by the script
    assert_accessible(page)

    share_url = page.get_by_label("Link zum Teilen").input_value()
    other = page.context.browser.new_context(locale="de-DE")  # type: ignore[union-attr]
    try:
        family = other.new_page()
        family.goto(share_url)
        expect(family.get_by_role("heading", level=1)).to_have_text("Geteilte Merkliste")
        expect(family.locator(".care-hit")).to_contain_text("Seniorenzentrum St. Quirin")
        expect(family.get_by_role("button", name="Entfernen")).to_have_count(0)
        assert_accessible(family)
    finally:
        other.close()


def test_use_my_location_and_errors(page: Page, care: CareSetup) -> None:
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 51.0951, "longitude": 6.8403})  # Dormagen
    page.goto("/pflegefinder/")
    page.get_by_role("button", name="Meinen Standort verwenden").click()
    expect(page.get_by_role("heading", level=2, name=re.compile("um Ihr Standort"))).to_be_visible()
    expect(page.locator(".care-hit")).to_contain_text("Tagespflege Rheinblick")

    page.goto("/pflegefinder/?q=99999")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Die Postleitzahl 99999 ist nicht bekannt.")
    alert.get_by_role("link").click()
    expect(page.get_by_label("Postleitzahl, Ort oder Anschrift")).to_be_focused()
    expect(page.get_by_label("Postleitzahl, Ort oder Anschrift")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)


def test_without_a_map_the_list_is_complete(page: Page, care: CareSetup, settings: SettingsWrapper) -> None:
    settings.CARE_MAP_TILE_URL = ""
    page.goto("/pflegefinder/?town=Neuss&radius_km=10")
    expect(page.locator("#care-map")).to_have_count(0)
    expect(page.locator(".care-hit")).to_have_count(2)
    assert_accessible(page)
