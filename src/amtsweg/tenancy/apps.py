from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "amtsweg.tenancy"
    verbose_name = _("Behörden und Zuständigkeit")
