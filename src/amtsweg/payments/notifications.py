"""Server-to-server notifications of payment providers: verify, log, apply once.

The fast path is one transaction: find the payment by primary key, apply the transition (row lock,
idempotent per notification id) and log the notification. Every notification is logged as a
``ProviderNotification`` with its outcome, the body's SHA-256 and the sender's address, never the
body itself: forged ones too, as evidence.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from dataclasses import dataclass

from django.db import transaction

from .models import Payment, PaymentEvent, ProviderNotification
from .providers import InvalidSignature, Notification, provider
from .services import Outcome, payment_transition

logger = logging.getLogger(__name__)
# Notifications signed longer ago than this (or this far in the future) are refused as replays.
DEFAULT_MAX_AGE = 300

N = ProviderNotification.Outcome
# What the provider gets back: 200 means "received, do not send again" (also for duplicates and
# stale reports, which are settled by being logged); forged, unknown and malformed ones are refused.
HTTP_STATUS: dict[str, int] = {
    N.APPLIED: 200,
    N.DUPLICATE: 200,
    N.STALE: 200,
    N.FORGED: 403,
    N.UNKNOWN: 404,
    N.INVALID: 400,
}


@dataclass(frozen=True)
class Received:
    outcome: str
    payment_id: uuid.UUID | None = None

    @property
    def http_status(self) -> int:
        return HTTP_STATUS[self.outcome]


def notification_receive(
    *, provider_key: str, body: bytes, headers: dict[str, str], remote_address: str | None
) -> Received:
    """Verify and apply one notification of ``provider_key``; always logged, never raises for bad input."""
    digest = hashlib.sha256(body).hexdigest()
    chosen = provider(provider_key)
    if chosen is None:
        return _log(provider_key, N.UNKNOWN, digest, remote_address, None)
    try:
        notification = chosen.parse_notification(body, headers)
    except InvalidSignature:
        logger.warning("forged payment notification from %s (provider %s)", remote_address, provider_key)
        return _log(provider_key, N.FORGED, digest, remote_address, None)
    except ValueError:
        return _log(provider_key, N.INVALID, digest, remote_address, None)
    max_age = int(getattr(chosen, "max_age", DEFAULT_MAX_AGE))
    if notification.timestamp is not None and abs(time.time() - notification.timestamp) > max_age:
        return _log(provider_key, N.INVALID, digest, remote_address, None)
    with transaction.atomic():
        payment = _payment(provider_key, notification)
        if payment is None:
            return _log(provider_key, N.UNKNOWN, digest, remote_address, None)
        if (
            notification.status == Payment.Status.PAID
            and notification.amount_cents is not None
            and notification.amount_cents != payment.amount_cents
        ):
            logger.warning("payment notification for %s with a different amount", payment.pk)
            return _log(provider_key, N.INVALID, digest, remote_address, payment.pk)
        result = payment_transition(
            payment=payment,
            to=notification.status,
            source=PaymentEvent.Source.NOTIFICATION,
            external_id=notification.external_id,
            detail={"provider": provider_key},
        )
        outcome = {Outcome.APPLIED: N.APPLIED, Outcome.DUPLICATE: N.DUPLICATE, Outcome.STALE: N.STALE}[
            result.outcome
        ]
        return _log(provider_key, outcome, digest, remote_address, payment.pk)


def _payment(provider_key: str, notification: Notification) -> Payment | None:
    # By primary key whatever provider the payer chose last: a late "paid" from an abandoned
    # attempt is still money received.
    payments = Payment.objects.only("pk", "amount_cents", "status")
    try:
        return payments.filter(pk=uuid.UUID(notification.reference)).first()
    except ValueError:
        return payments.filter(provider=provider_key, provider_reference=notification.reference).first()


def _log(
    provider_key: str, outcome: str, digest: str, remote_address: str | None, payment_id: uuid.UUID | None
) -> Received:
    ProviderNotification.objects.create(
        provider=provider_key[:40],
        payment_id=payment_id,
        outcome=outcome,
        body_sha256=digest,
        remote_address=remote_address or None,
    )
    return Received(outcome=outcome, payment_id=payment_id)
