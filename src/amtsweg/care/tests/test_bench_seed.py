"""The nationwide benchmark seed (``care_bench_seed``) at a tiny size: counts, each offer's current state
equals its last report, one report a day, deterministic coordinates inside Germany, and the search finds
the seeded facilities (on SQLite and PostgreSQL: the command has a COPY path and an executemany path)."""

from __future__ import annotations

import io
import random
from datetime import datetime, timedelta

import pytest
from django.core.management import CommandError, call_command

from .. import geo
from ..management.commands.care_bench_seed import BENCH_AGS, CITIES, OUTLINE, Command, _inside
from ..models import CareOffer, CareType, Facility, VacancyReport
from ..selectors import SearchQuery, facility_search

pytestmark = pytest.mark.django_db

FACILITIES, DAYS = 50, 3


def _seed(*arguments: str) -> str:
    out = io.StringIO()
    call_command("care_bench_seed", "--facilities", str(FACILITIES), *arguments, stdout=out)
    return out.getvalue()


def test_counts_and_current_state_is_the_last_report() -> None:
    output = _seed("--days", str(DAYS), "--seed", "3")
    facilities = Facility.objects.filter(authority__ags=BENCH_AGS)
    assert facilities.count() == FACILITIES
    offers = list(CareOffer.objects.filter(facility__in=facilities))
    assert FACILITIES <= len(offers) <= 3 * FACILITIES
    assert VacancyReport.objects.filter(offer__in=offers).count() == len(offers) * DAYS
    assert f"{len(offers) * DAYS} reports" in output

    for offer in offers:
        assert offer.free_now is not None and 0 <= offer.free_now <= offer.capacity
        reports = list(VacancyReport.objects.filter(offer=offer).order_by("-reported_at"))
        last = reports[0]
        assert (last.free_places, last.reported_at, last.expected) == (
            offer.free_now,
            offer.reported_at,
            offer.expected,
        )
        # One report a day before the last one (± the two hours the time of day varies by).
        for earlier, later in zip(reports[1:], reports, strict=False):
            gap = later.reported_at - earlier.reported_at
            assert timedelta(hours=20) <= gap <= timedelta(hours=28)
            assert 0 <= earlier.free_places <= offer.capacity
    per_facility = {f.pk: f.offers.count() for f in facilities}
    assert all(1 <= n <= 3 for n in per_facility.values())
    assert {o.care_type for o in offers} <= set(CareType.values)


def test_search_finds_the_seeded_facilities() -> None:
    _seed("--days", "1", "--seed", "5")
    facilities = list(Facility.objects.filter(authority__ags=BENCH_AGS))
    target = facilities[len(facilities) // 2]
    result = facility_search(SearchQuery(latitude=target.latitude, longitude=target.longitude, radius_km=0.5))
    assert target.pk in {hit.facility_id for hit in result.hits}
    hit = next(h for h in result.hits if h.facility_id == target.pk)
    assert hit.last_reported_at is not None and hit.offers

    # Around Berlin with the largest radius: exactly the facilities a brute-force haversine counts.
    berlin = CITIES[0]
    expected = {
        f.pk for f in facilities if geo.haversine_km(berlin[1], berlin[2], f.latitude, f.longitude) <= 100
    }
    result = facility_search(SearchQuery(latitude=berlin[1], longitude=berlin[2], radius_km=100, limit=200))
    assert {h.facility_id for h in result.hits} == expected
    assert result.total == len(expected)


def test_no_history_and_no_second_seed() -> None:
    _seed("--days", "30", "--no-history")
    offers = CareOffer.objects.filter(facility__authority__ags=BENCH_AGS)
    assert VacancyReport.objects.filter(offer__in=offers).count() == offers.count()
    with pytest.raises(CommandError, match="already has facilities"):
        _seed("--days", "1")


def test_coordinates_are_deterministic_and_inside_germany() -> None:
    now = datetime(2026, 11, 24, 12, 0, tzinfo=datetime.now().astimezone().tzinfo)
    first, _ = Command()._draw(random.Random(11), 400, now)
    again, _ = Command()._draw(random.Random(11), 400, now)
    other, _ = Command()._draw(random.Random(12), 400, now)
    points = [(row["latitude"], row["longitude"]) for row in first]
    assert points == [(row["latitude"], row["longitude"]) for row in again]
    assert points != [(row["latitude"], row["longitude"]) for row in other]
    assert all(47.2 <= lat <= 55.1 and 5.8 <= lon <= 15.1 for lat, lon in points)
    # Population-like: far more facilities within 25 km of Berlin than of an equally large rural area
    # (the Altmark around Salzwedel, inside the outline).
    near_berlin = sum(geo.haversine_km(52.52, 13.405, lat, lon) <= 25 for lat, lon in points)
    near_altmark = sum(geo.haversine_km(52.75, 11.3, lat, lon) <= 25 for lat, lon in points)
    assert near_berlin > 3 * max(near_altmark, 1)
    assert _inside(52.75, 11.3, OUTLINE) and not _inside(52.37, 4.90, OUTLINE)  # Amsterdam is outside
