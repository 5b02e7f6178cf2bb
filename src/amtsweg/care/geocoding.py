"""Geocoding of what a person types into the care search: a postcode or town from the bundled centroid
table (``data/postcodes_de.csv``, no network; source and licence in ``data/README.md``), a full address
through the configured geocoder (Nominatim or Photon, ``CARE_GEOCODER``) in production.

``geocode(text)`` answers a ``Place`` whose ``precision`` says what was found:

- ``"postcode"``: the centroid of a postcode area ("41460", "41460 Neuss", or the postcode of an address
  the geocoder could not resolve);
- ``"town"``: the mean of the centroids of a town's postcodes ("Neuss", "mönchengladbach",
  "Grevenbroich-Kapellen" falls back to Grevenbroich when no geocoder knows the district);
- ``"address"``: the geocoder's point for a full address ("Markt 2, 41460 Neuss").

Addresses typed by citizens are personal data: nothing here logs a query or puts it into a cache key
in clear (keys are hashes); failures are logged with the geocoder's name and the kind of failure only.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .geo import haversine_km

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data" / "postcodes_de.csv"
# Shown wherever the table's centroids are used (the search page); source and licence: data/README.md.
# Regenerated from GeoNames (care_import_postcodes DE.zip), it becomes GEONAMES_ATTRIBUTION.
POSTCODE_ATTRIBUTION = _(
    "Postleitzahl- und Ortsmittelpunkte: © OpenStreetMap-Mitwirkende (ODbL), aufbereitet von OpenDataSoft "
    "(„georef-germany-postleitzahl“); Ortsnamen: countries-states-cities-database (ODbL)"
)
GEONAMES_ATTRIBUTION = _("Postleitzahlen und Ortsmittelpunkte: GeoNames (geonames.org), CC BY 4.0")
CACHE_SECONDS = 24 * 3600
CACHE_PREFIX = "care:geocode:v1:"
# Germany with a margin: a geocoder's answer outside it is not taken (wrong country, bad data).
GERMANY = (47.0, 55.2, 5.5, 15.5)  # min lat, max lat, min lon, max lon
PHOTON_BBOX = "5.5,47.0,15.5,55.2"  # min lon, min lat, max lon, max lat
# Postcodes of one place name further apart than this (single linkage) are different places of the
# same name ("Neustadt", "Halle"); closer ones are one town with several postcodes (Berlin, Neuss).
SAME_TOWN_KM = 25.0
MAX_TEXT = 200

POSTCODE = re.compile(r"(?<!\d)(\d{5})(?!\d)")
ONLY_POSTCODE = re.compile(r"^\d{5}$")
HOUSE_NUMBER = re.compile(r"\d")


@dataclass(frozen=True)
class Place:
    """A point a search starts from, with what it was found as."""

    latitude: float
    longitude: float
    label: str  # e.g. "41460 Neuss"
    precision: str  # "postcode" | "town" | "address" | "position"


@dataclass(frozen=True)
class _Postcode:
    code: str
    places: tuple[str, ...]
    state: str
    latitude: float
    longitude: float


@dataclass(frozen=True)
class _Town:
    name: str  # as written in the table, e.g. "Mönchengladbach"; "Halle (Niedersachsen)" when shared
    state: str
    postcodes: tuple[str, ...]
    latitude: float  # mean of the postcode centroids
    longitude: float


@dataclass(frozen=True)
class _Table:
    postcodes: dict[str, _Postcode]
    towns: dict[str, list[_Town]]  # by normalised name; several entries: places of the same name
    loose: dict[str, list[str]]  # name keys without diacritics (ö → o) → normalised keys
    names: tuple[str, ...]  # distinct place names, sorted


def normalise(text: str) -> str:
    """The key a place name is looked up by: case-folded (ß → ss), umlauts as ae/oe/ue, punctuation and
    hyphens as single spaces ("Grevenbroich-Kapellen" → "grevenbroich kapellen")."""
    text = text.casefold().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _loose(text: str) -> str:
    """Like ``normalise`` but umlauts lose their dots ("Monchengladbach" finds "Mönchengladbach")."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _mean(points: Iterable[tuple[float, float]]) -> tuple[float, float]:
    pts = list(points)
    return sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts)


