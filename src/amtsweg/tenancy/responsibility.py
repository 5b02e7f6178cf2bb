"""Responsibility (Zuständigkeit): service + the citizen's address → the responsible authority.

API and UI call the same function, :func:`responsibility_resolve`. The rules, in order:

1. The area (the citizen's town) comes from the AGS, or from the postcode (and, where the postcode
   covers several towns, the street). Only active towns, municipalities and kreisfreie Städte are areas.
2. A :class:`~amtsweg.catalog.models.ResponsibilityOverride` for (service, area) decides if there is one.
3. Otherwise Kreis-level services go to the area's Kreis (a kreisfreie Stadt is its own Kreis),
   town-level services to the area itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amtsweg.catalog.models import ResponsibilityOverride, Service, ServiceOffering
from amtsweg.core.problems import Problem
from amtsweg.core.text import GERMAN_TRANSLITERATION

from .models import Authority, PostcodeArea


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


class AddressInvalid(Problem):
    """The address is missing or malformed (not 5 postcode digits, not 8 AGS digits, a Kreis AGS)."""

    status_code = 400
    code = "address-invalid"


class OutsideAlliance(Problem):
    """No active town of this installation has the postcode or AGS."""

    status_code = 404
    code = "outside-alliance"


class NoResponsibleAuthority(Problem):
    """A Kreis-level service for a town whose Kreis is not (or no longer actively) on the platform."""

    status_code = 404
    code = "no-responsible-authority"


_POSTCODE = re.compile(r"[0-9]{5}")
_AGS = re.compile(r"[0-9]{8}")
_HOUSE_NUMBER = re.compile(r"\s+[0-9]+\s*[a-z]?(\s*[-/]\s*[0-9]+\s*[a-z]?)?$")
_STREET_WORD = re.compile(r"(strasse|str\.?)$")


def street_key(street: str) -> str:
    """A street name reduced for comparison: ``Kölner Str. 12a`` and ``koelner  strasse`` give the same key.

    Case, umlauts/ß, spacing and hyphens, a trailing house number and the spellings of "Straße"
    ("Str.", "Strasse", "-straße") do not matter.
    """
    key = " ".join(street.casefold().split())
    key = _HOUSE_NUMBER.sub("", key).translate(GERMAN_TRANSLITERATION)
    key = key.replace("-", "").replace(" ", "")
    return _STREET_WORD.sub("strasse", key)


def _clean(value: str | None) -> str:
    return (value or "").strip()


def _area_from_ags(ags: str) -> Authority:
    if not _AGS.fullmatch(ags):
        raise AddressInvalid(
            "Der Gemeindeschlüssel (AGS) besteht aus genau 8 Ziffern.",
            "The municipality key (AGS) consists of exactly 8 digits.",
            extra={"field": "ags"},
        )
    area = Authority.objects.select_related("parent").filter(ags=ags, is_active=True).first()
    if area is None:
        raise OutsideAlliance(
            "Für diesen Gemeindeschlüssel ist keine Behörde dieser Plattform zuständig.",
            "No authority on this platform serves this municipality key.",
            extra={"ags": ags},
        )
    return area


def _area_from_postcode(postcode: str, street: str) -> Authority:
    if not _POSTCODE.fullmatch(postcode):
        raise AddressInvalid(
            "Die Postleitzahl besteht aus genau 5 Ziffern.",
            "The postcode consists of exactly 5 digits.",
            extra={"field": "postcode"},
        )
    rows = list(
        PostcodeArea.objects.filter(postcode=postcode, authority__is_active=True)
        .select_related("authority", "authority__parent")
        .order_by("authority__name", "pk")
    )
    if not rows:
        raise OutsideAlliance(
            "Diese Postleitzahl gehört zu keiner Stadt oder Gemeinde dieses Verbunds.",
            "This postcode belongs to no town of this alliance.",
            extra={"postcode": postcode},
        )
    towns = {row.authority_id: row.authority for row in rows}
    if len(towns) == 1:
        return rows[0].authority
    # Several towns share the postcode: a matching street decides; a town's row without street
    # covers the rest of the postcode, but only if exactly one town has such a row.
    wanted = street_key(street)
    matching = {
        row.authority_id for row in rows if wanted and row.street and street_key(row.street) == wanted
    }
    if not matching:
        matching = {row.authority_id for row in rows if not row.street} if wanted else set()
    if len(matching) == 1:
        return towns[matching.pop()]
    candidates = [towns[pk] for pk in (matching or towns)]
    raise AddressAmbiguous(
        "Die Postleitzahl gehört zu mehreren Städten oder Gemeinden. "
        "Bitte die Straße angeben oder den Ort wählen.",
        "The postcode belongs to several towns. Please give the street or choose the town.",
        extra={
            "candidates": [
                {"ags": town.ags, "name": town.name}
                for town in sorted(candidates, key=lambda town: (town.name, town.ags))
            ]
        },
    )


def responsibility_resolve(
    *, service: Service, ags: str | None = None, postcode: str | None = None, street: str | None = None
) -> Responsibility:
    """Route ``service`` for an address given as AGS, or as postcode (+ street where needed).

    Raises :class:`Problem` for an unknown AGS, a postcode outside the alliance or malformed input,
    and :class:`AddressAmbiguous` (with the candidate towns) when a postcode covers several towns.
    Three queries: the area (with its Kreis), the override, the offering.
    """
    ags, postcode = _clean(ags), _clean(postcode)
    if ags and postcode:
        raise AddressInvalid(
            "Bitte entweder den Gemeindeschlüssel oder die Postleitzahl angeben, nicht beides.",
            "Please give either the municipality key or the postcode, not both.",
        )
    if ags:
        area = _area_from_ags(ags)
    elif postcode:
        area = _area_from_postcode(postcode, _clean(street))
    else:
        raise AddressInvalid(
            "Bitte die Postleitzahl (und Straße) oder den Gemeindeschlüssel angeben.",
            "Please give the postcode (and street) or the municipality key.",
        )
    if area.kind == Authority.Kind.KREIS:
        raise AddressInvalid(
            f"{area.name} ist ein Kreis, keine Wohnadresse. Bitte die Stadt oder Gemeinde angeben.",
            f"{area.name} is a Kreis, not a place of residence. Please give the town.",
            extra={"field": "ags"},
        )

    override = (
        ResponsibilityOverride.objects.filter(service=service, area=area, responsible__is_active=True)
        .select_related("responsible")
        .first()
    )
    if override is not None:
        authority, rule = override.responsible, "override"
    elif service.responsible_level == Service.Level.KREIS:
        rule = "kreis"
        if area.is_kreis_level:
            authority = area
        elif area.parent is not None and area.parent.is_active:
            authority = area.parent
        else:
            raise NoResponsibleAuthority(
                f"Für {area.name} ist kein Kreis auf dieser Plattform zuständig.",
                f"No Kreis on this platform serves {area.name}.",
                extra={"area": {"ags": area.ags, "name": area.name}},
            )
    else:
        authority, rule = area, "town"

    # With its office and authority: every caller (portal, API) shows them.
    offering = (
        ServiceOffering.objects.select_related("office__authority", "authority")
        .filter(service=service, authority=authority, enabled=True)
        .first()
    )
    if offering is not None:
        offering.service, offering.authority = service, authority  # spare the caller two queries
    return Responsibility(service=service, area=area, authority=authority, offering=offering, rule=rule)
