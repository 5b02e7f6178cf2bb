"""The languages the instruction (Belehrung) can be given in.

``code`` is the content language of material and quiz (BCP 47; Leichte Sprache is the private-use
``de-x-ls``); ``locale`` the Django locale the flow's own texts (buttons, headings) are shown in;
``rtl`` whether the page is laid out right to left. A language becomes selectable for citizens once
the health office has published material in it and every active quiz question has a text in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Language:
    code: str
    native: str  # the language's own name, shown on the choice page
    name: Promise  # the name in the UI language (staff pages, statistics)
    locale: str
    rtl: bool = False


LANGUAGES: tuple[Language, ...] = (
    Language("de", "Deutsch", _("Deutsch"), "de"),
    Language("de-x-ls", "Leichte Sprache", _("Leichte Sprache"), "de"),
    Language("en", "English", _("Englisch"), "en"),
    Language("tr", "Türkçe", _("Türkisch"), "tr"),
    Language("ar", "العربية", _("Arabisch"), "ar", rtl=True),
    Language("uk", "Українська", _("Ukrainisch"), "uk"),
)
BY_CODE = {language.code: language for language in LANGUAGES}
CHOICES = [(language.code, language.name) for language in LANGUAGES]


def get(code: str) -> Language:
    """The language ``code``; ``KeyError`` for one the platform does not know."""
    return BY_CODE[code]
