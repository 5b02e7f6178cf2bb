"""Reads of the care finder: the radius search with its filters, vacancy status (traffic light) and
freshness, and a facility's public detail.

The search narrows candidates in the database by the circle's bounding box (index on latitude,
longitude), the care type and the specialisations (bit mask), then computes the exact great-circle
distance in Python; one query, whatever the number of hits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db.models import F, QuerySet
from django.http import Http404
from django.utils import timezone

from . import geo
from .models import CareFinder, CareOffer, Facility, FacilityPhoto, specialisation_mask

DEFAULT_RADIUS_KM = 5.0
MAX_RADIUS_KM = 100.0
MAX_PAGE_SIZE = 200


class Status(StrEnum):
    """The traffic light of a vacancy: several free (green), one (yellow), none (red), never reported."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    UNKNOWN = "unknown"


def traffic_light(places: int | None) -> Status:
    if places is None:
        return Status.UNKNOWN
    if places >= 2:
        return Status.GREEN
    if places == 1:
        return Status.YELLOW
    return Status.RED


def places_on(
    free_now: int | None, expected: Sequence[dict[str, Any]], day: date | None, *, today: date
) -> int | None:
    """The free places expected on ``day``: the latest expected entry on or before it, else ``free_now``.

    ``expected`` is ascending by date (``VacancyReport.expected``). Without a day, or for today or the
    past, the places free now.
    """
    if free_now is None or day is None or day <= today:
        return free_now
    places = free_now
    for entry in expected:
        if date.fromisoformat(entry["date"]) <= day:
            places = int(entry["places"])
        else:
            break
    return places


class SortOrder(StrEnum):
    DISTANCE = "distance"
    FRESHNESS = "freshness"


@dataclass(frozen=True)
class SearchQuery:
    """A search around a point (already geocoded). ``needed_on`` counts expected places on that day."""

    latitude: float
    longitude: float
    radius_km: float = DEFAULT_RADIUS_KM
    care_type: str | None = None
    needed_on: date | None = None
    specialisations: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    only_available: bool = False
    sort: SortOrder = SortOrder.DISTANCE
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True)
class OfferState:
    """One care offer as a search result shows it."""

    care_type: str
    capacity: int
    free_now: int | None
    places: int | None  # on the day needed (= free_now without a day)
    reported_at: datetime | None
    expected: list[dict[str, Any]]
    stale: bool
    status: Status


@dataclass(frozen=True)
class SearchHit:
    facility_id: int
    name: str
    street: str
    postcode: str
    town: str
    latitude: float
    longitude: float
    distance_km: float
    specialisation_bits: int
    languages: list[str]
    offers: tuple[OfferState, ...]
    status: Status  # the best status of the offers that match the query
    last_reported_at: datetime | None  # the oldest report among them (what the traffic light rests on)
    stale: bool  # any matching offer's report is stale or missing


@dataclass(frozen=True)
class SearchResult:
    hits: list[SearchHit]
    total: int
    query: SearchQuery
    now: datetime = field(compare=False)


def stale_after_by_authority() -> dict[int, timedelta]:
    """Each enabled finder's staleness limit by supervising authority id (a handful of rows)."""
    return {
        authority_id: timedelta(hours=hours)
        for authority_id, hours in CareFinder.objects.filter(enabled=True).values_list(
            "authority_id", "stale_after_hours"
        )
    }


def is_stale(reported_at: datetime | None, *, limit: timedelta, now: datetime) -> bool:
    return reported_at is None or now - reported_at > limit


_HIT_COLUMNS = (
    "facility_id",
    "care_type",
    "capacity",
    "free_now",
    "reported_at",
    "expected",
    "facility__name",
    "facility__street",
    "facility__postcode",
    "facility__town",
    "facility__latitude",
    "facility__longitude",
    "facility__specialisation_bits",
    "facility__languages",
    "facility__authority_id",
)


