"""Template filters for trust levels and login methods (staff pages show how an applicant logged in)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext_lazy

from amtsweg.identity.levels import describe
from amtsweg.identity.methods import login_method

register = template.Library()


@register.filter
def trust_level(value: str) -> str:
    """``substantiell`` → ``substantiell (eIDAS substanziell), STORK-QAA-Level-3``."""
    return describe(value or "")


@register.filter
def login_method_label(key: str) -> str:
    """The label of a login method key; the key itself if the method is no longer offered."""
    if key in RECORDED_ONLY:
        return str(RECORDED_ONLY[key])
    method = login_method(key) if key else None
    return str(method.label) if method else key


# Ways of proving identity recorded on submissions that are not logins a citizen can choose.
RECORDED_ONLY = {"counter-id-check": gettext_lazy("Ausweis am Schalter geprüft")}
