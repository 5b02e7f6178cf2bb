"""Responsibility (Zuständigkeit): service + the citizen's address → the responsible authority.

API and UI call the same function, :func:`responsibility_resolve`.
"""

from __future__ import annotations

from dataclasses import dataclass

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.core.problems import Problem

from .models import Authority


@dataclass(frozen=True)
class Responsibility:
    """The result of routing: who handles ``service`` for a citizen living in ``area``."""

    service: Service
    area: Authority  # the town (or kreisfreie Stadt) of the citizen's address
    authority: Authority  # the responsible authority
    offering: ServiceOffering | None  # how that authority offers it; None when it does not offer it
    rule: str  # "town", "kreis" or "override": which rule decided


class AddressAmbiguous(Problem):
    """The postcode belongs to several towns and no street decides; ``extra['candidates']`` lists them."""

    status_code = 409
    code = "address-ambiguous"


def responsibility_resolve(
    *, service: Service, ags: str | None = None, postcode: str | None = None, street: str | None = None
) -> Responsibility:
    """Route ``service`` for an address given as AGS, or as postcode (+ street where needed).

    Raises :class:`Problem` for an unknown AGS, a postcode outside the alliance or malformed input,
    and :class:`AddressAmbiguous` (with the candidate towns) when a postcode covers several towns.
    """
    raise NotImplementedError
