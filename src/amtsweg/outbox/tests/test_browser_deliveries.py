"""The failed-deliveries page in Chromium: a caseworker finds the failed e-mail and retries it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import PASSWORD, World

from .factories import enqueue

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


def test_caseworker_retries_a_failed_email(page: Page, world: World) -> None:
    message = enqueue("email.receipt", {"case": 1}, authority_id=world.neuss.pk)
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxMessage.Status.FAILED, attempts=8, last_error="SMTPServerDisconnected: Connection closed"
    )
    page.goto("/backoffice/")
    page.get_by_label("E-Mail-Adresse").fill(world.caseworker_neuss.email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.goto(f"/backoffice/{world.neuss.ags}/zustellungen/")

    expect(page.get_by_role("heading", level=1)).to_have_text("Zustellungen mit Problemen")
    row = page.get_by_role("row").filter(has_text="E-Mail: Eingangsbestätigung")
    expect(row).to_contain_text("fehlgeschlagen")
    expect(row).to_contain_text("SMTPServerDisconnected")
    assert_accessible(page)

    row.get_by_role("button", name=f"Erneut versuchen (Zustellung Nr. {message.pk})").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Zustellung Nr. {message.pk} wird jetzt erneut versucht."
    )
    assert_accessible(page)
    message.refresh_from_db()
    assert message.status == "pending"