def _clusters(postcodes: list[_Postcode]) -> list[list[_Postcode]]:
    """Single-linkage groups of postcode centroids (``SAME_TOWN_KM``), largest first."""
    groups: list[list[_Postcode]] = []
    for pc in postcodes:
        near = [
            g
            for g in groups
            if any(
                haversine_km(pc.latitude, pc.longitude, o.latitude, o.longitude) <= SAME_TOWN_KM for o in g
            )
        ]
        merged = [pc]
        for g in near:
            merged.extend(g)
            groups.remove(g)
        groups.append(merged)
    for g in groups:
        g.sort(key=lambda p: p.code)
    return sorted(groups, key=lambda g: (-len(g), g[0].code))


def read_table(path: Path) -> _Table:
    """Read a table in the bundled format (postcode,place,state,latitude,longitude; one row per postcode
    and place). Rows of one postcode with different coordinates (GeoNames gives one per place) are
    averaged into the postcode's centroid."""
    rows: dict[str, list[tuple[str, str, float, float]]] = defaultdict(list)
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            rows[row["postcode"].strip()].append(
                (row["place"].strip(), row["state"].strip(), float(row["latitude"]), float(row["longitude"]))
            )
    postcodes: dict[str, _Postcode] = {}
    by_name: dict[str, list[_Postcode]] = defaultdict(list)
    spelled: dict[str, str] = {}
    for code, entries in rows.items():
        places = tuple(dict.fromkeys(e[0] for e in entries if e[0]))
        lat, lon = _mean((e[2], e[3]) for e in entries)
        pc = _Postcode(code, places, entries[0][1], lat, lon)
        postcodes[code] = pc
        for place in places:
            key = normalise(place)
            by_name[key].append(pc)
            spelled.setdefault(key, place)
    towns: dict[str, list[_Town]] = {}
    loose: dict[str, list[str]] = defaultdict(list)
    for key, pcs in by_name.items():
        entries_for_name = []
        groups = _clusters(pcs)
        for group in groups:
            lat, lon = _mean((p.latitude, p.longitude) for p in group)
            name = spelled[key] if len(groups) == 1 else f"{spelled[key]} ({group[0].state})"
            entries_for_name.append(_Town(name, group[0].state, tuple(p.code for p in group), lat, lon))
        towns[key] = entries_for_name
        loose[_loose(spelled[key])].append(key)
    return _Table(postcodes, towns, dict(loose), tuple(sorted(set(spelled.values()), key=normalise)))


def table_attribution() -> str:
    """The attribution the table in use requires: the shipped table's, or GeoNames' for a table
    regenerated by ``care_import_postcodes`` from a GeoNames file (``CARE_POSTCODE_TABLE``)."""
    return str(GEONAMES_ATTRIBUTION if settings.CARE_POSTCODE_TABLE else POSTCODE_ATTRIBUTION)


def table_path() -> Path:
    """The table in use: ``settings.CARE_POSTCODE_TABLE`` when set (an operator's regenerated copy
    outside the installed package), else the bundled ``data/postcodes_de.csv``."""
    configured = settings.CARE_POSTCODE_TABLE
    return Path(configured) if configured else DATA


@lru_cache(maxsize=1)
def _table() -> _Table:
    return read_table(table_path())


def reload_table() -> None:
    """Read the table file again on next use (after ``care_import_postcodes`` replaced it)."""
    _table.cache_clear()


def _postcode_place(pc: _Postcode) -> Place:
    if not pc.places:
        label = pc.code
    elif len(pc.places) <= 2:
        label = f"{pc.code} {', '.join(pc.places)}"
    else:
        label = f"{pc.code} {pc.places[0]} u. a."
    return Place(pc.latitude, pc.longitude, label, "postcode")


def _town_place(town: _Town) -> Place:
    return Place(town.latitude, town.longitude, town.name, "town")


