"""German text helpers shared by the importers and the address handling."""

from __future__ import annotations

from django.utils.text import slugify

# German transliteration used for slugs and matching: "Jüchen" → "Juechen", "Straße" → "Strasse".
GERMAN_TRANSLITERATION = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS"}
)


def german_slugify(value: str, *, max_length: int = 100) -> str:
    """A URL slug with German transliteration: ``Müll & Straße`` → ``muell-strasse`` (may be empty)."""
    return slugify(value.translate(GERMAN_TRANSLITERATION))[:max_length].strip("-")
