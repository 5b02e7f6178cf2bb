"""The demo payment simulator (provider key ``simulator``): only when ``settings.PAYMENT_SIMULATOR``.

Its pay page is on our own site (``zahlungen/simulator/<uuid>/``), clearly marked "Demo – keine
echte Zahlung", with "Bezahlen" and "Abbrechen"; the choice is applied as the payer's return
(``payment_transition(source=RETURN)``). It exists so that the two-command demo shows the whole
way of an application with a fee, without any payment service.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Payment
from .providers import Begin, Notification, ProviderStatus, register

KEY = "simulator"


class SimulatorProvider:
    key = KEY
    label: str | Promise = _("Demo-Zahlung (keine echte Zahlung)")
    online = True

    def begin(self, payment: Payment, *, return_url: str, request: HttpRequest | None) -> Begin:
        return Begin(
            redirect_url=reverse("portal:payment_simulator", kwargs={"payment_id": payment.pk}),
            provider_reference=f"sim-{payment.pk}",
        )

    def status(self, payment: Payment) -> ProviderStatus | None:
        return None  # the simulator's answer is applied at once; there is nothing to ask later

    def parse_notification(self, body: bytes, headers: dict[str, str]) -> Notification:
        raise ValueError("the simulator sends no notifications")


def configured() -> SimulatorProvider | None:
    return SimulatorProvider() if settings.PAYMENT_SIMULATOR else None


register(KEY, configured)
