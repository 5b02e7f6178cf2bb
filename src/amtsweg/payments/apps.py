from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "amtsweg.payments"
    label = "payments"
    verbose_name = _("Zahlungen")

    def ready(self) -> None:
        # Importing a provider module registers it (payments.providers); actions and handlers the same.
        from . import actions, check, epayment, handlers, invoice, providers, simulator  # noqa: F401
