"""The office's back-office pages in Chromium, each checked with axe: day, week, appointment,
capacity, statistics and settings (the settings with a validation error)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.appointments.models import Break
from amtsweg.appointments.tests.factories import appointment_office, book
from amtsweg.appointments.tests.matrix_staff import next_weekday_at
from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_staff_pages_are_accessible(page: Page, world: World) -> None:
    office = appointment_office(world.neuss.offices.get(), counters=2, hours="Mo-Fr 08:00-12:00")
    Break.objects.create(office=office, starts=next_weekday_at(10).time(), ends=next_weekday_at(11).time())
    starts = next_weekday_at(9)
    appointment, _token = book(office, starts, name="Erika Beispiel")

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.admin_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.goto(f"/backoffice/{world.neuss.ags}/termine/")
    expect(page.get_by_role("table")).to_contain_text("Bürgerbüro")
    assert_accessible(page)

    page.goto(f"/backoffice/{world.neuss.ags}/termine/buergerbuero/tag/?datum={starts.date().isoformat()}")
    expect(page.get_by_role("table").first).to_contain_text("Erika Beispiel")
    expect(page.get_by_role("table").first).to_contain_text("Pause")
    assert_accessible(page)

    page.get_by_role("link", name="diese Woche").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Woche")
    assert_accessible(page)

    page.get_by_role("link", name=appointment.reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Termin {appointment.reference}")
    assert_accessible(page)
    page.get_by_role("button", name="Termin absagen").click()
    expect(page.get_by_role("status")).to_contain_text("abgesagt")

    page.get_by_role("link", name="Kapazität").click()
    expect(page.get_by_role("table")).to_contain_text("Summe")
    assert_accessible(page)

    page.get_by_role("link", name="Statistik").click()
    expect(page.get_by_role("heading", level=2).first).to_have_text("Kennzahlen")
    assert_accessible(page)

    page.get_by_role("link", name="Einstellungen").click()
    page.get_by_label("Name").first.fill("Schalter 9")
    page.get_by_role("button", name="Schalter anlegen").click()
    expect(page.get_by_role("alert")).to_contain_text("Anzeige")
    assert_accessible(page)
