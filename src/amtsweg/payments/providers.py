"""Payment provider plug-ins: a typed registry (redirect e-payment, invoice, demo simulator).

A provider turns a ``Payment`` into what the payer does next (``begin``: a redirect URL, or an
invoice with GiroCode) and can ask the provider for the current status (``status``: used by the
return page and the nightly check). Server-to-server notifications are verified and parsed by the
provider too (``parse_notification``); everything that changes a payment goes through
``payments.services.payment_transition``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.http import HttpRequest
from django.utils.functional import Promise

from .models import Payment


@dataclass(frozen=True)
class Begin:
    """What the payer does next: follow ``redirect_url``, or pay the invoice shown on ``invoice_url``."""

    redirect_url: str = ""
    invoice_url: str = ""
    provider_reference: str = ""


@dataclass(frozen=True)
class ProviderStatus:
    """The provider's view of a payment: a ``Payment.Status`` value and its event id."""

    status: str
    external_id: str


@dataclass(frozen=True)
class Notification:
    """A verified notification: which payment (by Kassenzeichen or provider reference), which status."""

    reference: str
    status: str
    external_id: str
    # The amount the provider reports (cents); a "paid" for another amount than owed is not applied.
    amount_cents: int | None = None
    # When the provider signed it (seconds since the epoch); outside the allowed window it is refused.
    timestamp: int | None = None


class InvalidSignature(Exception):
    """The notification's signature does not verify: forged or corrupted. Logged, never applied."""


class PaymentProvider(Protocol):
    key: str
    label: str | Promise
    online: bool  # paid at once in the browser (redirect) rather than by bank transfer

    def begin(self, payment: Payment, *, return_url: str, request: HttpRequest | None) -> Begin: ...

    def status(self, payment: Payment) -> ProviderStatus | None: ...

    def parse_notification(self, body: bytes, headers: dict[str, str]) -> Notification: ...


_PROVIDERS: dict[str, Callable[[], PaymentProvider | None]] = {}


def register(key: str, factory: Callable[[], PaymentProvider | None]) -> None:
    """Register a provider factory; it returns ``None`` when the provider is not configured."""
    _PROVIDERS[key] = factory


def provider(key: str) -> PaymentProvider | None:
    factory = _PROVIDERS.get(key)
    return factory() if factory else None


def providers() -> list[PaymentProvider]:
    """The providers configured now (online ones first)."""
    found = [p for p in (factory() for factory in _PROVIDERS.values()) if p is not None]
    return sorted(found, key=lambda p: (not p.online, p.key))
