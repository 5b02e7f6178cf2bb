"""The geometry the search and the alert index rest on: a circle's bounding box and grid cells never
miss a point inside the circle."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from .. import geo

latitudes = st.floats(min_value=-80.0, max_value=80.0)
longitudes = st.floats(min_value=-179.0, max_value=179.0)
radii = st.floats(min_value=0.1, max_value=100.0)
bearings = st.floats(min_value=0.0, max_value=2 * math.pi)
fractions = st.floats(min_value=0.0, max_value=1.0)


def _destination(lat: float, lon: float, bearing: float, km: float) -> tuple[float, float]:
    """The point ``km`` from (lat, lon) in direction ``bearing`` (radians) on the sphere."""
    delta = km / geo.EARTH_RADIUS_KM
    phi1, lambda1 = math.radians(lat), math.radians(lon)
    phi2 = math.asin(math.sin(phi1) * math.cos(delta) + math.cos(phi1) * math.sin(delta) * math.cos(bearing))
    y = math.sin(bearing) * math.sin(delta) * math.cos(phi1)
    lambda2 = lambda1 + math.atan2(y, math.cos(delta) - math.sin(phi1) * math.sin(phi2))
    return math.degrees(phi2), math.degrees(lambda2)


@pytest.mark.parametrize(
    ("a", "b", "km"),
    [
        ((51.1981, 6.6916), (51.0951, 6.8403), 15.3),  # Neuss – Dormagen
        ((52.5200, 13.4050), (48.1351, 11.5820), 504.4),  # Berlin – München (sphere)
        ((51.0, 7.0), (51.0, 7.0), 0.0),
    ],
)
def test_known_distances(a: tuple[float, float], b: tuple[float, float], km: float) -> None:
    assert geo.haversine_km(*a, *b) == pytest.approx(km, abs=0.2)


@given(latitudes, longitudes, radii, bearings, fractions)
def test_the_box_and_the_cells_contain_every_point_of_the_circle(
    lat: float, lon: float, radius: float, bearing: float, fraction: float
) -> None:
    point = _destination(lat, lon, bearing, radius * fraction * 0.999999)
    assert geo.haversine_km(lat, lon, *point) <= radius
    assert geo.bounding_box(lat, lon, radius).contains(*point)
    assert geo.cell_of(*point) in geo.cells_for_circle(lat, lon, radius)


def test_cells_are_stable_integers() -> None:
    # Stored in AlertCell: changing the grid needs a data migration, so the values are pinned.
    assert geo.cell_of(51.1981, 6.6916) == geo.cell_of(51.2, 6.7)
    assert geo.cell_of(51.1981, 6.6916) == 564 * 1440 + 746
    assert len(geo.cells_for_circle(51.1981, 6.6916, 5.0)) in {1, 2, 4}