def facility_search(query: SearchQuery, *, now: datetime | None = None) -> SearchResult:
    """Active facilities of enabled finders within ``radius_km`` of the point that match the filters.

    Sorted by distance (then name) or by freshness (most recent report first, then distance). ``total``
    counts all matches; ``hits`` is the page ``offset``/``limit``.
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    radius = min(max(query.radius_km, 0.0), MAX_RADIUS_KM)
    stale_limits = stale_after_by_authority()
    if not stale_limits:
        return SearchResult(hits=[], total=0, query=query, now=now)
    box = geo.bounding_box(query.latitude, query.longitude, radius)
    offers: QuerySet[CareOffer] = CareOffer.objects.filter(
        facility__active=True,
        facility__authority_id__in=list(stale_limits),
        facility__latitude__gte=box.min_lat,
        facility__latitude__lte=box.max_lat,
        facility__longitude__gte=box.min_lon,
        facility__longitude__lte=box.max_lon,
    )
    if query.care_type:
        offers = offers.filter(care_type=query.care_type)
    mask = specialisation_mask(query.specialisations)
    if mask:
        offers = offers.alias(matching_bits=F("facility__specialisation_bits").bitand(mask)).filter(
            matching_bits=mask
        )
    wanted_languages = set(query.languages)
    offers = offers.order_by()  # grouping and sorting happen below; the model's ordering only costs a sort

    # Phase 1: the cheap columns of every candidate (no JSON unless a filter needs it) to find the
    # facilities within the circle; a big-city 25 km search has over a thousand of them.
    needs_expected = query.needed_on is not None and query.needed_on > today
    needs_states = query.only_available or query.sort == SortOrder.FRESHNESS
    columns = ["facility_id", "facility__latitude", "facility__longitude", "facility__name"]
    if wanted_languages:
        columns.append("facility__languages")
    if needs_states:
        columns += ["free_now", "reported_at"] + (["expected"] if needs_expected else [])
    distances: dict[int, float] = {}
    names: dict[int, str] = {}
    states_by_facility: dict[int, list[tuple[int | None, datetime | None]]] = {}
    for row in offers.values_list(*columns):
        facility_id = row[0]
        if facility_id not in distances:
            if wanted_languages and not wanted_languages <= set(row[4]):
                distances[facility_id] = -1.0
            else:
                distances[facility_id] = geo.haversine_km(query.latitude, query.longitude, row[1], row[2])
                names[facility_id] = row[3]
        if needs_states and 0.0 <= distances[facility_id] <= radius:
            free_now, reported_at = row[-3:-1] if needs_expected else row[-2:]
            places = places_on(free_now, row[-1] if needs_expected else [], query.needed_on, today=today)
            states_by_facility.setdefault(facility_id, []).append((places, reported_at))
    inside = [fid for fid, distance in distances.items() if 0.0 <= distance <= radius]
    if query.only_available:
        inside = [
            fid
            for fid in inside
            if max((p for p, _ in states_by_facility[fid] if p is not None), default=0) >= 1
        ]
    if query.sort == SortOrder.FRESHNESS:

        def freshness(fid: int) -> tuple[bool, float, float, str]:
            reported = [at for _, at in states_by_facility[fid]]
            oldest = None if any(at is None for at in reported) else min(reported)  # type: ignore[type-var]
            return (oldest is None, -oldest.timestamp() if oldest else 0.0, distances[fid], names[fid])

        inside.sort(key=freshness)
    else:
        inside.sort(key=lambda fid: (distances[fid], names[fid]))
    page_size = min(max(query.limit, 1), MAX_PAGE_SIZE)
    offset = max(query.offset, 0)
    page = inside[offset : offset + page_size]

    # Phase 2: everything a hit shows, for the page only.
    grouped: dict[int, list[tuple[Any, ...]]] = {fid: [] for fid in page}
    if page:
        for row in offers.filter(facility_id__in=page).values_list(*_HIT_COLUMNS):
            grouped[row[0]].append(row)
    hits: list[SearchHit] = []
    for facility_id in page:
        rows = grouped[facility_id]
        first = rows[0]
        limit = stale_limits[first[14]]
        states = []
        for row in sorted(rows, key=lambda r: r[1]):
            places = places_on(row[3], row[5], query.needed_on, today=today)
            stale = is_stale(row[4], limit=limit, now=now)
            states.append(
                OfferState(
                    care_type=row[1],
                    capacity=row[2],
                    free_now=row[3],
                    places=places,
                    reported_at=row[4],
                    expected=row[5],
                    stale=stale,
                    status=traffic_light(places),
                )
            )
        known = [s.places for s in states if s.places is not None]
        reported = [s.reported_at for s in states if s.reported_at is not None]
        hits.append(
            SearchHit(
                facility_id=facility_id,
                name=first[6],
                street=first[7],
                postcode=first[8],
                town=first[9],
                latitude=first[10],
                longitude=first[11],
                distance_km=distances[facility_id],
                specialisation_bits=first[12],
                languages=list(first[13]),
                offers=tuple(states),
                status=traffic_light(max(known) if known else None),
                last_reported_at=min(reported) if len(reported) == len(states) else None,
                stale=any(s.stale for s in states),
            )
        )
    return SearchResult(hits=hits, total=len(inside), query=query, now=now)


def facility_public(pk: int) -> Facility:
    """An active facility of an enabled finder with its offers and photos, else 404."""
    facility = (
        Facility.objects.filter(pk=pk, active=True, authority__care_finder__enabled=True)
        .select_related("authority__care_finder", "operator")
        .prefetch_related("offers", "photos")
        .first()
    )
    if facility is None:
        raise Http404
    return facility


def facility_photos_public(pk: int) -> QuerySet[FacilityPhoto]:
    """The photos of facility ``pk`` if it is public (active, finder enabled), else none."""
    return FacilityPhoto.objects.filter(
        facility_id=pk, facility__active=True, facility__authority__care_finder__enabled=True
    )


def offer_states(
    facility: Facility, *, needed_on: date | None = None, now: datetime | None = None
) -> list[OfferState]:
    """The current state of each of ``facility``'s offers (uses the prefetched ``offers``)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    limit = timedelta(hours=facility.authority.care_finder.stale_after_hours)
    states = []
    for offer in facility.offers.all():
        places = places_on(offer.free_now, offer.expected, needed_on, today=today)
        states.append(
            OfferState(
                care_type=offer.care_type,
                capacity=offer.capacity,
                free_now=offer.free_now,
                places=places,
                reported_at=offer.reported_at,
                expected=offer.expected,
                stale=is_stale(offer.reported_at, limit=limit, now=now),
                status=traffic_light(places),
            )
        )
    return states
