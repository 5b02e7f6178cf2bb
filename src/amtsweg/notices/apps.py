from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NoticesConfig(AppConfig):
    name = "amtsweg.notices"
    label = "notices"
    verbose_name = _("Bescheide")

    def ready(self) -> None:
        # Registers the outbox handlers notice.render and receipt.render.
        from . import handlers  # noqa: F401
