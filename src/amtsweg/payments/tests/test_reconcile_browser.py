"""Invoice and reconciliation in Chromium, with axe-core on every page: the payer chooses the transfer
and sees the GiroCode; the treasury uploads the statement and clears what did not match."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.payments.models import BankEntry, Payment
from amtsweg.payments.services import payment_for_draft
from amtsweg.testing import PASSWORD, World

from . import factories
from .matrix_reconcile import CAMT_FILE, payment, treasury

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


@pytest.fixture(autouse=True)
def _invoice_on(settings: Any) -> None:
    settings.PAYMENT_INVOICE = True


def test_payer_chooses_transfer_and_gets_the_invoice(page: Page, world: World) -> None:
    treasury(world.neuss)
    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    owed = payment_for_draft(draft=draft, actor=world.citizen)
    assert owed is not None
    page.goto(f"/zahlungen/{owed.pk}/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()

    page.get_by_label("Überweisung (Rechnung mit GiroCode)").check()
    page.get_by_role("button", name="Weiter zur Zahlung").click()
    expect(page).to_have_url(re.compile(rf"/zahlungen/{owed.pk}/rechnung/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Rechnung {owed.kassenzeichen}")
    expect(page.get_by_text("DE24 3055 0000 0093 0000 11")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("GiroCode"))).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Rechnung als PDF herunterladen").click()
    assert download.value.suggested_filename == f"Rechnung-{owed.kassenzeichen}.pdf"


def test_treasury_uploads_the_statement_and_clears_an_entry(page: Page, world: World) -> None:
    treasury(world.neuss)
    matched = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000001", cents=2500)
    other = payment(payer=world.citizen, authority=world.neuss, kassenzeichen="NE2026000040", cents=4000)
    page.goto("/backoffice/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.goto(f"/backoffice/{world.neuss.ags}/kontoauszuege/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Kontoauszüge")
    assert_accessible(page)
    page.get_by_label("Kontoauszug (CAMT.053)").set_input_files(str(CAMT_FILE))
    page.get_by_role("button", name="Einlesen und abgleichen").click()
    expect(page.get_by_role("status")).to_contain_text("1 zugeordnet, 5 zu klären")
    expect(page.get_by_role("table")).to_contain_text("2026-05-07-00093000011-1")
    assert_accessible(page)

    page.get_by_label("Kontoauszug (CAMT.053)").set_input_files(str(CAMT_FILE))
    page.get_by_role("button", name="Einlesen und abgleichen").click()
    expect(page.get_by_role("alert")).to_contain_text("bereits eingelesen")
    assert_accessible(page)

    page.get_by_role("link", name=re.compile("Buchungen zu klären")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Abgleich der Zahlungseingänge")
    assert_accessible(page)
    page.get_by_role("link", name="Buchung 2026050700000002 ansehen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buchung 2026050700000002")
    assert_accessible(page)

    page.get_by_label("Kassenzeichen der Zahlung").fill("NE2026000001")  # paid already by this statement
    page.get_by_role("button", name="Zuordnen und als bezahlt buchen").click()
    expect(page.get_by_role("alert")).to_contain_text("nicht mehr offen")
    assert_accessible(page)
    page.get_by_label("Kassenzeichen der Zahlung").fill("NE 2026 000040")
    page.get_by_role("button", name="Zuordnen und als bezahlt buchen").click()
    expect(page.get_by_role("status")).to_contain_text("zugeordnet")
    expect(page.get_by_role("table")).not_to_contain_text("Rechnung 4711")

    page.get_by_role("link", name="Buchung 2026050700000004 ansehen").click()
    page.get_by_label("Vermerk zur Klärung").fill("Doppelt überwiesen, Erstattung veranlasst")
    page.get_by_role("button", name="Als geklärt vermerken").click()
    expect(page.get_by_role("status")).to_contain_text("geklärt")

    other.refresh_from_db()
    matched.refresh_from_db()
    assert (other.status, matched.status) == (Payment.Status.PAID, Payment.Status.PAID)
    entry = BankEntry.objects.get(entry_reference="2026050700000004")
    assert entry.resolved_by == world.caseworker_neuss
    assert entry.resolution_note == "Doppelt überwiesen, Erstattung veranlasst"
