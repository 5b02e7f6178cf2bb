"""In a real browser: a guest books (proof of work in pow.js), confirms from the e-mail link, sees the
manage page and cancels; axe-core checks every page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.outbox.testing import SMTPCapture, deliver_due_messages
from amtsweg.testing import World

from .matrix_portal import portal_office

pytestmark = [pytest.mark.browser]


def test_guest_books_confirms_by_mail_and_cancels(page: Page, world: World, smtp_server: SMTPCapture) -> None:
    portal_office(world.neuss)
    page.goto("/termine/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin buchen")
    assert_accessible(page)
    page.get_by_label("Personalausweis Ausstellung").select_option("1")
    page.get_by_label(re.compile("^Bürgerbüro, Neuss")).check()
    page.get_by_role("button", name="Freie Termine anzeigen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Freie Termine")
    assert_accessible(page)
    page.locator("#zeiten ~ ul a").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Termin buchen")
    assert_accessible(page)
    page.get_by_label("Vor- und Nachname").fill("Greta Gast")
    page.get_by_label("E-Mail-Adresse").fill("greta@example.org")
    page.get_by_role("button", name="Termin reservieren").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Bitte bestätigen Sie Ihren Termin")
    assert_accessible(page)
    assert deliver_due_messages() == 1
    mail = smtp_server.wait_for(1)[-1]
    link = re.search(r"https?://[^/\s]+(/termine/t/[^\s]+/)", mail.text)
    assert link is not None

    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Termin")
    assert_accessible(page)
    page.get_by_role("button", name="Termin bestätigen").click()
    expect(page.get_by_role("status")).to_contain_text("Ihr Termin ist bestätigt")
    expect(page.get_by_role("img", name=re.compile("QR-Code der Terminnummer"))).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Termin absagen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termin absagen")
    assert_accessible(page)
    page.get_by_role("button", name="Ja, Termin absagen").click()
    expect(page.get_by_role("status")).to_contain_text("Ihr Termin ist abgesagt.")
    expect(page.get_by_text("Dieser Termin ist abgesagt.")).to_be_visible()
    assert_accessible(page)