def place_for_postcode(postcode: str) -> Place | None:
    """The centroid of a German postcode area, or None for an unknown postcode."""
    pc = _table().postcodes.get(postcode.strip())
    return _postcode_place(pc) if pc else None


def _towns_exact(key: str) -> list[_Town]:
    table = _table()
    if key in table.towns:
        return table.towns[key]
    # Typed without umlauts' dots ("Monchengladbach"): one spelling must match, or it is not taken.
    keys = table.loose.get(key, [])
    return table.towns[keys[0]] if len(keys) == 1 else []


def town_candidates(name: str) -> list[Place]:
    """Every place of this name (places of the same name far apart are separate, largest first);
    "Frankfurt" also finds "Frankfurt am Main" and "Frankfurt (Oder)" when no place is called just so."""
    key = normalise(name)
    if not key:
        return []
    towns = _towns_exact(key)
    if not towns:
        prefix = key + " "
        table = _table()
        towns = [t for k, ts in table.towns.items() if k.startswith(prefix) for t in ts]
        towns.sort(key=lambda t: (-len(t.postcodes), t.postcodes[0]))
    return [_town_place(t) for t in towns]


def place_for_town(name: str) -> Place | None:
    """A town's centre (mean of its postcodes' centroids). A name with a district suffix the table does
    not know ("Grevenbroich-Kapellen", "Neuss Holzheim") falls back to the town; a name several places
    share gives the one with most postcodes (``town_candidates`` lists them all)."""
    candidates = town_candidates(name)
    if candidates:
        return candidates[0]
    words = normalise(name).split()[:-1]
    while words:
        towns = _towns_exact(" ".join(words))
        if towns:
            return _town_place(towns[0])
        words = words[:-1]
    return None


def postcode_centroids() -> list[tuple[str, str, float, float]]:
    """Every postcode of the table with its (first) place and centroid: (postcode, place, lat, lon)."""
    return [
        (code, pc.places[0] if pc.places else "", pc.latitude, pc.longitude)
        for code, pc in sorted(_table().postcodes.items())
    ]


def town_names(*, near: tuple[float, float] | None = None, radius_km: float = 50.0) -> list[str]:
    """Distinct place names of the table, sorted (for a datalist); with ``near`` only places with a
    postcode centroid within ``radius_km`` of that point."""
    table = _table()
    if near is None:
        return list(table.names)
    lat, lon = near
    names = {
        place
        for pc in table.postcodes.values()
        if haversine_km(lat, lon, pc.latitude, pc.longitude) <= radius_km
        for place in pc.places
    }
    return sorted(names, key=normalise)


# --- address geocoders ------------------------------------------------------------------------------


class GeocoderError(Exception):
    """The configured geocoder did not answer usably (timeout, HTTP error, bad JSON)."""


def _in_germany(lat: float, lon: float) -> bool:
    return (
        math.isfinite(lat)
        and math.isfinite(lon)
        and GERMANY[0] <= lat <= GERMANY[1]
        and (GERMANY[2] <= lon <= GERMANY[3])
    )


def _get_json(url: str, params: dict[str, str]) -> Any:
    try:
        response = requests.get(
            url,
            params=params,
            timeout=settings.CARE_GEOCODER_TIMEOUT,
            headers={"User-Agent": settings.CARE_GEOCODER_USER_AGENT, "Accept-Language": "de"},
        )
        response.raise_for_status()
        return response.json()
    except requests.Timeout as exc:
        raise GeocoderError("timeout") from exc
    except requests.RequestException as exc:  # connection refused, HTTP 4xx/5xx
        raise GeocoderError(type(exc).__name__) from exc
    except ValueError as exc:  # not JSON
        raise GeocoderError("invalid JSON") from exc


def _nominatim(base: str, text: str) -> tuple[float, float] | None:
    data = _get_json(
        base.rstrip("/") + "/search",
        {"format": "jsonv2", "countrycodes": "de", "limit": "1", "q": text},
    )
    if not isinstance(data, list):
        raise GeocoderError("unexpected answer")
    if not data:
        return None
    try:
        return float(data[0]["lat"]), float(data[0]["lon"])
    except (KeyError, TypeError, ValueError) as exc:
        raise GeocoderError("unexpected answer") from exc


