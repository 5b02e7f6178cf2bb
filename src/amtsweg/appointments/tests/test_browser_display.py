"""The waiting room in Chromium: check in at the kiosk, a caseworker calls the number, the call-up
display shows it (by itself through display.js, and after a reload) — every page axe-clean."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from .matrix_queue import appointment_at, queue_office

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def _due() -> datetime:
    now = timezone.now()
    earlier = now - timedelta(minutes=1)
    return earlier if timezone.localdate(earlier) == timezone.localdate(now) else now


def test_checkin_call_and_display(page: Page, world: World) -> None:
    office = queue_office(world.neuss)
    appointment = appointment_at(office, _due(), name="Erika Beispiel")
    base = f"/termine/{world.neuss.ags}/{office.office.slug}"

    page.goto(f"{base}/anmeldung/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung zum Termin")
    code = page.get_by_label("Terminnummer")
    expect(code).to_be_focused()  # a QR scanner types into the page at once
    assert_accessible(page)
    code.fill("T-0000-0000")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("keinen Termin")
    assert_accessible(page)
    page.get_by_label("Terminnummer").fill(appointment.reference.lower().replace("-", ""))
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("status")).to_contain_text("A001")
    assert_accessible(page)

    display = page.context.new_page()
    display.goto(f"{base}/aufruf/")
    live = display.locator("[aria-live=polite]")
    expect(live).to_contain_text("Zurzeit wird niemand aufgerufen.")
    expect(live).to_contain_text("1")
    assert_accessible(display)

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")
    page.goto(f"/backoffice/{world.neuss.ags}/termine/{office.office.slug}/warteschlange/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Warteschlange")
    expect(page.get_by_role("table").first).to_contain_text("Erika Beispiel")
    assert_accessible(page)
    page.get_by_label("Ihr Schalter").select_option("2")
    page.get_by_role("button", name="Nächste Nummer aufrufen").click()
    expect(page.get_by_role("status")).to_contain_text("Nummer A001 an Schalter 2 aufgerufen.")
    assert_accessible(page)

    # The open display picks the call up by itself (display.js polls every few seconds) ...
    row = display.get_by_role("row", name="A001 2")
    expect(row).to_be_visible(timeout=10_000)
    expect(live).not_to_contain_text("Erika")
    # ... and a reload (what a screen without JavaScript does every 10 s) shows the same.
    display.reload()
    expect(display.get_by_role("row", name="A001 2")).to_be_visible()
    expect(display.locator(".callup__waiting")).to_contain_text("0")
    assert_accessible(display)
