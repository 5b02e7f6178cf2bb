from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VehiclesConfig(AppConfig):
    name = "amtsweg.vehicles"
    label = "vehicles"
    verbose_name = _("Fahrzeugzulassung")

    def ready(self) -> None:
        # Importing registers the process actions and the outbox handlers.
        from . import actions, handlers  # noqa: F401
