from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppointmentsConfig(AppConfig):
    name = "amtsweg.appointments"
    label = "appointments"
    verbose_name = _("Termine")

    def ready(self) -> None:
        # Importing registers the process action and the outbox handlers.
        from . import actions, handlers, signals  # noqa: F401
