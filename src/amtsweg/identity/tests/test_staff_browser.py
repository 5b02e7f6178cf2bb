"""Staff login with TOTP in Chromium: first login with set-up (QR code, secret, recovery codes), then a
login with password and code; axe-core checks every new page."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pyotp
import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.identity.models import TotpDevice
from amtsweg.testing import PASSWORD, World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _required(settings: Any) -> None:
    settings.STAFF_TWO_FACTOR = "required"


def _password(page: Page, email: str) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def test_first_login_sets_up_the_authenticator_then_logins_need_the_code(page: Page, world: World) -> None:
    _password(page, world.admin_neuss.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Authenticator-App einrichten")
    qr = page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App")
    expect(qr).to_be_visible()
    assert (qr.get_attribute("src") or "").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: URI passes the CSP and renders
    secret = TotpDevice.objects.get(user=world.admin_neuss).secret
    shown = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert shown == secret
    assert_accessible(page)

    page.get_by_label("Code aus der Authenticator-App").fill("000000")
    page.get_by_role("button", name="Einrichten").click()
    expect(page.get_by_role("alert")).to_contain_text("falsch")
    assert_accessible(page)

    page.get_by_label("Code aus der Authenticator-App").fill(pyotp.TOTP(shown).now())
    page.get_by_role("button", name="Einrichten").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Wiederherstellungscodes")
    codes = page.get_by_role("list", name="Wiederherstellungscodes").get_by_role("listitem").all_inner_texts()
    assert len(codes) == 10 and all(re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", c) for c in codes)
    assert_accessible(page)
    page.get_by_role("link", name="Ich habe die Codes gesichert – weiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")

    page.get_by_role("button", name=re.compile("Abmelden")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung für Beschäftigte")

    # Second login: password, then the code of the next time step (the current one is used up).
    _password(page, world.admin_neuss.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung: zweiter Faktor")
    assert_accessible(page)
    page.get_by_label("Code").fill(pyotp.TOTP(secret).at(timezone.now() + timedelta(seconds=30)))
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Neuss")
    assert_accessible(page)

    # Third login with a recovery code instead of the phone.
    page.get_by_role("button", name=re.compile("Abmelden")).click()
    _password(page, world.admin_neuss.email)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Bestätigen").click()
    expect(page.get_by_role("status").first).to_contain_text("noch 9 Codes")
    assert_accessible(page)
