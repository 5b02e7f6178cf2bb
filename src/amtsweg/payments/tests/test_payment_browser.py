"""A citizen pays a fee before submitting, in Chromium: review → pay page → the provider's page
(the test provider server) → back → submitted; axe-core on every page of ours."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case
from amtsweg.payments.models import Payment
from amtsweg.testing import PASSWORD, World

from . import factories
from .conftest import ProviderServer

pytestmark = pytest.mark.browser


def test_citizen_pays_at_the_provider_and_submits(page: Page, world: World, epayment: ProviderServer) -> None:
    factories.account(world.neuss)
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    page.goto(f"/antraege/{draft.pk}/pruefen/")
    expect(page).to_have_url(re.compile(r"/konto/anmelden/\?next="))
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    expect(page.get_by_role("heading", name="Gebühr", exact=True)).to_be_visible()
    expect(page.get_by_text("noch zu zahlen: 12,50 €")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Gebühr bezahlen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Gebühr bezahlen")
    assert_accessible(page)
    page.get_by_label("Test-ePayment").check()
    page.get_by_role("button", name="Weiter zur Zahlung").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Test-ePayment: Zahlung")
    assert page.url.startswith(epayment.url)
    page.get_by_role("button", name="Bezahlen").click()

    expect(page).to_have_url(re.compile(rf"/antraege/{draft.pk}/pruefen/$"))
    expect(page.get_by_text("Vielen Dank, Ihre Zahlung ist eingegangen.")).to_be_visible()
    expect(page.get_by_text("bezahlt", exact=True)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page).to_have_url(re.compile(r"/eingang/$"))

    case: Any = Case.objects.get(submission__draft=draft)
    payment = Payment.objects.get(case=case)
    assert payment.status == Payment.Status.PAID
    assert payment.events.filter(source="notification", to_status="paid").exists()
