"""The move of issue 10 end to end in Chromium: a citizen who moves from Dormagen to Neuss with two cars
is registered at the Neuss counter (ID card checked: level "hoch"), Neuss confirms, the worker hands the
vehicle part to the Kreis, the Kreis records both cars, the fee is paid, both notices are issued and the
citizen sees one application with two parts. axe-core checks on every page of the way. The second
test is the same move applied for online (step-up to "hoch" with the identity simulator), with the
address label handed out at the Neuss Bürgerbüro.

Deviations from a pure click-through, on purpose: process tasks outside the pages under test are
completed through ``process_task_complete`` (their inbox pages have browser tests of their own), the
outbox worker is called directly (``deliver_due_messages``), and the fee is booked as the bank
reconciliation books it (``payment_transition`` to paid; the provider's checkout has its own test).
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from amtsweg.browser import assert_accessible
from amtsweg.cases.models import Case, Document, Phase
from amtsweg.cases.tests.factories_counter import move_answers, move_services
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.models import Payment, PaymentEvent
from amtsweg.payments.services import payment_transition
from amtsweg.payments.tests.factories import account
from amtsweg.processes.models import Handover, ProcessTask
from amtsweg.processes.services import process_task_complete, process_version_import, process_version_publish
from amtsweg.testing import PASSWORD, World

from ..models import VehicleChange
from ..services import vehicle_change_record
from .kreis_factories import BPMN as KREIS_BPMN
from .kreis_factories import kreis_caseworker, register

pytestmark = [
    pytest.mark.browser,
    pytest.mark.usefixtures("password_only_staff_login"),
]
PLATES = ("NE-AB 123", "GV-X 7E")


def _log_in(page: Page, path: str, email: str) -> None:
    page.context.clear_cookies()
    page.goto(path)
    page.get_by_label("E-Mail-Adresse").fill(email)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


def _complete(case: Case, bpmn_id: str, user: Any, data: dict[str, Any] | None = None) -> None:
    task = ProcessTask.objects.get(case=case, bpmn_id=bpmn_id, state=ProcessTask.State.OPEN)
    process_task_complete(task=task, data=data or {}, actor=user, channel="web")


def _kreis_process(world: World) -> None:
    _move, vehicles = move_services(world, kreis_model=None)
    version = process_version_import(
        service=vehicles, authority=None, xml=KREIS_BPMN.read_bytes(), filename=KREIS_BPMN.name, actor=None
    )
    assert version.executable, version.execution_problems
    process_version_publish(version=version, actor=None)
    from amtsweg.notices.models import NoticeTemplate

    for decision in ("partially", "rejected", "granted"):
        NoticeTemplate.objects.get_or_create(
            service=vehicles,
            authority=None,
            decision=decision,
            defaults={
                "subject": "Adressänderung in der Zulassungsbescheinigung",
                "body": "Ihr Antrag {{ case.reference }}.",
                "legal_remedy": "Klage",
                "fee_lines": [],
            },
        )
    account(world.kreis, prefix="KR")


def test_one_move_two_authorities_one_application(page: Page, world: World) -> None:
    _kreis_process(world)
    kreis_clerk: Any = kreis_caseworker(world)
    for plate in PLATES:  # the citizen's cars in the local register, at the old address in Dormagen
        register(plate, holder_given_names="Clara Maria", holder_street="Kölner Straße 10")

    # --- Neuss, counter: the clerk enters the registration for Clara, who is present ---------------
    _log_in(page, "/backoffice/anmelden/", world.caseworker_neuss.email)
    page.goto(f"/backoffice/{world.neuss.ags}/schalter/")
    assert_accessible(page)
    page.get_by_role("button", name="Erfassung beginnen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung einer Wohnung")
    assert_accessible(page)
    page.get_by_label("E-Mail-Adresse", exact=True).fill(world.citizen.email)
    page.get_by_label("Ausweis vor Ort geprüft", exact=False).check()
    page.get_by_role("button", name="Antrag einreichen").last.click()
    expect(page.locator(".error-summary")).to_be_visible()  # nothing filled in yet
    assert_accessible(page)
    fields = {
        "f-familienname": "Citizen",
        "f-vornamen": "Clara Maria",
        "f-geburtsdatum": "1990-04-01",
        "f-neue_strasse": "Markt",
        "f-neue_hausnummer": "2",
        "f-neue_plz": "41460",
        "f-neuer_ort": "Neuss",
        "f-bisherige_strasse": "Kölner Straße",
        "f-bisherige_hausnummer": "10",
        "f-bisherige_plz": "41539",
        "f-bisheriger_ort": "Dormagen",
        "f-fahrzeuge-0-kennzeichen": PLATES[0],
        "f-haushaltsmitglieder-0-familienname": "Citizen",
        "f-haushaltsmitglieder-0-vornamen": "Paul",
        "f-haushaltsmitglieder-0-geburtsdatum": "2015-06-01",
    }
    from django.utils import timezone

    fields["f-einzugsdatum"] = timezone.localdate().isoformat()
    for element_id, value in fields.items():
        page.locator(f"#{element_id}").fill(value)
    page.get_by_role("button", name="Weitere Zeile", exact=False).last.click()
    page.locator("#f-fahrzeuge-1-kennzeichen").fill(PLATES[1])
    page.get_by_label("per Post an die neue Anschrift").check()
    page.get_by_label("Ausweis vor Ort geprüft", exact=False).check()
    page.get_by_role("button", name="Antrag einreichen").last.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Vorgang")
    town_case = Case.objects.get(authority=world.neuss)
    assert town_case.applicant == world.citizen and town_case.submission is not None
    assert town_case.submission.trust_level == "hoch"
    assert_accessible(page)

    # --- Neuss confirms the registration; the worker hands the vehicle part over ------------------
    _complete(town_case, "Activity_Anmeldung_pruefen", world.caseworker_neuss, {"vollstaendig": True})
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 1
    kreis_case = Handover.objects.get(case=town_case).receiving_case
    assert kreis_case is not None and kreis_case.authority == world.kreis
    page.reload()
    expect(page.get_by_role("heading", name="Teile des Antrags")).to_be_visible()
    expect(page.locator("main")).to_contain_text(kreis_case.reference)
    assert_accessible(page)

    # --- Kreis: both cars recorded on the vehicle-part page ----------------------------------------
    _log_in(page, "/backoffice/anmelden/", kreis_clerk.email)
    # the Kreis sees only its part: the town's registration (household, everything else) stays closed
    response = page.goto(f"/backoffice/{world.neuss.ags}/vorgaenge/{town_case.pk}/")
    assert response is not None and response.status in (403, 404)
    response = page.goto(f"/api/v1/staff/cases/{town_case.pk}")
    assert response is not None and response.status == 404
    assert town_case.submission.data["haushaltsmitglieder"][0]["vornamen"] == "Paul"
    assert "haushaltsmitglieder" not in Handover.objects.get(case=town_case).data
    page.goto(f"/backoffice/{world.kreis.ags}/kfz/{kreis_case.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(kreis_case.reference)
    for plate in PLATES:
        page.get_by_role("button", name=f"Adressänderung für {plate} eintragen").click()
        expect(page.get_by_role("status")).to_contain_text(f"{plate} eingetragen")
    assert_accessible(page)
    assert set(VehicleChange.objects.filter(case=kreis_case).values_list("outcome", flat=True)) == {
        "recorded"
    }
    _complete(kreis_case, "Activity_Fahrzeuge", kreis_clerk)

    # --- the fee is paid, the label sent, the Kreis notice issued; the town closes ----------------
    payment = Payment.objects.get(case=kreis_case)
    assert payment.amount_cents == 2 * 1280 and payment.payer == world.citizen
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="e2e"
    )
    deliver_due_messages(kinds=["payment.paid"])
    _complete(kreis_case, "Activity_Aufkleber", kreis_clerk)
    kreis_case.refresh_from_db()
    assert kreis_case.phase == Phase.CLOSED and kreis_case.decision == "granted"
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 1
    town_case.refresh_from_db()
    assert town_case.phase == Phase.CLOSED  # label by post: nothing left for the town office
    deliver_due_messages()  # notices rendered, postbox and e-mails

    # --- the citizen sees one application with two parts and both notices -------------------------
    _log_in(page, "/konto/anmelden/", world.citizen.email)
    page.goto("/konto/antraege/")
    cards = page.locator(".card.result")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text(town_case.reference)
    expect(cards.first).to_contain_text(kreis_case.reference)
    assert_accessible(page)
    page.goto(f"/konto/antraege/{town_case.pk}/")
    expect(page.get_by_role("heading", name="Teile des Antrags")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Rhein-Kreis Neuss")
    assert_accessible(page)
    page.get_by_role("link", name=f"Teil {kreis_case.reference} ansehen").click()
    expect(page.locator("main")).to_contain_text(f"Teil des Antrags {town_case.reference} bei Neuss")
    assert Document.objects.filter(case=kreis_case, kind=Document.Kind.NOTICE).exists()
    expect(page.get_by_role("link", name=".pdf", exact=False).first).to_be_visible()
    assert_accessible(page)
    assert Document.objects.filter(case=town_case, kind=Document.Kind.NOTICE).exists()


def test_the_citizen_moves_online_with_two_cars(page: Page, world: World, settings: Any) -> None:
    """The same move applied for online: the form needs level "hoch", so the citizen logged in with a
    password is asked for a stronger login (the demo identity simulator stands in for the eID)."""
    settings.IDENTITY_SIMULATOR = True
    _kreis_process(world)
    kreis_clerk: Any = kreis_caseworker(world)
    for plate in PLATES:
        register(plate, holder_given_names="Clara Maria", holder_street="Kölner Straße 10")
    version = FormVersion.objects.get(definition__service__leika_key="99115005104000")
    draft = Draft.objects.create(
        form_version=version,
        service=version.definition.service,
        authority=world.neuss,
        applicant=world.citizen,
        data=move_answers(plates=list(PLATES), label="buergerbuero"),
        completed_steps=[step.key for step in version.parsed.steps],
    )

    _log_in(page, "/konto/anmelden/", world.citizen.email)
    page.goto(f"/antraege/{draft.id}/pruefen/")
    expect(page.locator("main")).to_contain_text(PLATES[1])
    assert_accessible(page)
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stärkere Anmeldung nötig")
    assert not Case.objects.filter(authority=world.neuss).exists()
    page.get_by_role("link", name="Demo-Identität (Simulator)").click()
    page.get_by_label("hoch", exact=False).first.check()
    page.get_by_role("button", name="Als diese Person anmelden").click()
    page.get_by_role("button", name="Antrag verbindlich einreichen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Antrag ist eingegangen")
    town_case = Case.objects.get(authority=world.neuss)
    assert town_case.submission is not None and town_case.submission.trust_level == "hoch"

    # Neuss confirms, the worker hands over, the Kreis records both cars; the label goes to Neuss
    _complete(town_case, "Activity_Anmeldung_pruefen", world.caseworker_neuss, {"vollstaendig": True})
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 1
    kreis_case = Handover.objects.get(case=town_case).receiving_case
    assert kreis_case is not None
    page.goto("/konto/antraege/")
    expect(page.locator(".card.result").first).to_contain_text(kreis_case.reference)
    assert_accessible(page)
    for change in VehicleChange.objects.filter(case=kreis_case):
        vehicle_change_record(change=change, keep_plate=True, actor=kreis_clerk, channel="web")
    _complete(kreis_case, "Activity_Fahrzeuge", kreis_clerk)
    payment = Payment.objects.get(case=kreis_case)
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="online"
    )
    deliver_due_messages(kinds=["payment.paid"])
    _complete(kreis_case, "Activity_Aufkleber", kreis_clerk)
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 1
    # the label is handed out at the Neuss Bürgerbüro: the town's last task
    _complete(town_case, "Activity_Aufkleber", world.caseworker_neuss, {"ausgehaendigt": True})
    town_case.refresh_from_db()
    assert town_case.phase == Phase.CLOSED
    deliver_due_messages()

    page.goto(f"/konto/antraege/{town_case.pk}/")
    expect(page.get_by_role("heading", name="Teile des Antrags")).to_be_visible()
    expect(page.locator("main")).to_contain_text(kreis_case.reference)
    assert_accessible(page)
    assert Document.objects.filter(case=kreis_case, kind=Document.Kind.NOTICE).exists()
    assert Document.objects.filter(case=town_case, kind=Document.Kind.NOTICE).exists()
