"""Outbox handlers of the payments module: what follows once a payment is paid."""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction

from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.registry import handler

from .models import Payment


@handler("payment.paid")
def payment_paid(message: OutboxMessage) -> None:
    """Tell the case's process (message ``payment_received``), note it in the case history and the
    postbox. Idempotent: the case event marks it done, so a second run changes nothing."""
    from amtsweg.cases.models import Case, CaseEvent, PostboxMessage
    from amtsweg.cases.services import postbox_deliver
    from amtsweg.processes.services import process_message_deliver

    payment_id = message.payload["payment"]
    with transaction.atomic():
        payment = Payment.objects.select_for_update().filter(pk=payment_id).first()
        if payment is None or payment.case_id is None or payment.status != Payment.Status.PAID:
            return  # paid before submission: the submission itself is the next step
        case = Case.objects.select_related("authority").get(pk=payment.case_id)
        if CaseEvent.objects.filter(
            case=case, kind=CaseEvent.Kind.PROCESS, detail__payment_received=str(payment.pk)
        ).exists():
            return
        if case.submitted_at and payment.paid_at and payment.paid_at <= case.submitted_at:
            return  # paid before submission and attached to the case: nothing is waiting for it
        euros = f"{Decimal(payment.amount_cents) / 100:.2f}".replace(".", ",")
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.PROCESS,
            status=case.status,
            detail={
                "payment_received": str(payment.pk),
                "kassenzeichen": payment.kassenzeichen,
                "amount_cents": payment.amount_cents,
            },
            visible_to_applicant=True,
        )
        postbox_deliver(
            recipient_id=case.applicant_id,
            case=case,
            kind=PostboxMessage.Kind.STATUS,
            subject=f"{case.title}: Zahlung eingegangen",
            body=(
                f"Ihre Zahlung über {euros} € (Kassenzeichen {payment.kassenzeichen}) ist eingegangen. "
                "Vielen Dank."
            ),
        )
        process_message_deliver(
            case=case,
            name="payment_received",
            payload={"payment": str(payment.pk), "kassenzeichen": payment.kassenzeichen},
            actor=None,
            channel="system",
        )
