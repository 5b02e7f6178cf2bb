"""Payments requested by the process (action ``payment.request``) and what follows a payment
(outbox handler ``payment.paid``: process message, case history, postbox) — idempotent."""

from __future__ import annotations

from pathlib import Path

import pytest

from amtsweg.cases.models import CaseEvent, PostboxMessage
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.payments.handlers import payment_paid
from amtsweg.payments.models import Payment, PaymentEvent
from amtsweg.payments.services import payment_transition
from amtsweg.processes.models import ProcessTask
from amtsweg.processes.services import process_task_complete
from amtsweg.processes.tests.factories import publish_model, running_case
from amtsweg.testing import World

from . import factories

pytestmark = pytest.mark.django_db
MODEL = (Path(__file__).parent / "data" / "fee_on_request.bpmn").read_bytes()


def test_process_requests_a_payment_and_goes_on_when_it_is_paid(world: World) -> None:
    factories.account(world.neuss)
    publish_model(world, MODEL, filename="fee_on_request.bpmn")
    case = running_case(world)
    task = ProcessTask.objects.get(case=case, bpmn_id="pruefen", state="open")
    process_task_complete(task=task, data={}, actor=world.caseworker_neuss, channel="web")

    payment = Payment.objects.get(case=case)
    assert payment.amount_cents == 2550
    assert payment.status == Payment.Status.OPEN
    assert payment.payer == world.citizen
    assert payment.kassenzeichen.startswith("NE")
    assert payment.due_date is not None
    message = PostboxMessage.objects.get(case=case, subject__contains="Zahlung angefordert")
    assert f"/zahlungen/{payment.pk}/" in message.body and "25,50 €" in message.body
    assert not ProcessTask.objects.filter(case=case, bpmn_id="entscheiden").exists()

    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.BANK, external_id="b1"
    )
    assert OutboxMessage.objects.filter(kind="payment.paid").count() == 1
    deliver_due_messages(kinds=["payment.paid"])
    assert ProcessTask.objects.filter(case=case, bpmn_id="entscheiden", state="open").exists()
    event = CaseEvent.objects.get(case=case, detail__payment_received=str(payment.pk))
    assert event.visible_to_applicant
    assert PostboxMessage.objects.filter(case=case, subject__contains="Zahlung eingegangen").count() == 1

    # A second run of the handler (a worker that died before marking it done) changes nothing.
    payment_paid(OutboxMessage.objects.get(kind="payment.paid"))
    assert CaseEvent.objects.filter(case=case, detail__payment_received=str(payment.pk)).count() == 1
    assert PostboxMessage.objects.filter(case=case, subject__contains="Zahlung eingegangen").count() == 1
    assert ProcessTask.objects.filter(case=case, bpmn_id="entscheiden").count() == 1


def test_a_fee_paid_before_submission_sends_no_process_message(world: World) -> None:
    from amtsweg.cases.services import submission_submit
    from amtsweg.payments.services import payment_for_draft
    from amtsweg.testing import EID_LOGIN

    draft = factories.draft_with_fee(citizen=world.citizen, service=world.town_service, authority=world.neuss)
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    payment_transition(
        payment=payment, to=Payment.Status.PAID, source=PaymentEvent.Source.STAFF, external_id="x"
    )
    submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    deliver_due_messages(kinds=["payment.paid"])
    assert not CaseEvent.objects.filter(detail__has_key="payment_received").exists()
