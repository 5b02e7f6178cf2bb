from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IfsgConfig(AppConfig):
    name = "amtsweg.ifsg"
    label = "ifsg"
    verbose_name = _("Infektionsschutzbelehrung")

    def ready(self) -> None:
        # Importing registers the process action, the submission check, the draft continuation and
        # the certificate's PDF context.
        from . import actions, certificates, checks  # noqa: F401
