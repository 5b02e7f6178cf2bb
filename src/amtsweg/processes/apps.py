from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProcessesConfig(AppConfig):
    name = "amtsweg.processes"
    label = "processes"
    verbose_name = _("Prozesse")

    def ready(self) -> None:
        from . import actions, handlers  # noqa: F401  (registers the platform actions and outbox handlers)
