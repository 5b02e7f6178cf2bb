"""The comparison in Chromium: a caseworker picks a service and two towns, sees both models side by side
with the heat of their waiting times and the tables, all accessible (axe-core)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.testing import PASSWORD, World

from .factories_comparison import DORMAGEN, REFERENCE, T0, event_case, make_version

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


HOUR = timedelta(hours=1)


def test_caseworker_compares_two_towns(page: Page, world: World) -> None:
    reference = make_version(world.town_service, None, REFERENCE)
    variant = make_version(world.town_service, world.dormagen, DORMAGEN)
    for i in range(3):
        event_case(
            world,
            world.neuss,
            version=reference,
            submitted=T0 + i * HOUR,
            tasks=[("Task_Pruefen", "user", 0 * HOUR, (i + 1) * HOUR, (i + 2) * HOUR)],
        )
    event_case(
        world,
        world.dormagen,
        version=variant,
        submitted=T0,
        tasks=[("Task_Post", "manual", 0 * HOUR, None, HOUR)],
    )

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"/backoffice/{world.neuss.ags}/prozesse/vergleich/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prozessvergleich")
    assert_accessible(page)

    page.get_by_role("button", name="Vergleichen").click()  # nothing chosen: errors with links
    expect(page.get_by_role("alert")).to_contain_text("mindestens zwei Behörden")
    assert_accessible(page)

    page.get_by_label("Leistung", exact=True).select_option(world.town_service.leika_key)
    page.get_by_label("Neuss", exact=True).check()
    page.get_by_label("Dormagen").check()
    page.get_by_role("button", name="Vergleichen").click()
    expect(page.get_by_role("heading", name="Prozessmodelle nebeneinander")).to_be_visible()
    expect(page.locator(".bpmn-viewer")).to_have_count(2)
    activities = page.get_by_role("table", name="Aktivitäten mit Anzahl")
    expect(activities).to_contain_text("Per Post versenden")
    expect(activities).to_contain_text("nicht im Modell")
    assert_accessible(page)
