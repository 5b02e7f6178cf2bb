"""An Auskunft from request to notice in Chromium (axe-core on every page of the Auskunft): the citizen
applies on the portal, the caseworker accepts it on the check page (after a fee outside the frame is
refused), the citizen pays with the simulator, the worker delivers, and the notice with the extract
is in the citizen's postbox."""

from __future__ import annotations

import re
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.notices.models import Notice
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.testing import PASSWORD, World

from ..models import AuskunftRequest
from .factories import baulasten_setup
from .factories_auskunft import auskunft_setup

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def _deliver() -> None:
    while deliver_due_messages():
        pass


def test_auskunft_from_request_to_notice(page: Page, world: World, settings: Any) -> None:
    settings.IDENTITY_SIMULATOR = True
    settings.PAYMENT_SIMULATOR = True
    setup = auskunft_setup(world, baulasten_setup(world))

    # --- the citizen: start page, town, the keeper, the form ------------------------------------------
    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto("/baulasten/auskunft/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Auskunft aus dem Baulastenverzeichnis")
    expect(page.get_by_role("table")).to_contain_text("Baulastenverzeichnis der Stadt Neuss")
    assert_accessible(page)
    page.get_by_label("In welcher Stadt oder Gemeinde liegen die Flurstücke?").select_option(label="Neuss")
    page.get_by_role("button", name="Zuständige Stelle anzeigen").click()
    expect(page.get_by_role("main")).to_contain_text("Das Baulastenverzeichnis für Neuss führt Neuss")
    assert_accessible(page)
    # trust level "normal": the password login is enough (the caseworker checks the interest)
    page.get_by_role("button", name="Antrag beginnen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Flurstücke")
    page.get_by_label("Gemarkung", exact=True).select_option(label="Neuss (3359)")
    page.get_by_label("Flur (falls bekannt)").fill("3")
    page.get_by_label("Flurstück", exact=True).fill("119/2")
    page.get_by_label("Lage (Straße und Hausnummer, falls vorhanden)").fill("Musterstraße 12")
    page.get_by_role("button", name="Weiter", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Berechtigtes Interesse")
    page.get_by_role("radio", name="Kaufinteressentin / Kaufinteressent").check()
    page.get_by_label("Begründung des berechtigten Interesses").fill(
        "Kaufvertrag über das Grundstück Musterstraße 12, Beurkundung am 15.05."
    )
    page.get_by_role("button", name=re.compile("^Weiter")).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    auskunft = AuskunftRequest.objects.get()
    assert auskunft.parcels.get().entries_found == 2

    # --- the caseworker: list, check page, a fee outside the frame, then accept -----------------------
    page.context.clear_cookies()
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(setup.base.bau_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"/backoffice/{world.neuss.ags}/baulasten/auskuenfte/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Baulastenauskünfte")
    assert_accessible(page)
    page.get_by_role("link", name=auskunft.case.reference).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Baulastenauskunft")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Kaufvertrag über das Grundstück")
    expect(main).to_contain_text("Abstandsflächenbaulast")
    expect(page.get_by_label("Gebühr für Flurstück 1 (Euro)")).to_have_value("75,00")
    assert_accessible(page)
    page.get_by_label("Gebühr für Flurstück 1 (Euro)").fill("200,00")
    page.get_by_label("Ja: Auskunft erteilen und Gebühr anfordern").check()
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.locator(".error-summary")).to_contain_text("zwischen 50.00 € und 150.00 €")
    assert_accessible(page)
    page.get_by_label("Gebühr für Flurstück 1 (Euro)").fill("80,00")
    page.get_by_label("Ja: Auskunft erteilen und Gebühr anfordern").check()
    page.get_by_role("button", name="Entscheidung speichern").click()
    expect(page.get_by_role("main")).to_contain_text("berechtigtes Interesse anerkannt")
    assert_accessible(page)
    auskunft.refresh_from_db()
    assert auskunft.fee_cents == 8000
    _deliver()

    # --- the citizen pays with the simulator; the worker delivers the notice ---------------------------
    page.context.clear_cookies()
    page.goto("/konto/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(world.citizen.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    payment = auskunft.case.payments.get()
    page.goto(f"/zahlungen/{payment.pk}/")
    expect(page.get_by_role("main")).to_contain_text("80,00 €")
    page.get_by_role("radio", name=re.compile("Demo")).check()
    page.get_by_role("button", name="Weiter zur Zahlung").click()
    page.get_by_role("button", name="Bezahlen").click()
    _deliver()
    notice = Notice.objects.get(case=auskunft.case)
    assert notice.document is not None

    page.goto("/konto/postfach/")
    page.get_by_role("link", name=re.compile("Auskunft aus dem Baulastenverzeichnis")).first.click()
    expect(page.get_by_role("main")).to_contain_text("ist ein Bescheid ergangen")
    with notice.document.file.open("rb") as handle:
        pdf = handle.read()
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    for expected in ("Auszug aus dem Baulastenverzeichnis der Stadt Neuss", "Stellplatzbaulast", "80,00"):
        assert expected in text, expected