def _photon(base: str, text: str) -> tuple[float, float] | None:
    data = _get_json(
        base.rstrip("/") + "/api",
        {"q": text, "limit": "1", "lang": "de", "bbox": PHOTON_BBOX},
    )
    try:
        features = data["features"]
        if not features:
            return None
        feature = features[0]
        country = feature.get("properties", {}).get("countrycode", "DE")
        if str(country).upper() != "DE":
            return None
        lon, lat = feature["geometry"]["coordinates"][:2]
        return float(lat), float(lon)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise GeocoderError("unexpected answer") from exc


GEOCODERS = {"nominatim": _nominatim, "photon": _photon}


def geocoder_configured() -> bool:
    return settings.CARE_GEOCODER in GEOCODERS and bool(settings.CARE_GEOCODER_URL)


def geocode_address(text: str) -> tuple[float, float] | None:
    """The configured geocoder's point for a free-text address in Germany, cached for a day (also "not
    found"); None when there is no geocoder, it finds nothing or it fails (logged without the query)."""
    if not geocoder_configured():
        return None
    name, base = settings.CARE_GEOCODER, settings.CARE_GEOCODER_URL
    digest = hashlib.sha256(f"{name}\n{base}\n{normalise(text)}".encode()).hexdigest()
    key = CACHE_PREFIX + digest
    cached = cache.get(key)
    if cached is not None:
        return (float(cached[0]), float(cached[1])) if cached else None
    try:
        point = GEOCODERS[name](base, text)
    except GeocoderError as exc:
        logger.warning("care geocoder %s failed (%s); falling back to the postcode table", name, exc)
        return None  # not cached: the next search tries again
    if point is not None and not _in_germany(*point):
        logger.warning("care geocoder %s answered a point outside Germany; ignored", name)
        point = None
    cache.set(key, list(point) if point else [], CACHE_SECONDS)
    return point


# --- the search box ---------------------------------------------------------------------------------


def _label(text: str) -> str:
    return " ".join(text.split())[:MAX_TEXT]


def geocode(text: str) -> Place | None:
    """A postcode, a town, or (with a configured geocoder) an address; None when nothing is found.

    The table answers what it knows exactly (a postcode, "41460 Neuss", a town's name) without a
    network call. Anything else goes to the configured geocoder; when there is none or it fails, the
    postcode in the text, else the town named in it, is the answer (``precision`` says which).
    """
    text = _label(text)
    if not text:
        return None
    table = _table()
    if ONLY_POSTCODE.match(text):
        return place_for_postcode(text)
    postcodes = POSTCODE.findall(text)
    rest = normalise(POSTCODE.sub(" ", text))
    # "41460 Neuss" / "Neuss 41460": the postcode with (at most) its own place name.
    if len(postcodes) == 1 and postcodes[0] in table.postcodes:
        pc = table.postcodes[postcodes[0]]
        if not rest or rest in {normalise(p) for p in pc.places}:
            return _postcode_place(pc)
    if not postcodes and not HOUSE_NUMBER.search(text) and "," not in text:
        towns = town_candidates(text)
        if towns:
            return towns[0]
    point = geocode_address(text)
    if point is not None:
        return Place(point[0], point[1], text, "address")
    for code in postcodes:
        place = place_for_postcode(code)
        if place is not None:
            return place
    # The town of an address without (known) postcode: the part after the last comma first
    # ("Markt 2, Neuss"); in a part with a house number, the words after it ("Markt 2 Neuss").
    for part in reversed(POSTCODE.sub(" ", text).split(",")):
        words = normalise(part).split()
        numbered = [i for i, word in enumerate(words) if HOUSE_NUMBER.search(word)]
        if numbered:
            words = words[numbered[-1] + 1 :]
        place = place_for_town(" ".join(words)) if words else None
        if place is not None:
            return place
    return None
