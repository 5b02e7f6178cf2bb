"""The radius search against a brute force: random facilities in and around Germany, random queries.

``facility_search`` narrows in the database (bounding box, care type, specialisation bits) and computes
distances in Python; the brute force computes the haversine distance to every facility and applies
every filter by hand. Both must agree on the set of hits, their order and their status. Plus the edge
cases of ``traffic_light``, ``places_on`` and ``is_stale``.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsweg.testing import World

from .. import geo
from ..models import CareFinder, CareOffer, CareType, Facility, Specialisation, specialisation_mask
from ..selectors import (
    SearchQuery,
    SortOrder,
    Status,
    facility_search,
    is_stale,
    places_on,
    traffic_light,
)
from .factories import make_operator

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)
CARE_TYPES = list(CareType.values)
SPECIALISATIONS = list(Specialisation.values)
LANGUAGES = ["de", "tr", "ar", "pl"]

# Germany with a margin around it (the search must not care about borders).
latitudes = st.floats(min_value=46.5, max_value=55.5, allow_nan=False)
longitudes = st.floats(min_value=5.0, max_value=16.0, allow_nan=False)

offer_strategy = st.fixed_dictionaries(
    {
        "capacity": st.integers(min_value=1, max_value=5),
        "free": st.one_of(st.none(), st.integers(min_value=0, max_value=5)),
        "age_hours": st.integers(min_value=0, max_value=120),
        "expected": st.lists(
            st.tuples(st.integers(min_value=1, max_value=30), st.integers(min_value=0, max_value=5)),
            max_size=3,
            unique_by=lambda t: t[0],
        ),
    }
)
facility_strategy = st.fixed_dictionaries(
    {
        "near": st.booleans(),  # near the query point, so that most examples have hits
        "dlat": st.floats(min_value=-0.6, max_value=0.6),
        "dlon": st.floats(min_value=-0.9, max_value=0.9),
        "lat": latitudes,
        "lon": longitudes,
        "active": st.sampled_from([True, True, True, False]),
        "offers": st.dictionaries(st.sampled_from(CARE_TYPES), offer_strategy, min_size=1, max_size=3),
        "specialisations": st.sets(st.sampled_from(SPECIALISATIONS), max_size=4),
        "languages": st.sets(st.sampled_from(LANGUAGES), max_size=2),
        "name": st.sampled_from(["Haus A", "Haus B", "Stift", "Zentrum"]),
    }
)
query_strategy = st.fixed_dictionaries(
    {
        "lat": latitudes,
        "lon": longitudes,
        "radius_km": st.floats(min_value=0.5, max_value=100.0),
        "care_type": st.one_of(st.none(), st.sampled_from(CARE_TYPES)),
        "specialisations": st.sets(st.sampled_from(SPECIALISATIONS), max_size=2),
        "languages": st.sets(st.sampled_from(LANGUAGES), max_size=1),
        "needed_in_days": st.one_of(st.none(), st.integers(min_value=0, max_value=40)),
        "only_available": st.booleans(),
        "sort": st.sampled_from(list(SortOrder)),
    }
)


def _expected_entries(pairs: list[tuple[int, int]], capacity: int) -> list[dict[str, Any]]:
    return [
        {"date": (TODAY + timedelta(days=d)).isoformat(), "places": min(p, capacity)}
        for d, p in sorted(pairs)
    ]


def _create(finder: CareFinder, operator: Any, q: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    for spec in specs:
        lat = max(-90.0, min(90.0, q["lat"] + spec["dlat"])) if spec["near"] else spec["lat"]
        lon = q["lon"] + spec["dlon"] if spec["near"] else spec["lon"]
        facility = Facility.objects.create(
            authority=finder.authority,
            operator=operator,
            name=spec["name"],
            street="Teststraße 1",
            postcode="41460",
            town="Neuss",
            latitude=lat,
            longitude=lon,
            specialisation_bits=specialisation_mask(tuple(spec["specialisations"])),
            languages=sorted(spec["languages"]),
            active=spec["active"],
        )
        CareOffer.objects.bulk_create(
            CareOffer(
                facility=facility,
                care_type=care_type,
                capacity=o["capacity"],
                free_now=None if o["free"] is None else min(o["free"], o["capacity"]),
                reported_at=None if o["free"] is None else NOW - timedelta(hours=o["age_hours"]),
                expected=[] if o["free"] is None else _expected_entries(o["expected"], o["capacity"]),
            )
            for care_type, o in spec["offers"].items()
        )


def _distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance written independently of ``geo`` (atan2 form of the haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * geo.EARTH_RADIUS_KM * math.atan2(math.sqrt(h), math.sqrt(max(0.0, 1 - h)))


EDGE_KM = 1e-6  # facilities this close to the circle's edge may fall either way (rounding)


def _brute_force(
    query: SearchQuery, stale_after: timedelta
) -> tuple[dict[int, tuple[float, Status, bool]], set[int]]:
    """facility id → (distance, status, stale) of every facility that matches, computed by hand over all
    facilities; and the ids on the circle's edge."""
    wanted = specialisation_mask(query.specialisations)
    hits = {}
    edge = set()
    for facility in Facility.objects.prefetch_related("offers"):
        if not facility.active:
            continue
        distance = _distance_km(query.latitude, query.longitude, facility.latitude, facility.longitude)
        if abs(distance - query.radius_km) < EDGE_KM:
            edge.add(facility.pk)
        if distance > query.radius_km:
            continue
        if facility.specialisation_bits & wanted != wanted:
            continue
        if not set(query.languages) <= set(facility.languages):
            continue
        offers = [o for o in facility.offers.all() if query.care_type in (None, o.care_type)]
        if not offers:
            continue
        places = [places_on(o.free_now, o.expected, query.needed_on, today=TODAY) for o in offers]
        known = [p for p in places if p is not None]
        status = traffic_light(max(known) if known else None)
        if query.only_available and status not in (Status.GREEN, Status.YELLOW):
            continue
        stale = any(is_stale(o.reported_at, limit=stale_after, now=NOW) for o in offers)
        hits[facility.pk] = (distance, status, stale)
    return hits, edge


