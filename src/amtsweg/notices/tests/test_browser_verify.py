"""The verification page in a real browser: typing a code, each outcome, axe-core checks, no JavaScript."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.notices.services import notice_revoke
from amtsweg.notices.verification import format_code
from amtsweg.testing import World

from .factories import issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.browser


def test_a_visitor_checks_a_notice_by_its_code(page: Page, world: World) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    code = format_code(notice.code)

    page.goto("/verify/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bescheid prüfen")
    assert_accessible(page)

    # A typo: the form keeps the input, names the problem and links to the field.
    page.get_by_label("Prüfcode").fill("7K3M-Q9TD")
    page.get_by_role("button", name="Prüfen").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Ein Prüfcode hat 16 Zeichen")
    expect(page.get_by_label("Prüfcode")).to_have_value("7K3M-Q9TD")
    assert_accessible(page)

    # Typed in lower case with spaces, submitted with the keyboard.
    page.get_by_label("Prüfcode").fill(code.lower().replace("-", " "))
    page.get_by_label("Prüfcode").press("Enter")
    expect(page).to_have_url(re.compile(f"/verify/{code}$"))
    result = page.get_by_role("status")
    expect(result).to_contain_text("Der Bescheid ist echt.")
    expect(result).to_contain_text("Neuss")
    expect(result).to_contain_text(notice.subject)
    expect(page.locator("main")).not_to_contain_text("Clara")
    assert_accessible(page)
    page.screenshot(path="/tmp/amtsweg-verify.png", full_page=True)

    # One character changed: rejected as altered.
    altered = code[:-1] + ("A" if code[-1] != "A" else "B")
    page.goto(f"/verify/{altered}")
    expect(page.get_by_role("alert")).to_contain_text("Dieser Prüfcode ist ungültig.")
    assert_accessible(page)

    notice_revoke(notice=notice, actor=world.caseworker_neuss, reason="Irrtum")
    page.goto(f"/verify/{code}")
    expect(page.get_by_role("status")).to_contain_text("wurde aber aufgehoben")
    assert_accessible(page)


def test_the_form_works_without_javascript(
    chromium: Browser, live_server: Any, transactional_db: None, world: World
) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    context = chromium.new_context(base_url=live_server.url, locale="de-DE", java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/verify/")
        page.get_by_label("Prüfcode").fill(notice.code)
        page.get_by_role("button", name="Prüfen").click()
        expect(page.get_by_role("status")).to_contain_text("Der Bescheid ist echt.")
    finally:
        context.close()
