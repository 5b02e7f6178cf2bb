"""The local login method: e-mail address and password (Argon2id), level ``normal``.

The form itself is on the citizen login page (``identity.views.CitizenLoginView``); accounts log in
only once their e-mail address is confirmed (``identity.services.account_confirm``).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import methods
from .levels import TrustLevel

KEY = "local"


def _start(next_url: str, needed: TrustLevel) -> str:
    return reverse("portal:login") + ("?" + urlencode({"next": next_url}) if next_url else "")


def _methods() -> list[methods.LoginMethod]:
    return [
        methods.LoginMethod(
            key=KEY,
            label=_("E-Mail-Adresse und Passwort"),
            level=TrustLevel.NORMAL,
            start=_start,
            description=_("Ihr Bürgerkonto bei Amtsweg; reicht für Leistungen mit dem Niveau „normal“."),
        )
    ]


def register_methods() -> None:
    methods.register(KEY, _methods)
