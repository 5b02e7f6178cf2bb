from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BaulastenConfig(AppConfig):
    name = "amtsweg.baulasten"
    label = "baulasten"
    verbose_name = _("Baulastenverzeichnis")

    def ready(self) -> None:
        # Importing registers the outbox handlers (OCR), the process actions and the submission check.
        from . import handlers  # noqa: F401
