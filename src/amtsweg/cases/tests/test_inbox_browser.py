"""The caseworker's day in Chromium: log in, open the team inbox, claim a case, request information.

axe-core checks the inbox and the case page (with and without an error summary).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case, InformationRequest, Phase, PostboxMessage
from amtsweg.testing import PASSWORD, World

from . import factories

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_caseworker_claims_a_case_and_requests_information(page: Page, world: World) -> None:
    first = factories.submit_case(world, attachment=b"%PDF-1.4\n%%EOF\n")
    second = factories.submit_case(world)
    factories.submit_case(world, authority=world.dormagen)

    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.goto(f"/backoffice/{world.neuss.ags}/vorgaenge/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vorgänge")
    expect(page.get_by_role("link", name="Mein Team")).to_have_attribute("aria-current", "page")
    table = page.get_by_role("table")
    expect(table).to_contain_text(first.reference)
    expect(table).to_contain_text(second.reference)
    expect(table).not_to_contain_text("004-")  # nothing of Dormagen
    assert_accessible(page)

    # Filter by text, then claim from the row.
    page.get_by_label("Suche").fill(first.reference)
    page.get_by_role("button", name="Filter anwenden").click()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)  # header and the one case
    page.get_by_role("button", name=f"Übernehmen {first.reference}").click()
    expect(page.get_by_role("status")).to_contain_text(f"Sie bearbeiten jetzt {first.reference}")
    claimed = Case.objects.get(pk=first.pk)
    assert claimed.assignee == world.caseworker_neuss and claimed.phase == Phase.IN_PROGRESS

    page.get_by_role("link", name="Mir zugewiesen").click()
    page.get_by_role("link", name=first.reference).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Vorgang {first.reference}")
    expect(page.get_by_role("region", name="Antragsdaten")).to_contain_text("Für den Arbeitgeber")
    expect(page.get_by_role("link", name="nachweis.pdf")).to_be_visible()
    assert_accessible(page)

    # A deadline in the past: the error summary links to the field, the text is kept.
    form = page.get_by_role("group", name="Unterlagen nachfordern")
    form.get_by_label("Was fehlt?").fill("Bitte laden Sie eine Kopie Ihres Personalausweises hoch.")
    form.get_by_label("Frist (optional)").fill((timezone.localdate() - timedelta(days=1)).isoformat())
    form.get_by_role("button", name="Nachforderung senden").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Frist (optional)")
    assert_accessible(page)
    alert.get_by_role("link").first.click()
    expect(page.get_by_label("Frist (optional)")).to_be_focused()

    form = page.get_by_role("group", name="Unterlagen nachfordern")
    expect(form.get_by_label("Was fehlt?")).to_have_value(
        "Bitte laden Sie eine Kopie Ihres Personalausweises hoch."
    )
    form.get_by_label("Frist (optional)").fill((timezone.localdate() + timedelta(days=14)).isoformat())
    form.get_by_role("button", name="Nachforderung senden").click()
    expect(page.get_by_role("status")).to_contain_text("Postfach")
    expect(page.get_by_role("region", name="Nachforderungen")).to_contain_text("noch nicht beantwortet")
    expect(page.get_by_role("region", name="Überblick")).to_contain_text("Unterlagen nachgefordert")
    request = InformationRequest.objects.get(case=first)
    assert request.due_date == timezone.localdate() + timedelta(days=14)
    assert PostboxMessage.objects.filter(information_request=request, recipient=world.citizen).exists()
    assert_accessible(page)
