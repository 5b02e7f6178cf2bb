"""Geocoding of the search box: every postcode and town of the bundled table resolves (no network),
spelling variants find the same place, and the address geocoders (Nominatim, Photon) are asked the
right way and fall back to the table on timeouts, errors and bad answers without logging the query."""

from __future__ import annotations

import csv
import json
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import caches
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings as SettingsWrapper

from .. import geocoding
from ..geo import haversine_km
from ..geocoding import Place, geocode, place_for_postcode, place_for_town, town_candidates, town_names


def _rows() -> list[dict[str, str]]:
    with geocoding.DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


ROWS = _rows()
BY_POSTCODE: dict[str, list[dict[str, str]]] = defaultdict(list)
for _row in ROWS:
    BY_POSTCODE[_row["postcode"]].append(_row)
PLACES = sorted({row["place"] for row in ROWS})
NEUSS_POSTCODES = ("41460", "41462", "41464", "41466", "41468", "41469", "41470", "41472")
RHEIN_KREIS_NEUSS = {
    "Neuss": NEUSS_POSTCODES,
    "Dormagen": ("41539", "41540", "41541", "41542"),
    "Grevenbroich": ("41515", "41516", "41517"),
    "Meerbusch": ("40667", "40668", "40670"),
    "Kaarst": ("41564",),
    "Korschenbroich": ("41352",),
    "Jüchen": ("41363",),
    "Rommerskirchen": ("41569",),
}
NEUSS_CENTRE = (51.1981, 6.6916)  # Quirinus-Münster


# --- the table ---------------------------------------------------------------------------------------


def test_the_table_covers_germany() -> None:
    assert len(BY_POSTCODE) > 8000  # Germany has about 8,200 postcodes in use
    states = {row["state"] for row in ROWS}
    assert len(states) == 16
    for row in ROWS:
        assert len(row["postcode"]) == 5 and row["postcode"].isdigit()
        assert row["place"].strip() == row["place"] != ""
        lat, lon = float(row["latitude"]), float(row["longitude"])
        assert 47.2 < lat < 55.1 and 5.8 < lon < 15.1, row
    # No two rows for the same postcode and place.
    assert len({(row["postcode"], row["place"]) for row in ROWS}) == len(ROWS)


def test_every_postcode_of_the_table_resolves_to_its_centroid() -> None:
    for code, rows in BY_POSTCODE.items():
        place = place_for_postcode(code)
        assert place is not None and place.precision == "postcode"
        lat = sum(float(r["latitude"]) for r in rows) / len(rows)
        lon = sum(float(r["longitude"]) for r in rows) / len(rows)
        assert (place.latitude, place.longitude) == pytest.approx((lat, lon), abs=1e-9)
        assert place.label.startswith(code + " ")
        assert geocode(code) == place
    centroids = geocoding.postcode_centroids()
    assert [c[0] for c in centroids] == sorted(BY_POSTCODE)
    assert ("41460", "Neuss", 51.2071, 6.70674) in centroids


def test_every_place_name_of_the_table_resolves_near_one_of_its_postcodes() -> None:
    for name in PLACES:
        place = place_for_town(name)
        assert place is not None, name
        assert place.precision == "town"
        assert place.label == name or place.label.startswith(f"{name} ("), (name, place.label)
        own = [r for r in ROWS if r["place"] == name]
        nearest = min(
            haversine_km(place.latitude, place.longitude, float(r["latitude"]), float(r["longitude"]))
            for r in own
        )
        assert nearest < 30.0, (name, nearest)


@pytest.mark.parametrize(("town", "postcodes"), RHEIN_KREIS_NEUSS.items())
def test_the_towns_of_the_rhein_kreis_neuss(town: str, postcodes: tuple[str, ...]) -> None:
    place = place_for_town(town)
    assert place is not None and place.label == town
    # A town with several postcodes lies at the mean of their centroids.
    points = [place_for_postcode(code) for code in postcodes]
    assert all(points)
    lat = sum(p.latitude for p in points if p) / len(points)
    lon = sum(p.longitude for p in points if p) / len(points)
    assert (place.latitude, place.longitude) == pytest.approx((lat, lon))
    assert haversine_km(place.latitude, place.longitude, *NEUSS_CENTRE) < 25.0


