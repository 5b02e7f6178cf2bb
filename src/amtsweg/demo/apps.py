from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    name = "amtsweg.demo"
    verbose_name = _("Demodaten")

    def ready(self) -> None:
        # The last app of INSTALLED_APPS: every module has registered its outbox handlers by now.
        from amtsweg.outbox import registry

        registry.freeze()
