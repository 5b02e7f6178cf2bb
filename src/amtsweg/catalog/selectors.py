"""Reads of the catalogue: search, service lookup, browsing by Themenfeld and Lebenslage."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from amtsweg.core.problems import Problem

from .models import Service
from .search import rank, search_index

MAX_PAGE_SIZE = 100


@dataclass(frozen=True)
class SearchPage:
    """One page of search results, best first."""

    query: str
    total: int
    services: list[Service]


def _invalid_query(detail_de: str, detail_en: str) -> Problem:
    return Problem(detail_de, detail_en, code="invalid-query")


def validate_search_query(query: str) -> str:
    """The query without surrounding whitespace; raises :class:`Problem` for an overlong or binary query."""
    maximum: int = settings.SEARCH_MAX_QUERY_LENGTH
    with translation.override("de"):
        if len(query) > maximum:
            raise _invalid_query(
                _("Der Suchbegriff ist zu lang (höchstens %(max)d Zeichen).") % {"max": maximum},
                f"The search query is too long (at most {maximum} characters).",
            )
        if any(unicodedata.category(char) in {"Cc", "Cs"} for char in query):
            raise _invalid_query(
                _("Der Suchbegriff enthält unzulässige Steuerzeichen."),
                "The search query contains control characters.",
            )
    return query.strip()


def service_search(*, query: str, limit: int = 20, offset: int = 0) -> SearchPage:
    """Full-text search over the catalogue (stemming, umlaut folding, compounds, synonyms).

    An empty query gives an empty page. Raises :class:`amtsweg.core.problems.Problem` (code
    ``invalid-query``) for an overlong query or one with control characters.
    """
    stripped = validate_search_query(query)
    if not 1 <= limit <= MAX_PAGE_SIZE or offset < 0:
        with translation.override("de"):
            raise Problem(
                _("Ungültiger Seitenbereich der Suche."),
                "Invalid result page of the search.",
                code="invalid-paging",
            )
    if not stripped:
        return SearchPage(query=stripped, total=0, services=[])
    # The raw query keeps a trailing space: without one, the last word is still being typed.
    ranked = rank(search_index(), query.lstrip())
    page_ids = ranked[offset : offset + limit]
    found = Service.objects.select_related("ozg_service").in_bulk(page_ids)
    return SearchPage(
        query=stripped, total=len(ranked), services=[found[pk] for pk in page_ids if pk in found]
    )
