"""A citizen's way through the portal in a real browser, with axe-core checks on every kind of page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.catalog.search import clear_search_index

from .conftest import PortalWorld

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("backends")]

SCREENSHOTS = Path("/tmp")


@pytest.fixture(autouse=True)
def _fresh_search_index() -> None:
    # The search keeps a per-process index; this test's catalogue was created after it was built.
    clear_search_index()


def test_from_home_to_the_responsible_town(page: Page, portal_world: PortalWorld) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihre Verwaltung online")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-home.png"), full_page=True)

    page.get_by_label("Welche Leistung suchen Sie?").fill("Meldebescheinigung")
    page.get_by_role("button", name="Suchen").click()
    expect(page).to_have_url(re.compile(r"/suche/\?q=Meldebescheinigung"))
    results = page.get_by_role("link", name="Meldebescheinigung Ausstellung")
    expect(results).to_be_visible()
    assert_accessible(page)

    results.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meldebescheinigung Ausstellung")
    assert_accessible(page)

    page.get_by_label("Postleitzahl", exact=True).fill("41460")
    page.get_by_role("button", name="Zuständigkeit anzeigen").click()
    result = page.locator(".panel--result")
    expect(result).to_contain_text("Zuständig für Sie")
    expect(result.get_by_role("link", name="Neuss", exact=True)).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-service.png"), full_page=True)

    result.get_by_role("link", name="Neuss", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")
    assert_accessible(page)
    page.screenshot(path=str(SCREENSHOTS / "amtsweg-authority.png"), full_page=True)

    page.get_by_role("link", name="Bürgerbüro").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bürgerbüro")
    expect(page.get_by_role("row", name=re.compile("Montag"))).to_contain_text("08:00–12:00 Uhr")
    assert_accessible(page)


def test_errors_and_choices_are_accessible(page: Page, portal_world: PortalWorld) -> None:
    page.goto("/leistungen/99115005000000/?plz=4146&strasse=#zustaendigkeit")
    expect(page.get_by_label("Postleitzahl", exact=True)).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)

    page.goto("/suche/?q=" + "x" * 300)
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page)

    page.goto("/leistungen/")
    assert_accessible(page)
    page.goto("/leistungen/themen/buerger-staat/")
    assert_accessible(page)
    page.goto("/gibt-es-nicht/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Seite nicht gefunden")
    assert_accessible(page)


def test_language_switch_and_keyboard_skip_link(page: Page, portal_world: PortalWorld) -> None:
    page.goto("/leistungen/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Zum Inhalt springen")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Services by subject area")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert_accessible(page)


def test_small_screen_layout_is_accessible(page: Page, portal_world: PortalWorld) -> None:
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/leistungen/99115005000000/?plz=41460")
    expect(page.locator(".panel--result")).to_contain_text("Neuss")
    # No horizontal scrolling at 360 CSS pixels (WCAG 1.4.10 Reflow needs 320).
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page)
