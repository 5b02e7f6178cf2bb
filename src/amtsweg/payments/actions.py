"""The process action ``payment.request``: ask the applicant to pay a fee while the case is worked.

A service task ``camunda:topic="amtsweg:payment.request"`` creates the payment and puts a message
with the pay link into the postbox; the model then usually waits for the message
``payment_received`` (sent by the ``payment.paid`` outbox handler).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.urls import reverse

from amtsweg.processes.actions import Outcome, Parameter, action

CENT = Decimal("0.01")


def _text(params: dict[str, Any], key: str) -> str:
    return str(params.get(key) or "").strip()


def euros_to_cents(value: str) -> int:
    """``"25"``, ``"25.50"`` or ``"25,50"`` euros as cents (exact, half up)."""
    try:
        euros = Decimal(value.replace(",", "."))
    except InvalidOperation as exc:
        raise ValueError(f"not an amount in euros: {value!r}") from exc
    if not euros.is_finite():
        raise ValueError(f"not an amount in euros: {value!r}")
    return int((euros.quantize(CENT, rounding=ROUND_HALF_UP) * 100).to_integral_value())


@action(
    "payment.request",
    label="Zahlung anfordern",
    parameters=(
        Parameter(
            "amount", required=False, help="Betrag in Euro; leer: Gebühr der Leistung (auf Anforderung)"
        ),
        Parameter("purpose", required=False, help="Verwendungszweck"),
        Parameter("fee", required=False, help="Kennung der Gebühr, wenn die Leistung mehrere hat"),
        Parameter("due_days", required=False, help="Zahlungsfrist in Tagen; leer: Frist der Kasse"),
    ),
)
def payment_request_action(*, run: Any, task: Any, params: dict[str, Any]) -> Outcome:
    from amtsweg.cases.models import PostboxMessage
    from amtsweg.cases.services import postbox_deliver
    from amtsweg.processes.engine import WorkflowError

    from .services import payment_request

    amount_text = _text(params, "amount")
    due_text = _text(params, "due_days")
    try:
        amount = euros_to_cents(amount_text) if amount_text else None
    except ValueError as exc:
        raise WorkflowError(task, str(exc)) from exc
    payment = payment_request(
        case=run.case,
        amount_cents=amount,
        purpose=_text(params, "purpose"),
        fee_key=_text(params, "fee"),
        due_days=int(due_text) if due_text.isdigit() else None,
    )
    euros = f"{Decimal(payment.amount_cents) / 100:.2f}".replace(".", ",")
    due = f" bis zum {payment.due_date:%d.%m.%Y}" if payment.due_date else ""
    link = reverse("portal:payment_pay", kwargs={"payment_id": payment.pk})
    postbox_deliver(
        recipient_id=run.case.applicant_id,
        case=run.case,
        kind=PostboxMessage.Kind.MESSAGE,
        subject=f"{run.case.title}: Zahlung angefordert ({euros} €)",
        body=(
            f"Für Ihren Antrag {run.case.reference} ist eine Gebühr von {euros} € zu zahlen{due}.\n"
            f"Kassenzeichen: {payment.kassenzeichen}\n"
            f"Verwendungszweck: {payment.purpose}\n\n"
            f"Hier können Sie bezahlen: {link}"
        ),
    )
    return Outcome(data={"payment": str(payment.pk), "kassenzeichen": payment.kassenzeichen})
