from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "amtsweg.care"
    label = "care"
    verbose_name = _("Pflegefinder")

    def ready(self) -> None:
        # Importing registers the outbox handlers (alert matching and e-mails, reminders).
        from . import handlers  # noqa: F401
