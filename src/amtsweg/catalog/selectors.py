"""Reads of the catalogue: search, service lookup, browsing by Themenfeld and Lebenslage."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Service


@dataclass(frozen=True)
class SearchPage:
    """One page of search results, best first."""

    query: str
    total: int
    services: list[Service]


def service_search(*, query: str, limit: int = 20, offset: int = 0) -> SearchPage:
    """Full-text search over the catalogue (stemming, umlaut folding, compounds, synonyms).

    Raises :class:`amtsweg.core.problems.Problem` for an empty, overlong or binary query.
    """
    raise NotImplementedError
