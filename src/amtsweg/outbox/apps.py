from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutboxConfig(AppConfig):
    name = "amtsweg.outbox"
    label = "outbox"
    verbose_name = _("Zustellung")

    def ready(self) -> None:
        # Registers this module's handlers; the registry is frozen by the last app once all have registered.
        from . import handlers  # noqa: F401