def test_real_postcode_centroids_lie_where_the_towns_are() -> None:
    """Not placeholders: the centroids agree with the known town centres within a few kilometres."""
    known = {
        "41460": (51.1981, 6.6916, 3.0),  # Neuss, Innenstadt
        "41539": (51.0951, 6.8403, 3.0),  # Dormagen, Innenstadt
        "10117": (52.5170, 13.3889, 3.0),  # Berlin-Mitte
        "80331": (48.1372, 11.5756, 3.0),  # München, Altstadt
        "50667": (50.9384, 6.9583, 3.0),  # Köln, Altstadt-Nord
    }
    for code, (lat, lon, km) in known.items():
        place = place_for_postcode(code)
        assert place is not None
        assert haversine_km(place.latitude, place.longitude, lat, lon) < km, code


@pytest.mark.parametrize(
    ("text", "label", "precision"),
    [
        ("41460", "41460 Neuss", "postcode"),
        (" 41460 ", "41460 Neuss", "postcode"),
        ("41460 Neuss", "41460 Neuss", "postcode"),
        ("41460 neuss", "41460 Neuss", "postcode"),
        ("Neuss, 41460", "41460 Neuss", "postcode"),
        ("Neuss", "Neuss", "town"),
        ("neuss", "Neuss", "town"),
        ("  NEUSS ", "Neuss", "town"),
        ("Grevenbroich-Kapellen", "Grevenbroich", "town"),  # district suffix → the town
        ("Neuss-Holzheim", "Neuss", "town"),
        ("Mönchengladbach", "Mönchengladbach", "town"),
        ("moenchengladbach", "Mönchengladbach", "town"),
        ("Monchengladbach", "Mönchengladbach", "town"),
        ("Jüchen", "Jüchen", "town"),
        ("Juechen", "Jüchen", "town"),
        ("Großenhain", "Großenhain", "town"),
        ("Grossenhain", "Großenhain", "town"),  # ß / ss
        ("Frankfurt", "Frankfurt am Main", "town"),  # the larger of the places so named
        ("Markt 2, 41460 Neuss", "41460 Neuss", "postcode"),  # no geocoder: the postcode
        ("Markt 2, Neuss", "Neuss", "town"),  # no geocoder, no postcode: the town
        ("Am Neumarkt 3 Kaarst", "Kaarst", "town"),
        ("Hauptstraße 5, Grevenbroich-Kapellen", "Grevenbroich", "town"),
    ],
)
def test_what_people_type(text: str, label: str, precision: str) -> None:
    place = geocode(text)
    assert place is not None
    assert (place.label, place.precision) == (label, precision)


@pytest.mark.parametrize("text", ["", "   ", "00000", "99999", "Atlantis", "1234", "Markt 2"])
def test_unknown_input_is_none(text: str) -> None:
    assert geocode(text) is None


def test_places_of_the_same_name_far_apart_are_kept_apart() -> None:
    candidates = town_candidates("Neustadt")
    assert len(candidates) > 5
    # Each one is a real place, none the nonsense mean of all of them in the middle of Germany.
    for a in candidates:
        for b in candidates:
            if a is not b:
                assert haversine_km(a.latitude, a.longitude, b.latitude, b.longitude) > 1.0
    halle = place_for_town("Halle (Saale)")
    assert halle is not None and halle.label == "Halle (Saale)"
    shared = [p for p in town_candidates("Halle") if p.label.startswith("Halle (")]
    assert all("(" in p.label for p in shared)


def test_town_names_for_a_datalist() -> None:
    names = town_names()
    assert len(names) == len(PLACES)
    assert "Neuss" in names and "Mönchengladbach" in names
    near = town_names(near=NEUSS_CENTRE, radius_km=15)
    assert set(RHEIN_KREIS_NEUSS) - {"Rommerskirchen", "Jüchen"} <= set(near)
    assert "Berlin" not in near
    assert near == sorted(near, key=geocoding.normalise)


# --- properties --------------------------------------------------------------------------------------

rows = st.sampled_from(ROWS)
place_names = st.sampled_from(PLACES)
spaces = st.text(alphabet=" \t", max_size=3)


def _respell(name: str, umlauts: bool, case: int) -> str:
    if umlauts:
        for a, b in (
            ("ä", "ae"),
            ("ö", "oe"),
            ("ü", "ue"),
            ("Ä", "Ae"),
            ("Ö", "Oe"),
            ("Ü", "Ue"),
            ("ß", "ss"),
        ):
            name = name.replace(a, b)
    return (name, name.lower(), name.upper())[case]


@given(row=rows, before=spaces, after=spaces, town_first=st.booleans())
def test_postcode_with_its_own_place_is_the_postcode(
    row: dict[str, str], before: str, after: str, town_first: bool
) -> None:
    text = f"{row['place']}, {row['postcode']}" if town_first else f"{row['postcode']} {row['place']}"
    place = geocode(before + text + after)
    assert place == place_for_postcode(row["postcode"])


