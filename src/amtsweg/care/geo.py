"""Distances and the search grid on the WGS 84 sphere approximation: great-circle distance (haversine),
the bounding box of a circle, and the grid cells a circle touches (the alert index).

The earth is taken as a sphere of mean radius 6371.0088 km; for the radii of a care search (≤ 100 km)
the error against the ellipsoid is below 0.5 %, far less than the uncertainty of a postcode centroid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_KM = 6371.0088
# Grid of the alert index: cells of 0.25° latitude × 0.25° longitude (about 28 × 17 km in Germany).
CELL_DEGREES = 0.25
_CELLS_PER_ROW = int(360 / CELL_DEGREES)


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """The great-circle distance between two points in kilometres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = phi2 - phi1
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class BoundingBox:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float

    def contains(self, lat: float, lon: float) -> bool:
        return self.min_lat <= lat <= self.max_lat and self.min_lon <= lon <= self.max_lon


def bounding_box(lat: float, lon: float, radius_km: float) -> BoundingBox:
    """A box that contains every point within ``radius_km`` of (lat, lon) (slightly larger, never smaller).

    The longitude span is taken at the latitude of the box edge nearer the pole, where a degree of
    longitude is shortest; near the poles the box spans all longitudes.
    """
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = max(-90.0, lat - dlat), min(90.0, lat + dlat)
    polar_lat = max(abs(min_lat), abs(max_lat))
    if polar_lat >= 89.9:
        return BoundingBox(min_lat, max_lat, -180.0, 180.0)
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * math.cos(math.radians(polar_lat))))
    # A small margin against rounding at the box edge; the exact distance decides afterwards.
    dlon *= 1.000001
    return BoundingBox(min_lat, max_lat, lon - dlon, lon + dlon)


def cell_of(lat: float, lon: float) -> int:
    """The grid cell of a point (an integer, stable across releases: it is stored)."""
    row = math.floor((lat + 90.0) / CELL_DEGREES)
    col = math.floor(((lon + 180.0) % 360.0) / CELL_DEGREES)
    return row * _CELLS_PER_ROW + col


def cells_for_circle(lat: float, lon: float, radius_km: float) -> set[int]:
    """Every grid cell that a circle of ``radius_km`` around (lat, lon) touches (via its bounding box).

    The antimeridian is not handled: the finder's regions are in Germany.
    """
    box = bounding_box(lat, lon, radius_km)
    row_min = math.floor((box.min_lat + 90.0) / CELL_DEGREES)
    row_max = math.floor((box.max_lat + 90.0) / CELL_DEGREES)
    col_min = math.floor((max(-180.0, box.min_lon) + 180.0) / CELL_DEGREES)
    col_max = math.floor((min(179.999999, box.max_lon) + 180.0) / CELL_DEGREES)
    return {
        row * _CELLS_PER_ROW + col
        for row in range(row_min, row_max + 1)
        for col in range(col_min, col_max + 1)
    }
