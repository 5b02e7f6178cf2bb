"""The public search page, detail page and shortlist without JavaScript (plain HTTP requests)."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.testing import World

from ..models import CareOffer, CareType
from ..services import ReportLine, vacancy_report_submit
from ..shortlist import MAX_ITEMS, SESSION_KEY, share_token
from .factories import NEUSS, CareSetup, care_setup, make_facility

pytestmark = pytest.mark.django_db


def map_built() -> bool:
    from ..views_portal import LEAFLET_DIR

    return (LEAFLET_DIR / "leaflet.js").is_file()


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def _report(care: CareSetup, facility_attr: str, care_type: str, free: int, *, hours_ago: float = 1) -> None:
    facility = getattr(care, facility_attr)
    vacancy_report_submit(
        facility=facility,
        actor=care.operator_user if facility.operator == care.operator else care.other_operator_user,
        lines=[ReportLine(care_type=care_type, free_places=free)],
        channel="web",
        now=timezone.now() - timedelta(hours=hours_ago),
    )


def test_empty_form_without_error(client: Client, care: CareSetup) -> None:
    response = client.get("/pflegefinder/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label class="field__label" for="id_q">' in html
    assert "<legend>" in html
    assert "Bitte prüfen" not in html
    assert "<script>" not in html  # CSP: no inline script
    assert "© OpenStreetMap-Mitwirkende (ODbL), aufbereitet von OpenDataSoft" in html  # the table's licence


def test_search_by_postcode_lists_results_with_status_and_report_time(
    client: Client, care: CareSetup
) -> None:
    _report(care, "st_quirin", CareType.FULL_TIME, 3)
    _report(care, "am_stadtpark", CareType.FULL_TIME, 0, hours_ago=72)  # stale (finder: 48 h)
    response = client.get("/pflegefinder/", {"q": "41460", "radius_km": "10", "care_type": "vollstationaer"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Seniorenzentrum St. Quirin" in html and "Haus am Stadtpark" in html
    assert "Tagespflege Rheinblick" not in html  # Dormagen, other care type
    assert "mehrere frei" in html and "belegt" in html
    assert "care-light--green" in html and "care-light--red" in html
    assert re.search(r'gemeldet vor .*<time datetime="\d{4}-\d\d-\d\dT', html)
    assert html.count("veraltet") == 1  # only the 72-hour-old report
    assert "2 Einrichtungen im Umkreis von 10 km" in html
    # Nearest first: St. Quirin lies almost on the postcode centroid.
    assert html.index("Seniorenzentrum St. Quirin") < html.index("Haus am Stadtpark")
    # The alert link carries the search; the operator and open-data links are there.
    assert 'platz-alarm/?q=41460&amp;radius_km=10&amp;care_type=vollstationaer"' in html
    assert '<option value="10" selected>' in html
    assert "/pflegefinder/meine-einrichtungen/" in html and "/pflegefinder/open-data/" in html


def test_sort_by_freshness_and_only_available(client: Client, care: CareSetup) -> None:
    _report(care, "st_quirin", CareType.FULL_TIME, 1, hours_ago=30)
    _report(care, "am_stadtpark", CareType.FULL_TIME, 0, hours_ago=2)
    html = client.get(
        "/pflegefinder/",
        {"q": "Neuss", "radius_km": "10", "care_type": "vollstationaer", "sort": "freshness"},
    ).content.decode()
    assert html.index("Haus am Stadtpark") < html.index("Seniorenzentrum St. Quirin")
    html = client.get(
        "/pflegefinder/",
        {"q": "Neuss", "radius_km": "10", "care_type": "vollstationaer", "only_available": "1"},
    ).content.decode()
    assert "Seniorenzentrum St. Quirin" in html and "Haus am Stadtpark" not in html
    assert "1 frei" in html


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"q": "99999"}, "q", "Die Postleitzahl 99999 ist nicht bekannt."),
        ({"q": "Xyzzyhausen"}, "q", "keinen Ort gefunden"),
        ({"q": "41460", "radius_km": "500"}, "radius_km", "zwischen 0.5 und 100 km"),
        ({"q": "41460", "needed_on": "2020-01-01"}, "needed_on", "Vergangenheit"),
        ({"q": "41460", "needed_on": "morgen"}, "needed_on", "JJJJ-MM-TT"),
        ({"q": "41460", "specialisation": "zauberei"}, "specialisation", "Unbekannter Schwerpunkt"),
        ({"q": "41460", "care_type": "luxus"}, "care_type", "Versorgungsart"),
    ],
)
def test_errors_in_an_error_summary_linked_to_the_field(
    client: Client, care: CareSetup, params: dict[str, str], field: str, message: str
) -> None:
    response = client.get("/pflegefinder/", params)
    assert response.status_code == 400
    html = response.content.decode()
    summary = html[html.index('id="fehler"') : html.index("</div>", html.index('id="fehler"'))]
    assert f'href="#id_{field}"' in summary and message in summary
    assert f'id="id_{field}"' in html  # the link target exists
    assert "care-hits" not in html


def test_paging_and_no_results_hint(client: Client, care: CareSetup) -> None:
    for i in range(23):
        make_facility(
            finder=care.finder,
            operator=care.operator,
            name=f"Pflegehaus {i:02d}",
            street="Markt 1",
            postcode="41460",
            town="Neuss",
            latitude=NEUSS[0] + i * 0.001,
            longitude=NEUSS[1],
            offers={CareType.NIGHT_CARE: 4},
        )
    params = {"q": "41460", "care_type": "nachtpflege"}
    first = client.get("/pflegefinder/", params).content.decode()
    assert "Seite 1 von 2" in first and first.count('class="result care-hit"') == 20
    assert "seite=2" in first
    second = client.get("/pflegefinder/", {**params, "seite": "2"}).content.decode()
    assert second.count('class="result care-hit"') == 3 and "Pflegehaus 22" in second
    assert "Pflegehaus 00" not in second

    none = client.get("/pflegefinder/", {"q": "41460", "care_type": "wohngemeinschaft"})
    html = none.content.decode()
    assert none.status_code == 200
    assert "keine passende Einrichtung" in html
    assert "radius_km=10" in html  # the link that widens the radius


def test_detail_shows_everything(client: Client, care: CareSetup) -> None:
    offer = CareOffer.objects.get(facility=care.st_quirin, care_type=CareType.FULL_TIME)
    offer.own_share = {"3": "2890.00", "2": "2480.00"}
    offer.save()
    vacancy_report_submit(
        facility=care.st_quirin,
        actor=care.operator_user,
        lines=[
            ReportLine(
                care_type=CareType.FULL_TIME,
                free_places=0,
                expected=[(timezone.localdate() + timedelta(days=7), 2)],
            )
        ],
        channel="web",
    )
    html = client.get(f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/").content.decode()
    assert "Sonnenhof Pflege gGmbH" in html
    assert "Demenz" in html and "Palliativpflege" in html
    assert "2480.00 €" in html and html.index("2480.00") < html.index("2890.00")
    assert "Erwartete freie Plätze" in html
    assert "keine Meldung" in html  # Kurzzeitpflege never reported
    assert "belegt" in html


def test_detail_of_inactive_facility_is_404(client: Client, care: CareSetup) -> None:
    care.st_quirin.active = False
    care.st_quirin.save()
    assert client.get(f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/").status_code == 404
    care.finder.enabled = False
    care.finder.save()
    assert client.get(f"/pflegefinder/einrichtungen/{care.rheinblick.pk}/").status_code == 404


def test_shortlist_add_remove_share(client: Client, care: CareSetup) -> None:
    _report(care, "rheinblick", CareType.DAY_CARE, 5)
    back = "/pflegefinder/?q=41460"
    response = client.post(f"/pflegefinder/merkliste/hinzufuegen/{care.rheinblick.pk}/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    client.post(f"/pflegefinder/merkliste/hinzufuegen/{care.st_quirin.pk}/")
    client.post(f"/pflegefinder/merkliste/hinzufuegen/{care.st_quirin.pk}/")  # twice: once on the list
    assert client.session[SESSION_KEY] == [care.rheinblick.pk, care.st_quirin.pk]
    # An open redirect is not followed.
    response = client.post(
        f"/pflegefinder/merkliste/hinzufuegen/{care.am_stadtpark.pk}/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == "/pflegefinder/merkliste/"

    html = client.get("/pflegefinder/merkliste/").content.decode()
    assert "Tagespflege Rheinblick" in html and "mehrere frei" in html
    link = re.search(r'href="(https?://[^"]+/pflegefinder/merkliste/([^"/]+)/)"', html)
    assert link is not None
    client.post(f"/pflegefinder/merkliste/entfernen/{care.rheinblick.pk}/")
    assert care.rheinblick.pk not in client.session[SESSION_KEY]

    # The share link opens read-only in another browser, with the list as it was shared.
    other = Client()
    shared = other.get(f"/pflegefinder/merkliste/{link.group(2)}/")
    assert shared.status_code == 200
    body = shared.content.decode()
    assert "Geteilte Merkliste" in body and "Tagespflege Rheinblick" in body
    assert "entfernen" not in body and "csrfmiddlewaretoken" not in body.split("<main", 1)[1]
    assert shared["Referrer-Policy"] == "no-referrer"


def test_shortlist_limits_and_unknown_facility(client: Client, care: CareSetup) -> None:
    assert client.post("/pflegefinder/merkliste/hinzufuegen/999999/").status_code == 404
    assert client.get("/pflegefinder/merkliste/hinzufuegen/1/").status_code == 405
    session = client.session
    session[SESSION_KEY] = list(range(100_000, 100_000 + MAX_ITEMS))
    session.save()
    client.post(f"/pflegefinder/merkliste/hinzufuegen/{care.st_quirin.pk}/")
    assert care.st_quirin.pk not in client.session[SESSION_KEY]
    html = client.get("/pflegefinder/merkliste/").content.decode()
    assert "Merkliste ist voll" in html


def test_tampered_share_link_is_404(client: Client, care: CareSetup) -> None:
    token = share_token([care.st_quirin.pk])
    assert client.get(f"/pflegefinder/merkliste/{token}/").status_code == 200
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/pflegefinder/merkliste/{tampered}/").status_code == 404
    assert client.get("/pflegefinder/merkliste/kein-token/").status_code == 404
    # A token of another salt (e.g. another signed value of the platform) is not a shortlist.
    from django.core import signing

    foreign = signing.dumps([care.st_quirin.pk], salt="something.else", compress=True)
    assert client.get(f"/pflegefinder/merkliste/{foreign}/").status_code == 404


def test_map_data_island_and_constant_queries(client: Client, care: CareSetup, settings: Any) -> None:
    settings.CARE_MAP_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    _report(care, "st_quirin", CareType.FULL_TIME, 3)
    params = {"q": "41460", "radius_km": "20"}

    def render() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get("/pflegefinder/", params)
        assert response.status_code == 200
        return response.content.decode(), len(ctx.captured_queries)

    html, few = render()
    if map_built():
        island = re.search(r'<script id="care-map-data" type="application/json">(.*?)</script>', html, re.S)
        assert island is not None
        data = json.loads(island.group(1))
        assert data["tiles"] == settings.CARE_MAP_TILE_URL and data["radius_km"] == 20
        assert {m["name"] for m in data["markers"]} == {
            "Seniorenzentrum St. Quirin",
            "Haus am Stadtpark",
            "Tagespflege Rheinblick",
        }
        assert "Die Karte zeigt dieselben Einrichtungen wie die Liste" in html  # the text alternative
    for i in range(15):
        make_facility(
            finder=care.finder,
            operator=care.operator,
            name=f"Haus {i}",
            street="Markt 1",
            postcode="41460",
            town="Neuss",
            latitude=NEUSS[0] + i * 0.002,
            longitude=NEUSS[1],
            offers={CareType.FULL_TIME: 10, CareType.DAY_CARE: 5},
        )
    html, many = render()
    assert html.count('class="result care-hit"') == 18
    assert many == few


def test_page_without_leaflet_build_or_tiles_lists_everything(
    client: Client, care: CareSetup, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from .. import views_portal

    monkeypatch.setattr(views_portal, "LEAFLET_DIR", tmp_path)  # not built
    html = client.get("/pflegefinder/", {"q": "41460", "radius_km": "20"}).content.decode()
    assert "care-map-data" not in html and "leaflet.js" not in html
    assert html.count('class="result care-hit"') == 3
    monkeypatch.undo()
    settings.CARE_MAP_TILE_URL = ""
    html = client.get("/pflegefinder/", {"q": "41460", "radius_km": "20"}).content.decode()
    assert "care-map-data" not in html and html.count('class="result care-hit"') == 3


def test_position_search_and_unlisted_radius(client: Client, care: CareSetup) -> None:
    response = client.get("/pflegefinder/", {"lat": "51.0951", "lon": "6.8403", "radius_km": "3"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tagespflege Rheinblick" in html and "Seniorenzentrum St. Quirin" not in html
    assert "um Ihr Standort" in html
    assert '<option value="3" selected>' in html  # a radius from a link stays selected
    assert "platz-alarm/?lat=51.0951&amp;lon=6.8403&amp;radius_km=3" in html
    # Only one of the coordinates: an error on the place field.
    response = client.get("/pflegefinder/", {"lat": "51.0951"})
    assert response.status_code == 400 and 'href="#id_q"' in response.content.decode()
