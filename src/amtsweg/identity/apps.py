from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IdentityConfig(AppConfig):
    name = "amtsweg.identity"
    verbose_name = _("Identität und Konten")

    def ready(self) -> None:
        # The login plug-ins register their methods (identity.methods); each reads its own settings.
        from . import accounts, local, oidc, saml, simulator, staff  # noqa: F401  (handlers, signal receivers)

        for plugin in (local, oidc, saml, simulator):
            plugin.register_methods()
