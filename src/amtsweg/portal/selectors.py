"""Reads for the citizen portal: public data only (active authorities, the catalogue, enabled offerings)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from amtsweg.catalog.models import Lebenslage, OzgService, Service, ServiceOffering, Themenfeld
from amtsweg.tenancy.models import Alliance, Authority, Office, OpeningHours

LEIKA_KEY_RE = re.compile(r"^[0-9]{14}$")
COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")
AGS_RE = re.compile(r"^[0-9]{8}$")

# Colours used when an authority's own colour is missing or malformed (the model's defaults).
DEFAULT_PRIMARY = "#004b87"
DEFAULT_ACCENT = "#e2001a"


def _active_authorities() -> QuerySet[Authority]:
    return Authority.objects.filter(is_active=True)


@dataclass(frozen=True)
class AllianceOverview:
    """An alliance as the home page shows it: its Kreis (or Kreise) first, then the towns."""

    alliance: Alliance | None
    kreise: list[Authority]
    towns: list[Authority]


def alliance_overview_list() -> list[AllianceOverview]:
    """Every alliance with its active authorities; authorities outside any alliance come last."""
    authorities = list(_active_authorities().select_related("alliance").order_by("name"))
    groups: dict[int | None, list[Authority]] = {}
    for authority in authorities:
        groups.setdefault(authority.alliance_id, []).append(authority)
    overviews: list[AllianceOverview] = []
    ordered_keys = sorted(groups, key=lambda key: (key is None, _alliance_name(groups[key])))
    for key in ordered_keys:
        members = groups[key]
        kreise = [a for a in members if a.kind == Authority.Kind.KREIS]
        towns = [a for a in members if a.kind != Authority.Kind.KREIS]
        overviews.append(AllianceOverview(alliance=members[0].alliance, kreise=kreise, towns=towns))
    return overviews


def _alliance_name(members: list[Authority]) -> str:
    alliance = members[0].alliance
    return alliance.name if alliance is not None else ""


def themenfeld_list() -> QuerySet[Themenfeld]:
    """Themenfelder with how many LeiKa services (``service_count``) the catalogue lists in each."""
    return Themenfeld.objects.annotate(
        service_count=Count("ozg_services__services", distinct=True),
        ozg_service_count=Count("ozg_services", distinct=True),
    ).order_by("name")


def authority_get(*, slug: str) -> Authority:
    """An active authority with its parent; 404 for unknown or inactive ones."""
    try:
        return _active_authorities().select_related("parent", "alliance").get(slug=slug)
    except Authority.DoesNotExist:
        raise Http404("authority") from None


@dataclass(frozen=True)
class AuthorityPage:
    authority: Authority
    parent: Authority | None
    children: list[Authority]
    offices: list[Office]
    offerings: list[ServiceOffering]


def authority_page(*, slug: str) -> AuthorityPage:
    authority = authority_get(slug=slug)
    parent = authority.parent if authority.parent is not None and authority.parent.is_active else None
    children = list(authority.children.filter(is_active=True).order_by("name"))
    offices = list(authority.offices.order_by("name"))
    offerings = list(
        ServiceOffering.objects.filter(authority=authority, enabled=True)
        .select_related("service", "office")
        .order_by("service__name")
    )
    return AuthorityPage(
        authority=authority, parent=parent, children=children, offices=offices, offerings=offerings
    )


@dataclass(frozen=True)
class WeekdayHours:
    """The opening periods of one weekday (``periods`` empty: closed)."""

    weekday: int
    label: str
    periods: list[OpeningHours] = field(default_factory=list)


@dataclass(frozen=True)
class OfficePage:
    office: Office
    authority: Authority
    hours: list[WeekdayHours]
    has_hours: bool
    offerings: list[ServiceOffering]


def office_page(*, authority_slug: str, office_slug: str) -> OfficePage:
    authority = authority_get(slug=authority_slug)
    try:
        office = (
            Office.objects.select_related("appointment_settings")
            .prefetch_related("opening_hours")
            .get(authority=authority, slug=office_slug)
        )
    except Office.DoesNotExist:
        raise Http404("office") from None
    by_day: dict[int, list[OpeningHours]] = {}
    for period in office.opening_hours.all():
        by_day.setdefault(period.weekday, []).append(period)
    hours = [
        WeekdayHours(
            weekday=int(value),
            label=str(label),
            periods=sorted(by_day.get(int(value), []), key=lambda p: p.opens),
        )
        for value, label in OpeningHours.Weekday.choices
    ]
    offerings = list(
        ServiceOffering.objects.filter(office=office, enabled=True)
        .select_related("service")
        .order_by("service__name")
    )
    return OfficePage(
        office=office, authority=authority, hours=hours, has_hours=bool(by_day), offerings=offerings
    )


def _services_prefetch() -> Prefetch[Any]:
    return Prefetch("services", queryset=Service.objects.order_by("name"))


@dataclass(frozen=True)
class ThemenfeldPage:
    themenfeld: Themenfeld
    lebenslagen: Sequence[Lebenslage]
    ozg_services: list[OzgService]


def themenfeld_page(*, slug: str) -> ThemenfeldPage:
    try:
        themenfeld = Themenfeld.objects.get(slug=slug)
    except Themenfeld.DoesNotExist:
        raise Http404("themenfeld") from None
    lebenslagen = list(
        themenfeld.lebenslagen.annotate(ozg_service_count=Count("ozg_services")).order_by("name")
    )
    ozg_services = list(themenfeld.ozg_services.prefetch_related(_services_prefetch()).order_by("name"))
    return ThemenfeldPage(themenfeld=themenfeld, lebenslagen=lebenslagen, ozg_services=ozg_services)


@dataclass(frozen=True)
class LebenslagePage:
    lebenslage: Lebenslage
    ozg_services: list[OzgService]


def lebenslage_page(*, slug: str) -> LebenslagePage:
    try:
        lebenslage = Lebenslage.objects.select_related("themenfeld").get(slug=slug)
    except Lebenslage.DoesNotExist:
        raise Http404("lebenslage") from None
    ozg_services = list(lebenslage.ozg_services.prefetch_related(_services_prefetch()).order_by("name"))
    return LebenslagePage(lebenslage=lebenslage, ozg_services=ozg_services)


def service_get(*, leika_key: str) -> Service:
    """A catalogue service by LeiKa key; 404 for malformed or unknown keys (no database hit for malformed)."""
    if not LEIKA_KEY_RE.fullmatch(leika_key):
        raise Http404("leika key")
    try:
        return Service.objects.select_related("ozg_service__themenfeld", "ozg_service__lebenslage").get(
            leika_key=leika_key
        )
    except Service.DoesNotExist:
        raise Http404("service") from None


def residence_area_list() -> list[Authority]:
    """Authorities a citizen can live in (towns, municipalities, kreisfreie Städte), for the town chooser."""
    return list(
        _active_authorities().exclude(kind=Authority.Kind.KREIS).select_related("alliance").order_by("name")
    )


def authorities_by_ags(ags_list: Iterable[str]) -> dict[str, Authority]:
    wanted = [ags for ags in ags_list if AGS_RE.fullmatch(ags)]
    return {a.ags: a for a in _active_authorities().filter(ags__in=wanted)}


def candidate_towns(candidates: Any) -> list[Authority]:
    """The towns listed by an ``AddressAmbiguous`` problem, whatever shape its candidates have.

    Candidates may be authorities, mappings with an ``ags`` (API-friendly) or plain AGS strings.
    """
    if not isinstance(candidates, Iterable) or isinstance(candidates, str | bytes):
        return []
    found: list[Authority] = []
    wanted: list[str] = []
    for candidate in candidates:
        if isinstance(candidate, Authority):
            found.append(candidate)
        elif isinstance(candidate, Mapping):
            wanted.append(str(candidate.get("ags", "")))
        elif isinstance(candidate, str):
            wanted.append(candidate)
    by_ags = authorities_by_ags(wanted)
    found.extend(by_ags[ags] for ags in wanted if ags in by_ags)
    unique = {a.pk: a for a in found}
    return sorted(unique.values(), key=lambda a: a.name)


# --- theme stylesheet -------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of ``#rrggbb``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def text_colour_on(background: str) -> str:
    """Black or white, whichever reads better on ``background``."""
    on_white = contrast_ratio(background, "#ffffff")
    return "#ffffff" if on_white >= contrast_ratio(background, "#000000") else "#000000"


@dataclass(frozen=True)
class AuthorityTheme:
    primary: str
    on_primary: str
    accent: str
    on_accent: str

    @property
    def etag(self) -> str:
        return f"{self.primary}{self.accent}".replace("#", "").lower()


def authority_theme(*, slug: str) -> AuthorityTheme:
    """The colours an authority's pages use, with a text colour that keeps WCAG AA contrast on each."""
    authority = authority_get(slug=slug)
    primary = authority.primary_colour if COLOUR_RE.fullmatch(authority.primary_colour) else DEFAULT_PRIMARY
    accent = authority.accent_colour if COLOUR_RE.fullmatch(authority.accent_colour) else DEFAULT_ACCENT
    return AuthorityTheme(
        primary=primary.lower(),
        on_primary=text_colour_on(primary),
        accent=accent.lower(),
        on_accent=text_colour_on(accent),
    )
