"""The way of an application, in Chromium, from both sides of the counter.

A citizen applies; a caseworker requests information; the citizen answers with an upload; the
caseworker decides; the citizen finds the notice in the postbox and the public verification page
confirms it. Side effects go through the real outbox: the test delivers the queued messages the way
the worker does (``outbox_deliver``), and e-mails arrive at a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case, Document, Phase
from amtsweg.cases.tests import factories
from amtsweg.notices.models import Notice
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.services import outbox_deliver
from amtsweg.testing import PASSWORD, World

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("password_only_staff_login")]


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def deliver_outbox() -> list[str]:
    """Deliver every due message, as the worker would; returns the kinds delivered."""
    delivered: list[str] = []
    # A handler may queue further messages (a rendered notice queues its e-mail): loop until none is left.
    while pending := list(OutboxMessage.objects.filter(status=OutboxMessage.Status.PENDING).order_by("pk")):
        for message in pending:
            outbox_deliver(message_id=message.pk)
            message.refresh_from_db()
            assert message.status == OutboxMessage.Status.DONE, (message.kind, message.last_error)
            delivered.append(message.kind)
    return delivered


def log_in(page: Page, email: str, *, heading: str) -> None:
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def test_apply_request_answer_decide_verify(
    page: Page, chromium: Browser, live_server: Any, world: World, media: Path, smtp_server: Any
) -> None:
    factories.ensure_default_status_model()
    factories.town_form_version(world)
    factories.notice_templates(world)

    # --- the citizen applies ------------------------------------------------------------------
    page.goto(f"/leistungen/{world.town_service.leika_key}/?ags={world.neuss.ags}")
    page.get_by_role("link", name="Online beantragen").click()
    expect(page).to_have_url(re.compile(r"/konto/anmelden/\?next="))
    log_in(page, world.citizen.email, heading=world.town_service.name)
    page.get_by_role("button", name="Antrag beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben zur Person")
    page.get_by_label("Vorname").fill("Clara")
    page.get_by_label("Familienname").fill("Citizen")
    page.get_by_role("button", name="Weiter", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zweck")
    page.get_by_label("Anzahl der Ausfertigungen").fill("2")
    page.get_by_label("Bemerkung").fill("Für den Arbeitgeber")
    page.get_by_role("button", name="Weiter zur Übersicht").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Angaben prüfen")
    assert_accessible(page)
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    case = Case.objects.get()
    expect(page.get_by_text(case.reference).first).to_be_visible()
    assert case.authority == world.neuss and case.phase == Phase.NEW
    assert sorted(deliver_outbox()) == ["email.receipt", "receipt.render"]
    assert Document.objects.filter(case=case, kind=Document.Kind.RECEIPT).exists()
    receipt_mail = smtp_server.messages[-1]
    assert receipt_mail.recipients == [world.citizen.email]
    assert "Clara" not in receipt_mail.text and case.reference not in receipt_mail.text

    # --- the caseworker requests information ------------------------------------------------------
    staff = chromium.new_context(base_url=live_server.url, locale="de-DE")
    office = staff.new_page()
    office.goto("/backoffice/anmelden/")
    log_in(office, world.caseworker_neuss.email, heading="Neuss")
    office.goto(f"/backoffice/{world.neuss.ags}/vorgaenge/")
    office.get_by_role("link", name=case.reference).click()
    expect(office.get_by_role("heading", level=1)).to_have_text(f"Vorgang {case.reference}")
    expect(office.get_by_role("region", name="Antragsdaten")).to_contain_text("Für den Arbeitgeber")
    assert_accessible(office)
    office.get_by_role("button", name="Vorgang übernehmen").click()
    form = office.get_by_role("group", name="Unterlagen nachfordern")
    form.get_by_label("Was fehlt?").fill("Bitte laden Sie eine Kopie Ihres Personalausweises hoch.")
    form.get_by_role("button", name="Nachforderung senden").click()
    expect(office.get_by_role("status")).to_contain_text("Postfach")
    case.refresh_from_db()
    assert case.phase == Phase.WAITING
    assert deliver_outbox() == ["email.postbox"]
    postbox_mail = smtp_server.messages[-1]
    assert postbox_mail.recipients == [world.citizen.email] and "Neuss" in postbox_mail.text
    assert "Personalausweis" not in postbox_mail.text  # the request's content stays in the portal

    # --- the citizen answers in the portal --------------------------------------------------------
    page.goto("/konto/postfach/")
    page.get_by_role("link", name=re.compile("Unterlagen nachgefordert")).click()
    page.get_by_role("link", name="Jetzt antworten und Unterlagen hochladen").click()
    page.get_by_label("Ihre Antwort").fill("Anbei die Kopie.")
    page.get_by_label("Unterlagen hochladen").set_input_files(
        [FilePayload(name="ausweis.pdf", mimeType="application/pdf", buffer=PDF)]
    )
    page.get_by_role("button", name="Antwort senden").click()
    expect(page.get_by_role("status")).to_be_visible()
    case.refresh_from_db()
    assert case.phase == Phase.IN_PROGRESS

    # --- the caseworker decides -------------------------------------------------------------------
    office.reload()
    expect(office.get_by_role("link", name="ausweis.pdf").first).to_be_visible()
    office.get_by_role("radio", name="bewilligt", exact=True).check()
    office.get_by_role("button", name="Entscheiden und Bescheid erstellen").click()
    expect(office.get_by_role("status")).to_be_visible()
    assert_accessible(office)
    assert sorted(deliver_outbox()) == ["email.postbox", "notice.render"]
    notice = Notice.objects.get(case=case)
    assert notice.status == Notice.Status.ISSUED and notice.document is not None
    staff.close()

    # --- the citizen finds the notice, the public page confirms it ---------------------------------
    page.goto("/konto/postfach/")
    page.get_by_role("link", name=re.compile(notice.subject)).first.click()
    expect(page.get_by_role("link", name=re.compile(r"\.pdf"))).to_be_visible()
    assert_accessible(page)
    page.goto(f"/verify/{notice.code}")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Neuss")
    expect(main).to_contain_text(notice.subject)
    expect(main).not_to_contain_text("Clara")
    assert_accessible(page)