@given(name=place_names, umlauts=st.booleans(), case=st.integers(0, 2), before=spaces, after=spaces)
def test_spelling_variants_find_the_same_town(
    name: str, umlauts: bool, case: int, before: str, after: str
) -> None:
    assert geocode(before + _respell(name, umlauts, case) + after) == place_for_town(name)


@hypothesis_settings(max_examples=300)
@given(text=st.text(max_size=60))
def test_any_text_gives_a_place_in_germany_or_none(text: str) -> None:
    place = geocode(text)
    assert place is None or (
        47.0 < place.latitude < 55.2 and 5.5 < place.longitude < 15.5 and len(place.label) <= 200
    )


# --- address geocoders -------------------------------------------------------------------------------

MARKT_NEUSS = (51.19814, 6.68922)  # what the fake geocoder answers for the Markt in Neuss


@dataclass
class FakeGeocoder:
    """Nominatim's ``/search`` and Photon's ``/api`` on 127.0.0.1, answering by the query text."""

    url: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[str, tuple[int, bytes, float]] = field(default_factory=dict)  # q → status, body, delay

    def answer(self, q: str, body: Any, *, status: int = 200, delay: float = 0.0) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.answers[q] = (status, raw, delay)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeGeocoder]:
    state = FakeGeocoder()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            state.requests.append({"path": parts.path, "query": query, "headers": dict(self.headers)})
            status, body, delay = state.answers.get(query.get("q", ""), (200, b"[]", 0.0))
            if parts.path == "/api" and body == b"[]":
                body = b'{"type": "FeatureCollection", "features": []}'
            time.sleep(delay)
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def geocoder(fake: FakeGeocoder, settings: SettingsWrapper, request: pytest.FixtureRequest) -> FakeGeocoder:
    settings.CARE_GEOCODER = request.param
    settings.CARE_GEOCODER_URL = fake.url + "/"
    settings.CARE_GEOCODER_USER_AGENT = "Amtsweg-Pflegefinder-Test (pflege@test.example)"
    settings.CARE_GEOCODER_TIMEOUT = 0.5
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    caches["default"].clear()
    fake.requests.clear()
    fake.answers.clear()
    return fake


def _nominatim_hit(lat: float, lon: float) -> list[dict[str, Any]]:
    return [{"lat": f"{lat}", "lon": f"{lon}", "display_name": "2, Markt, Neuss, 41460, Deutschland"}]


def _photon_hit(lat: float, lon: float, country: str = "DE") -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": {"countrycode": country, "street": "Markt", "housenumber": "2"},
            }
        ],
    }


def _hit(kind: str, lat: float, lon: float) -> Any:
    return _nominatim_hit(lat, lon) if kind == "nominatim" else _photon_hit(lat, lon)


ADDRESS = "Markt 2, 41460 Neuss"
BOTH = pytest.mark.parametrize("geocoder", ["nominatim", "photon"], indirect=True)


@BOTH
def test_an_address_is_asked_the_configured_geocoder(
    geocoder: FakeGeocoder, settings: SettingsWrapper
) -> None:
    geocoder.answer(ADDRESS, _hit(settings.CARE_GEOCODER, *MARKT_NEUSS))
    place = geocode(ADDRESS)
    assert place == Place(MARKT_NEUSS[0], MARKT_NEUSS[1], ADDRESS, "address")
    (sent,) = geocoder.requests
    assert sent["headers"]["User-Agent"] == settings.CARE_GEOCODER_USER_AGENT
    assert sent["query"]["q"] == ADDRESS and sent["query"]["limit"] == "1"
    if settings.CARE_GEOCODER == "nominatim":
        assert sent["path"] == "/search"
        assert sent["query"]["format"] == "jsonv2" and sent["query"]["countrycodes"] == "de"
    else:
        assert sent["path"] == "/api"
        assert sent["query"]["lang"] == "de" and sent["query"]["bbox"] == geocoding.PHOTON_BBOX


@BOTH
def test_answers_are_cached_for_a_day_under_a_key_without_the_address(
    geocoder: FakeGeocoder, settings: SettingsWrapper
) -> None:
    geocoder.answer(ADDRESS, _hit(settings.CARE_GEOCODER, *MARKT_NEUSS))
    first = geocode(ADDRESS)
    assert geocode("  Markt 2,  41460 NEUSS ") is not None  # the same address, normalised
    assert geocode(ADDRESS) == first
    assert len(geocoder.requests) == 1
    cache = caches["default"]
    keys = list(cache._cache)  # type: ignore[attr-defined]
    assert keys and not any("Markt" in key or "Neuss" in key for key in keys)
    assert all(cache._expire_info[key] - time.time() > 23 * 3600 for key in keys)  # type: ignore[attr-defined]


