"""The one parser of care search input, shared by the search page and the public API.

``parse_search(data)`` reads a query string (``request.GET`` or DRF's ``query_params``) and answers the
``SearchQuery`` with the ``Place`` it starts from: a postcode, a town, free text (address, postcode or
town, through ``geocoding.geocode``) or a position (``lat`` + ``lon``, the browser's location). Bad input
raises a ``Problem`` (code ``care-search-invalid``) with a German and an English message and
``extra["field"]`` naming the parameter, so the page can link its error summary to the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import date
from typing import Any

from django.utils import timezone

from amtsweg.core.problems import Problem

from . import geocoding
from .geocoding import Place
from .models import CareType, Specialisation
from .selectors import DEFAULT_RADIUS_KM, MAX_PAGE_SIZE, MAX_RADIUS_KM, SearchQuery, SortOrder

MIN_RADIUS_KM = 0.5
DEFAULT_LIMIT = 20
MAX_OFFSET = 100_000
MAX_TEXT = 200
LOCATION_FIELDS = ("postcode", "town", "q", "lat", "lon")
TRUE_VALUES = {"1", "true", "on", "yes", "ja"}
FALSE_VALUES = {"", "0", "false", "off", "no", "nein"}


class SearchInvalid(Problem):
    code = "care-search-invalid"


def _invalid(field: str, de: str, en: str) -> SearchInvalid:
    return SearchInvalid(de, en, extra={"field": field})


def _first(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()[:MAX_TEXT]


def _many(data: Mapping[str, Any], key: str) -> list[str]:
    if hasattr(data, "getlist"):
        raw: list[Any] = data.getlist(key)
    else:
        value = data.get(key, [])
        raw = value if isinstance(value, list) else [value]
    values: list[str] = []
    for item in raw:
        # "demenz,palliativ" and repeated parameters both work (apps tend to send the former).
        for part in str(item or "").split(","):
            part = part.strip()
            if part and part not in values:
                values.append(part)
    return values


def values_of(data: Mapping[str, Any], key: str) -> list[str]:
    """The values of a repeatable parameter ("a,b" and a repeated parameter both work), de-duplicated."""
    return _many(data, key)


def has_location(data: Mapping[str, Any]) -> bool:
    """Whether the input names a place at all (an empty search form is not an error)."""
    return any(_first(data, key) for key in LOCATION_FIELDS)


def _coordinate(data: Mapping[str, Any], key: str, low: float, high: float) -> float:
    text = _first(data, key).replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        raise _invalid(
            key,
            f"„{key}“ muss eine Zahl sein (Grad, z. B. 51.2).",
            f"“{key}” must be a number (degrees, e.g. 51.2).",
        ) from None
    if not math.isfinite(value) or not low <= value <= high:
        raise _invalid(
            key,
            f"„{key}“ muss zwischen {low:g} und {high:g} liegen.",
            f"“{key}” must be between {low:g} and {high:g}.",
        )
    return value


def _place(data: Mapping[str, Any]) -> Place:
    lat, lon = _first(data, "lat"), _first(data, "lon")
    if lat or lon:
        if not (lat and lon):
            missing = "lon" if lat else "lat"
            raise _invalid(
                missing,
                "Für einen Standort werden Breitengrad (lat) und Längengrad (lon) gebraucht.",
                "A position needs both latitude (lat) and longitude (lon).",
            )
        return Place(
            _coordinate(data, "lat", -90.0, 90.0),
            _coordinate(data, "lon", -180.0, 180.0),
            "Ihr Standort",
            "position",
        )
    postcode = _first(data, "postcode")
    if postcode:
        if not geocoding.ONLY_POSTCODE.match(postcode):
            raise _invalid(
                "postcode",
                "Die Postleitzahl muss aus fünf Ziffern bestehen.",
                "The postcode must have five digits.",
            )
        place = geocoding.place_for_postcode(postcode)
        if place is None:
            raise _invalid(
                "postcode",
                f"Die Postleitzahl {postcode} ist nicht bekannt.",
                f"The postcode {postcode} is not known.",
            )
        return place
    town = _first(data, "town")
    if town:
        place = geocoding.place_for_town(town)
        if place is None:
            raise _invalid(
                "town",
                f"Den Ort „{town}“ kennen wir nicht. Bitte prüfen Sie die Schreibweise oder geben Sie eine "
                "Postleitzahl an.",
                f"The town “{town}” is not known. Please check the spelling or enter a postcode.",
            )
        return place
    text = _first(data, "q")
    if text:
        place = geocoding.geocode(text)
        if place is None and geocoding.ONLY_POSTCODE.match(text):
            raise _invalid(
                "q", f"Die Postleitzahl {text} ist nicht bekannt.", f"The postcode {text} is not known."
            )
        if place is None:
            raise _invalid(
                "q",
                f"Zu „{text}“ haben wir keinen Ort gefunden. Bitte geben Sie eine Postleitzahl, einen Ort "
                "oder eine Anschrift mit Postleitzahl an.",
                f"No place found for “{text}”. Please enter a postcode, a town or an address with its "
                "postcode.",
            )
        return place
    raise _invalid(
        "q",
        "Bitte geben Sie eine Postleitzahl, einen Ort oder eine Anschrift an.",
        "Please enter a postcode, a town or an address.",
    )


def _radius(data: Mapping[str, Any]) -> float:
    text = _first(data, "radius_km").replace(",", ".")
    if not text:
        return DEFAULT_RADIUS_KM
    try:
        radius = float(text)
    except ValueError:
        radius = math.nan
    if not math.isfinite(radius) or not MIN_RADIUS_KM <= radius <= MAX_RADIUS_KM:
        raise _invalid(
            "radius_km",
            f"Der Umkreis muss zwischen {MIN_RADIUS_KM:g} und {MAX_RADIUS_KM:g} km liegen.",
            f"The radius must be between {MIN_RADIUS_KM:g} and {MAX_RADIUS_KM:g} km.",
        )
    return radius


def _int(data: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    text = _first(data, key)
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise _invalid(
            key,
            f"„{key}“ muss eine ganze Zahl von {low} bis {high} sein.",
            f"“{key}” must be a whole number from {low} to {high}.",
        )
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    text = _first(data, key).lower()
    if text in TRUE_VALUES:
        return True
    if text in FALSE_VALUES:
        return False
    raise _invalid(key, f"„{key}“ muss true oder false sein.", f"“{key}” must be true or false.")


def parse_search(
    data: Mapping[str, Any], *, today: date | None = None, default_limit: int = DEFAULT_LIMIT
) -> tuple[SearchQuery, Place]:
    """The search the input asks for and the place it starts from; ``SearchInvalid`` for bad input."""
    today = today or timezone.localdate()
    place = _place(data)
    radius = _radius(data)

    care_type = _first(data, "care_type") or None
    if care_type is not None and care_type not in CareType.values:
        raise _invalid(
            "care_type",
            f"Die Versorgungsart „{care_type}“ gibt es nicht. Möglich: {', '.join(CareType.values)}.",
            f"Unknown care type “{care_type}”. Possible: {', '.join(CareType.values)}.",
        )

    needed_on: date | None = None
    needed_text = _first(data, "needed_on")
    if needed_text:
        try:
            needed_on = date.fromisoformat(needed_text)
        except ValueError:
            raise _invalid(
                "needed_on",
                "Das Datum muss im Format JJJJ-MM-TT angegeben werden.",
                "The date must be given as YYYY-MM-DD.",
            ) from None
        if needed_on < today:
            raise _invalid(
                "needed_on",
                "Das Datum, ab dem ein Platz gebraucht wird, darf nicht in der Vergangenheit liegen.",
                "The date a place is needed from must not be in the past.",
            )

    specialisations = _many(data, "specialisation")
    unknown = [code for code in specialisations if code not in Specialisation.values]
    if unknown:
        raise _invalid(
            "specialisation",
            f"Unbekannter Schwerpunkt: {', '.join(unknown)}.",
            f"Unknown specialisation: {', '.join(unknown)}.",
        )

    languages = [code.lower() for code in _many(data, "language")]
    bad_languages = [code for code in languages if not (len(code) in (2, 3) and code.isalpha())]
    if bad_languages:
        raise _invalid(
            "language",
            "Sprachen werden als ISO-639-Code angegeben, z. B. „tr“.",
            "Languages are given as ISO 639 codes, e.g. “tr”.",
        )

    sort_text = _first(data, "sort") or SortOrder.DISTANCE.value
    if sort_text not in SortOrder.__members__.values():
        raise _invalid(
            "sort",
            "Sortiert werden kann nach „distance“ (Entfernung) oder „freshness“ (Aktualität).",
            "Sort by “distance” or “freshness”.",
        )

    query = SearchQuery(
        latitude=place.latitude,
        longitude=place.longitude,
        radius_km=radius,
        care_type=care_type,
        needed_on=needed_on,
        specialisations=tuple(specialisations),
        languages=tuple(languages),
        only_available=_bool(data, "only_available"),
        sort=SortOrder(sort_text),
        limit=_int(data, "limit", default_limit, 1, MAX_PAGE_SIZE),
        offset=_int(data, "offset", 0, 0, MAX_OFFSET),
    )
    return query, place
