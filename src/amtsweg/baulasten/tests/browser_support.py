"""Helpers of the Baulasten browser tests: the staff login and the check that an error summary's links
lead to the invalid fields."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from amtsweg.testing import PASSWORD


def staff_login(page: Page, email: str) -> None:
    page.goto("/backoffice/anmelden/")
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def assert_error_summary_links_work(page: Page) -> list[str]:
    """Every link of the error summary leads to a field on the page, and following it focuses that
    field (the summary is for keyboard and screen-reader users, so a dead link is a real bug)."""
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    links = summary.get_by_role("link")
    targets = [str(links.nth(i).get_attribute("href")) for i in range(links.count())]
    assert targets, "the error summary has no links to the fields"
    for i, target in enumerate(targets):
        assert target.startswith("#"), target
        field = page.locator(target)
        expect(field).to_have_count(1)
        if not field.evaluate("e => ['INPUT', 'SELECT', 'TEXTAREA'].includes(e.tagName)"):
            continue  # a fieldset (a group of rows or choices) carries its own message
        # the field says it is invalid and is described by the message the summary repeats
        expect(field).to_have_attribute("aria-invalid", "true")
        described = str(field.get_attribute("aria-describedby") or "").split()
        texts = [
            " ".join(page.locator(f"#{ref}").inner_text().split())
            for ref in described
            if page.locator(f"#{ref}").count() == 1
        ]
        summary_text = " ".join(links.nth(i).inner_text().split())
        assert any(text and (text in summary_text or summary_text in text) for text in texts), (
            f"{target} is not described by its error message {summary_text!r} "
            f"(aria-describedby={described!r} → {texts!r})"
        )
    links.first.click()
    expect(page.locator(targets[0])).to_be_focused()
    return targets