@pytest.mark.django_db
@settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=query_strategy, specs=st.lists(facility_strategy, min_size=0, max_size=12))
def test_search_matches_brute_force(world: World, q: dict[str, Any], specs: list[dict[str, Any]]) -> None:
    with transaction.atomic():
        finder = CareFinder.objects.create(authority=world.kreis, stale_after_hours=48)
        operator, _ = make_operator("Prop Pflege gGmbH", "HRB 1", f"prop{id(specs)}@example.org")
        _create(finder, operator, q, specs)
        query = SearchQuery(
            latitude=q["lat"],
            longitude=q["lon"],
            radius_km=q["radius_km"],
            care_type=q["care_type"],
            needed_on=None if q["needed_in_days"] is None else TODAY + timedelta(days=q["needed_in_days"]),
            specialisations=tuple(sorted(q["specialisations"])),
            languages=tuple(sorted(q["languages"])),
            only_available=q["only_available"],
            sort=q["sort"],
            limit=200,
        )
        expected, edge = _brute_force(query, timedelta(hours=48))
        result = facility_search(query, now=NOW)

        assert result.total == len(result.hits)
        assert {h.facility_id for h in result.hits} - edge == set(expected) - edge
        for hit in result.hits:
            if hit.facility_id in edge:
                continue
            distance, status, stale = expected[hit.facility_id]
            assert hit.distance_km == pytest.approx(distance, abs=1e-6)
            assert hit.status == status
            assert hit.stale == stale
            assert all(query.care_type in (None, o.care_type) for o in hit.offers)
        if query.sort == SortOrder.DISTANCE:
            keys: list[Any] = [(h.distance_km, h.name) for h in result.hits]
        else:
            keys = [
                (
                    h.last_reported_at is None,
                    -h.last_reported_at.timestamp() if h.last_reported_at else 0.0,
                    h.distance_km,
                )
                for h in result.hits
            ]
        assert keys == sorted(keys)

        # Paging: pages are slices of the whole, total stays the same.
        if result.total > 2:
            page = facility_search(SearchQuery(**{**query.__dict__, "limit": 2, "offset": 1}), now=NOW)
            assert page.total == result.total
            assert [h.facility_id for h in page.hits] == [h.facility_id for h in result.hits[1:3]]
        transaction.set_rollback(True)


@pytest.mark.parametrize(
    ("places", "status"),
    [(None, Status.UNKNOWN), (0, Status.RED), (1, Status.YELLOW), (2, Status.GREEN), (80, Status.GREEN)],
)
def test_traffic_light(places: int | None, status: Status) -> None:
    assert traffic_light(places) == status


EXPECTED = [{"date": "2026-12-01", "places": 2}, {"date": "2026-12-10", "places": 0}]


@pytest.mark.parametrize(
    ("free_now", "day", "places"),
    [
        (None, date(2026, 12, 5), None),  # never reported: nothing is known, not even expectations
        (1, None, 1),  # no day: now
        (1, TODAY, 1),  # today: now, even with expectations
        (1, date(2026, 1, 1), 1),  # the past: now
        (1, date(2026, 11, 30), 1),  # before the first expected date: now
        (1, date(2026, 12, 1), 2),  # on an expected date: that entry
        (1, date(2026, 12, 9), 2),  # between entries: the latest before
        (1, date(2026, 12, 10), 0),
        (1, date(2027, 6, 1), 0),  # after the last: the last
    ],
)
def test_places_on(free_now: int | None, day: date | None, places: int | None) -> None:
    assert places_on(free_now, EXPECTED, day, today=TODAY) == places


def test_is_stale_edges() -> None:
    limit = timedelta(hours=48)
    assert is_stale(None, limit=limit, now=NOW)
    assert not is_stale(NOW - limit, limit=limit, now=NOW)  # exactly at the limit: still fresh
    assert is_stale(NOW - limit - timedelta(seconds=1), limit=limit, now=NOW)
    assert not is_stale(NOW + timedelta(minutes=5), limit=limit, now=NOW)  # a clock slightly ahead
