"""The redirect e-payment provider in the style of pmPayment and ePayBL (provider key ``epayment``).

Configured by ``settings.PAYMENT_EPAYMENT`` (``url``, ``merchant_id``, ``secret``, optional ``label``,
``max_age`` seconds, ``timeout`` seconds). Four messages, each signed with HMAC-SHA256 under the
shared secret:

- redirect: the browser goes to ``<url>/pay?…&signature=`` with merchant, txid, Kassenzeichen, amount
  in cents, currency, purpose, return URL, notify URL and timestamp;
- return: the provider sends the browser back to our return URL with ``txid``, ``status``,
  ``timestamp`` and ``signature``;
- notification: the provider POSTs JSON (``notification_id``, ``merchant``, ``txid``,
  ``kassenzeichen``, ``status``, ``amount``, ``timestamp``) to
  ``/api/v1/payments/notifications/epayment`` with the signature of the raw body in the header
  ``X-Epayment-Signature``;
- status: we ask ``<url>/status/<txid>?merchant=…&timestamp=…&signature=``; the JSON answer is
  signed in ``X-Epayment-Signature`` too.

The signature of key/value messages is over the parameters sorted by name and URL-encoded
(``urllib.parse.urlencode``), which is unambiguous whatever the values contain. Our transaction id
(``txid``) is the payment's UUID, so every report can be matched to one payment across authorities.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise

from .models import Payment
from .providers import Begin, InvalidSignature, Notification, ProviderStatus, register

KEY = "epayment"
SIGNATURE_HEADER = "X-Epayment-Signature"
# The provider's words for a payment's state, mapped to ours. A payer who cancels at the provider
# still owes the fee: the attempt failed, the payment can be tried again.
STATUS_MAP: dict[str, str] = {
    "pending": Payment.Status.PENDING,
    "paid": Payment.Status.PAID,
    "failed": Payment.Status.FAILED,
    "cancelled": Payment.Status.FAILED,
    "refunded": Payment.Status.REFUNDED,
}


def sign(secret: str, params: Mapping[str, Any]) -> str:
    """HMAC-SHA256 (hex) over ``params`` sorted by name and URL-encoded; ``signature`` is left out."""
    canonical = urlencode(sorted((k, str(v)) for k, v in params.items() if k != "signature"))
    return hmac.new(secret.encode(), canonical.encode(), hashlib.sha256).hexdigest()


def sign_body(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _equal(expected: str, given: str) -> bool:
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


@dataclass(frozen=True)
class ReturnReport:
    """A verified return of the browser: which transaction, which status (ours), signed when."""

    txid: str
    status: str
    timestamp: int


@dataclass
class EPaymentProvider:
    """The configured redirect provider (see the module docstring for the messages)."""

    url: str
    merchant_id: str
    secret: str
    label: str | Promise = "ePayment"
    max_age: int = 300
    timeout: float = 5.0
    key: str = KEY
    online: bool = True

    def begin(self, payment: Payment, *, return_url: str, request: HttpRequest | None) -> Begin:
        params: dict[str, Any] = {
            "merchant": self.merchant_id,
            "txid": str(payment.pk),
            "kassenzeichen": payment.kassenzeichen,
            "amount": payment.amount_cents,
            "currency": payment.currency,
            "purpose": payment.purpose,
            "return_url": return_url,
            "notify_url": notify_url(request),
            "timestamp": int(time.time()),
        }
        params["signature"] = sign(self.secret, params)
        return Begin(redirect_url=f"{self.url}/pay?{urlencode(params)}", provider_reference=str(payment.pk))

    def verify_return(self, params: Mapping[str, str]) -> ReturnReport:
        """Check the signed return parameters; raise ``InvalidSignature`` unless all is in order."""
        needed = ("txid", "status", "timestamp", "signature")
        if any(not params.get(name) for name in needed):
            raise InvalidSignature("return without signature")
        signed = {name: params[name] for name in ("txid", "status", "timestamp")}
        signed["merchant"] = self.merchant_id
        if not _equal(sign(self.secret, signed), params["signature"]):
            raise InvalidSignature("return signature does not verify")
        status = STATUS_MAP.get(params["status"])
        if status is None or not params["timestamp"].isdigit():
            raise InvalidSignature("return with unknown status")
        return ReturnReport(txid=params["txid"], status=status, timestamp=int(params["timestamp"]))

    def status(self, payment: Payment) -> ProviderStatus | None:
        txid = payment.provider_reference or str(payment.pk)
        params: dict[str, Any] = {"merchant": self.merchant_id, "txid": txid, "timestamp": int(time.time())}
        params["signature"] = sign(self.secret, params)
        try:
            response = requests.get(f"{self.url}/status/{txid}", params=params, timeout=self.timeout)
        except requests.RequestException:
            return None
        if response.status_code == 404:
            return None  # the payer never reached the provider
        signature = response.headers.get(SIGNATURE_HEADER, "")
        if response.status_code != 200 or not _equal(sign_body(self.secret, response.content), signature):
            return None
        try:
            body = json.loads(response.content)
        except ValueError:
            return None
        status = STATUS_MAP.get(str(body.get("status")))
        if status is None or str(body.get("txid")) != txid or not body.get("event_id"):
            return None
        if status == Payment.Status.PAID and body.get("amount") != payment.amount_cents:
            return None  # paid another amount: a case for the reconciliation, not for an automatic change
        return ProviderStatus(status=status, external_id=str(body["event_id"])[:100])

    def parse_notification(self, body: bytes, headers: dict[str, str]) -> Notification:
        signature = headers.get(SIGNATURE_HEADER.lower(), headers.get(SIGNATURE_HEADER, ""))
        if not signature or not _equal(sign_body(self.secret, body), signature):
            raise InvalidSignature("notification signature does not verify")
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise ValueError("the body is not JSON") from exc
        if not isinstance(data, dict) or data.get("merchant") != self.merchant_id:
            raise ValueError("the notification is for another merchant")
        status = STATUS_MAP.get(str(data.get("status")))
        notification_id = str(data.get("notification_id") or "")
        txid = str(data.get("txid") or "")
        amount = data.get("amount")
        timestamp = data.get("timestamp")
        if (
            status is None
            or not notification_id
            or not txid
            or not isinstance(amount, int)
            or not isinstance(timestamp, int)
        ):
            raise ValueError("the notification lacks a field")
        return Notification(
            reference=txid,
            status=status,
            external_id=notification_id[:100],
            amount_cents=amount,
            timestamp=timestamp,
        )


def notify_url(request: HttpRequest | None) -> str:
    path = reverse("api-payment-notification", kwargs={"provider_key": KEY})
    base = settings.PAYMENT_EPAYMENT.get("notify_base") or settings.PUBLIC_URL
    if request is not None and not settings.PAYMENT_EPAYMENT.get("notify_base"):
        return request.build_absolute_uri(path)
    return f"{str(base).rstrip('/')}{path}"


def configured() -> EPaymentProvider | None:
    """The provider from ``settings.PAYMENT_EPAYMENT``, or ``None`` when it is not configured."""
    config: dict[str, Any] = settings.PAYMENT_EPAYMENT or {}
    if not (config.get("url") and config.get("merchant_id") and config.get("secret")):
        return None
    return EPaymentProvider(
        url=str(config["url"]).rstrip("/"),
        merchant_id=str(config["merchant_id"]),
        secret=str(config["secret"]),
        label=str(config.get("label") or "ePayment"),
        max_age=int(config.get("max_age", 300)),
        timeout=float(config.get("timeout", 5)),
    )


register(KEY, configured)
