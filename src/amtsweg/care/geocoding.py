"""Geocoding of what a person types into the search: a postcode or town from the bundled centroid
table (no network), a full address through the configured geocoder (Nominatim or Photon) in production.

PROVISIONAL (lead): the table reader below is the contract; H-GEO replaces the data file with the full
table and adds the address geocoders.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "postcodes_de.csv"


@dataclass(frozen=True)
class Place:
    """A point a search starts from, with what it was found as."""

    latitude: float
    longitude: float
    label: str  # e.g. "41460 Neuss"
    precision: str  # "postcode" | "town" | "address" | "position"


@lru_cache(maxsize=1)
def _table() -> tuple[dict[str, Place], dict[str, Place]]:
    postcodes: dict[str, Place] = {}
    towns: dict[str, Place] = {}
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            place = Place(
                float(row["latitude"]),
                float(row["longitude"]),
                f"{row['postcode']} {row['place']}",
                "postcode",
            )
            postcodes.setdefault(row["postcode"], place)
            towns.setdefault(
                row["place"].casefold(), Place(place.latitude, place.longitude, row["place"], "town")
            )
    return postcodes, towns


def place_for_postcode(postcode: str) -> Place | None:
    return _table()[0].get(postcode.strip())


def place_for_town(name: str) -> Place | None:
    return _table()[1].get(name.strip().casefold())


def geocode(text: str) -> Place | None:
    """A postcode, a town, or (with a configured geocoder) an address; None when nothing is found."""
    text = text.strip()
    if text.isdigit() and len(text) == 5:
        return place_for_postcode(text)
    return place_for_town(text)
