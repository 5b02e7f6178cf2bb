"""Step-up in the browser: a citizen logged in with a password is asked for a stronger login when
submitting an application that needs "substantiell", logs in with the demo identity simulator (the
same path as BundID/OIDC: identity.services.external_login) and submits; the caseworker sees the
level, the method and the organisation acted for. Every new page is checked with axe."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Submission
from amtsweg.cases.tests.factories import make_draft
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import ExternalIdentity
from amtsweg.testing import PASSWORD, World

pytestmark = pytest.mark.browser


def test_step_up_with_the_simulator_then_submit(page: Page, world: World, settings: Any) -> None:
    settings.IDENTITY_SIMULATOR = True
    world.town_service.required_trust_level = TrustLevel.SUBSTANTIAL
    world.town_service.save(update_fields=["required_trust_level"])
    draft = make_draft(world)

    page.goto("/konto/anmelden/")
    expect(page.get_by_role("link", name="Demo-Identität (Simulator)")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Ihre Anmeldung")).to_be_visible()
    expect(page.get_by_text("E-Mail-Adresse und Passwort")).to_be_visible()

    page.goto(f"/antraege/{draft.id}/pruefen/")
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stärkere Anmeldung nötig")
    expect(page.get_by_text("Ihre jetzige Anmeldung hat das Niveau normal")).to_be_visible()
    assert_accessible(page)
    assert not Submission.objects.filter(draft=draft).exists()

    page.get_by_role("link", name="Demo-Identität (Simulator)").click()
    expect(page.get_by_text("kein echter Identitätsnachweis").first).to_be_visible()
    assert_accessible(page)
    page.get_by_label("substantiell (eIDAS substanziell)").check()
    page.get_by_label("Auch als Vertretung der Demo-Firma").check()
    page.get_by_role("button", name="Als diese Person anmelden").click()

    # Back on the review page, same session, same draft: the identity is linked to this account.
    expect(page).to_have_url(f"{page.url.split('/antraege/')[0]}/antraege/{draft.id}/pruefen/")
    link = ExternalIdentity.objects.get(method="demo")
    assert link.user == world.citizen and link.level == TrustLevel.SUBSTANTIAL

    page.goto("/konto/")
    page.get_by_label("für Rheinufer Gastronomie GmbH").check()
    page.get_by_role("button", name="Übernehmen").click()
    assert_accessible(page)

    page.goto(f"/antraege/{draft.id}/pruefen/")
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    submission = Submission.objects.get(draft=draft)
    assert (submission.trust_level, submission.login_method) == ("substantiell", "demo")
    assert (
        submission.organisation is not None and submission.organisation.name == "Rheinufer Gastronomie GmbH"
    )
