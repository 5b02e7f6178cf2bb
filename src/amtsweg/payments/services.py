"""Payment services: the one transition every report goes through (provider, bank, staff).

``payment_transition`` locks the payment row, applies an allowed transition once and records it as
a ``PaymentEvent``; the same report again (same ``source`` and ``external_id``) is a no-op, a report
that would move the payment backwards is ``stale``. A payment that becomes *paid* enqueues
``payment.paid``: its handler tells the case's process (message ``payment_received``) and the
postbox, outside the transaction that recorded it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db import transaction
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.outbox.services import outbox_enqueue

from .models import Payment, PaymentEvent
from .states import allowed


class Outcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this very report was applied before
    STALE = "stale"  # the payment is already further along (or the move is not allowed)


@dataclass(frozen=True)
class TransitionResult:
    payment: Payment
    outcome: Outcome


def payment_transition(
    *,
    payment: Payment,
    to: str,
    source: str,
    external_id: str = "",
    actor: User | None = None,
    detail: dict[str, Any] | None = None,
) -> TransitionResult:
    """Move ``payment`` to ``to`` as reported by ``source`` (idempotent per ``external_id``)."""
    with transaction.atomic():
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if (
            external_id
            and PaymentEvent.objects.filter(payment=locked, source=source, external_id=external_id).exists()
        ):
            return TransitionResult(locked, Outcome.DUPLICATE)
        if locked.status == to:
            return TransitionResult(locked, Outcome.DUPLICATE)
        if not allowed(locked.status, to):
            return TransitionResult(locked, Outcome.STALE)
        previous = locked.status
        locked.status = to
        fields = ["status", "updated_at"]
        if to == Payment.Status.PAID:
            locked.paid_at = timezone.now()
            fields.append("paid_at")
        locked.save(update_fields=fields)
        # The row lock above serialises reports for one payment, so the check for the same report
        # before it cannot race; the unique constraint is the last line of defence.
        PaymentEvent.objects.create(
            payment=locked,
            from_status=previous,
            to_status=to,
            source=source,
            external_id=external_id,
            actor=actor,
            detail=detail or {},
        )
        if to == Payment.Status.PAID:
            outbox_enqueue(
                kind="payment.paid",
                payload={"payment": str(locked.pk)},
                dedupe_key=f"payment.paid:{locked.pk}",
                authority_id=locked.authority_id,
            )
    return TransitionResult(locked, Outcome.APPLIED)
