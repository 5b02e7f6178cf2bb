"""Working a case's process in Chromium: the caseworker completes tasks with their forms in the task
inbox, the Kreis answers the hand-over; every page stays accessible (axe)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.tenancy.models import Membership, Team
from amtsweg.testing import PASSWORD, World, make_user

from ..models import Handover, ProcessTask
from .factories import model, publish_model, running_case

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def login(page: Page, email: str) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_tasks_and_handover_in_the_browser(page: Page, world: World) -> None:
    Team.objects.create(authority=world.neuss, name="Bürgerbüro").members.add(world.caseworker_neuss)
    kreis_user = make_user("karla@kreis.example", first="Karla", last="Kreis")
    Membership.objects.create(user=kreis_user, authority=world.kreis)
    publish_model(world, model("review.bpmn"), filename="review.bpmn")
    case = running_case(world)

    login(page, world.caseworker_neuss.email)
    page.goto(f"/backoffice/{world.neuss.ags}/aufgaben/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Aufgaben")
    assert_accessible(page)
    page.get_by_role("link", name="Antrag prüfen").click()
    assert_accessible(page)
    page.get_by_label("Vollständig?").check()
    page.get_by_label("Gefährlicher Hund?").check()
    page.get_by_role("button", name="Aufgabe erledigen").click()
    expect(page.get_by_role("status")).to_contain_text("erledigt")
    assert (
        ProcessTask.objects.get(case=case, bpmn_id="pruefen", state="completed").completed_by
        == world.caseworker_neuss
    )

    handover = Handover.objects.get(case=case)
    page.context.clear_cookies()
    login(page, kreis_user.email)
    page.goto(f"/backoffice/{world.kreis.ags}/uebergaben/")
    assert_accessible(page)
    page.get_by_role("link", name="Prüfung gefährlicher Hund").click()
    expect(page.get_by_text("Für den Arbeitgeber")).to_be_visible()
    expect(page.get_by_text("Clara")).to_have_count(0)  # only the named answer came along
    assert_accessible(page)
    page.get_by_label("erledigt").check()
    page.get_by_label("Rückmeldung an die übergebende Behörde").fill("Keine Bedenken")
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_role("status")).to_contain_text("Neuss")
    handover.refresh_from_db()
    assert handover.status == "completed"

    page.context.clear_cookies()
    login(page, world.caseworker_neuss.email)
    page.goto(f"/backoffice/{world.neuss.ags}/aufgaben/")
    page.get_by_role("link", name="Entscheiden").click()
    page.get_by_role("button", name="Aufgabe erledigen").click()  # no decision chosen
    expect(page.get_by_role("alert")).to_contain_text("Entscheidung")
    assert_accessible(page)
    page.goto(f"/backoffice/{world.neuss.ags}/prozesse/")
    assert_accessible(page)
