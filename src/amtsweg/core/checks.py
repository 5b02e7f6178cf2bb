"""System checks that `amtsweg check --deploy` runs before a production start."""

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def secret_key_is_set(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.SECRET_KEY.startswith("insecure-"):
        return [
            Error(
                "AMTSWEG_SECRET_KEY is the development default.",
                id="amtsweg.E001",
                hint="Set AMTSWEG_SECRET_KEY (or AMTSWEG_SECRET_KEY_FILE) to a long random value.",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def demo_mode_is_off(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    if settings.DEMO_MODE:
        return [
            Error(
                "AMTSWEG_DEMO_MODE is on.",
                id="amtsweg.E002",
                hint="Demo mode shows demo logins and must never run in production.",
            )
        ]
    return []