@BOTH
def test_postcodes_and_towns_never_go_to_the_geocoder(geocoder: FakeGeocoder) -> None:
    for text in ("41460", "41460 Neuss", "Neuss", "Mönchengladbach"):
        assert geocode(text) is not None
    assert geocoder.requests == []


@BOTH
def test_a_district_the_table_does_not_know_goes_to_the_geocoder(
    geocoder: FakeGeocoder, settings: SettingsWrapper
) -> None:
    kapellen = (51.1431, 6.6091)
    geocoder.answer("Grevenbroich-Kapellen", _hit(settings.CARE_GEOCODER, *kapellen))
    place = geocode("Grevenbroich-Kapellen")
    assert place is not None and place.precision == "address"
    assert (place.latitude, place.longitude) == kapellen


@pytest.mark.parametrize(
    ("geocoder", "body", "status", "delay", "warns"),
    [
        ("nominatim", b"[]", 200, 0.0, False),  # nothing found
        ("nominatim", None, 200, 1.5, True),  # timeout
        ("nominatim", b"<html>Bad Gateway</html>", 502, 0.0, True),
        ("nominatim", b"this is not JSON", 200, 0.0, True),
        ("nominatim", b'{"error": "Unable to geocode"}', 200, 0.0, True),
        ("nominatim", b'[{"lat": "north", "lon": "6.7"}]', 200, 0.0, True),
        ("nominatim", b'[{"lat": "40.7128", "lon": "-74.0060"}]', 200, 0.0, True),  # outside Germany
        ("photon", b'{"type": "FeatureCollection", "features": []}', 200, 0.0, False),
        ("photon", None, 200, 1.5, True),
        ("photon", b"", 500, 0.0, True),
        ("photon", b"{", 200, 0.0, True),
        ("photon", b'{"features": [{"geometry": {}}]}', 200, 0.0, True),
        ("photon", json.dumps(_photon_hit(50.85, 4.35, "BE")).encode(), 200, 0.0, False),  # not DE
    ],
    indirect=["geocoder"],
)
def test_the_geocoder_failing_falls_back_to_the_table_and_logs_no_address(
    geocoder: FakeGeocoder,
    body: bytes | None,
    status: int,
    delay: float,
    warns: bool,
    caplog: pytest.LogCaptureFixture,
    settings: SettingsWrapper,
) -> None:
    answer = body if body is not None else _hit(settings.CARE_GEOCODER, *MARKT_NEUSS)
    geocoder.answer(ADDRESS, answer, status=status, delay=delay)
    started = time.monotonic()
    # INFO is the production log level; urllib3 logs URLs (with the query) at DEBUG only.
    with caplog.at_level(logging.INFO):
        place = geocode(ADDRESS)
    assert time.monotonic() - started < 1.4  # the timeout holds
    assert place == place_for_postcode("41460")  # the postcode in the text, precision "postcode"
    assert len(geocoder.requests) == 1
    for record in caplog.records:
        message = record.getMessage()
        assert "Markt" not in message and "41460" not in message and "Neuss" not in message
    warnings = [r for r in caplog.records if r.name == geocoding.__name__ and r.levelno == logging.WARNING]
    assert bool(warnings) == warns


@pytest.mark.parametrize("geocoder", ["nominatim"], indirect=True)
def test_failures_are_not_cached_but_not_found_is(geocoder: FakeGeocoder) -> None:
    geocoder.answer(ADDRESS, b"oops", status=503)
    geocode(ADDRESS)
    geocoder.answer(ADDRESS, _nominatim_hit(*MARKT_NEUSS))
    place = geocode(ADDRESS)
    assert place is not None and place.precision == "address"  # asked again after the failure
    geocoder.answer("Nirgendwo 1, Neuss", b"[]")
    assert geocode("Nirgendwo 1, Neuss") == place_for_town("Neuss")
    assert geocode("Nirgendwo 1, Neuss") == place_for_town("Neuss")
    asked = [r["query"]["q"] for r in geocoder.requests]
    assert asked == [ADDRESS, ADDRESS, "Nirgendwo 1, Neuss"]


@pytest.mark.parametrize("geocoder", ["nominatim"], indirect=True)
def test_without_url_no_geocoder_is_asked(geocoder: FakeGeocoder, settings: SettingsWrapper) -> None:
    settings.CARE_GEOCODER_URL = ""
    assert geocode(ADDRESS) == place_for_postcode("41460")
    settings.CARE_GEOCODER, settings.CARE_GEOCODER_URL = "google", geocoder.url
    assert geocode(ADDRESS) == place_for_postcode("41460")
    assert geocoder.requests == []
