"""The public read API of the care finder: search with filters, detail, code lists, errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.testing import World

from ..models import CareType
from ..services import ReportLine, vacancy_report_submit
from .factories import DORMAGEN, NEUSS, CareSetup, care_setup, make_facility

pytestmark = pytest.mark.django_db
API = "/api/v1/care"


@pytest.fixture
def care(world: World) -> CareSetup:
    setup = care_setup(world)
    vacancy_report_submit(
        facility=setup.st_quirin,
        actor=setup.operator_user,
        lines=[
            ReportLine(care_type=CareType.FULL_TIME, free_places=2),
            ReportLine(care_type=CareType.SHORT_TERM, free_places=0),
        ],
        channel="web",
        now=timezone.now() - timedelta(hours=3),
    )
    return setup


def test_search_by_postcode(client: Client, care: CareSetup) -> None:
    response = client.get(f"{API}/facilities", {"postcode": "41460", "radius_km": "10"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2 and body["place"]["precision"] == "postcode"
    names = [r["name"] for r in body["results"]]
    assert names == ["Seniorenzentrum St. Quirin", "Haus am Stadtpark"]
    quirin = body["results"][0]
    assert quirin["status"] == "green"
    assert quirin["last_reported_at"] is not None and quirin["stale"] is False
    assert {o["care_type"]: o["status"] for o in quirin["offers"]} == {
        "kurzzeitpflege": "red",
        "vollstationaer": "green",
    }
    assert all(o["reported_at"] for o in quirin["offers"])
    assert quirin["specialisations"] == ["demenz", "palliativ"]
    stadtpark = body["results"][1]
    assert stadtpark["status"] == "unknown" and stadtpark["last_reported_at"] is None and stadtpark["stale"]


def test_filters(client: Client, care: CareSetup) -> None:
    lat, lon = DORMAGEN

    def names(**params: str) -> list[str]:
        response = client.get(f"{API}/facilities", params)
        assert response.status_code == 200, response.content
        return [r["name"] for r in response.json()["results"]]

    assert names(lat=str(lat), lon=str(lon), radius_km="3") == ["Tagespflege Rheinblick"]
    assert names(town="Neuss", radius_km="30", care_type="tagespflege") == ["Tagespflege Rheinblick"]
    assert names(town="Neuss", radius_km="10", specialisation="haustiere") == ["Haus am Stadtpark"]
    assert names(town="Neuss", radius_km="10", specialisation="demenz,palliativ") == [
        "Seniorenzentrum St. Quirin"
    ]
    assert names(town="Neuss", radius_km="10", language="tr") == ["Haus am Stadtpark"]
    assert names(town="Neuss", radius_km="10", only_available="true") == ["Seniorenzentrum St. Quirin"]
    assert names(town="Neuss", radius_km="10", care_type="kurzzeitpflege", only_available="true") == []
    assert names(q="41460 Neuss", radius_km="10", limit="1", offset="1") == ["Haus am Stadtpark"]


def test_needed_on_counts_expected_places(client: Client, care: CareSetup) -> None:
    day = timezone.localdate() + timedelta(days=10)
    vacancy_report_submit(
        facility=care.am_stadtpark,
        actor=care.other_operator_user,
        lines=[ReportLine(care_type=CareType.FULL_TIME, free_places=0, expected=[(day, 1)])],
        channel="api",
    )
    params = {"postcode": "41464", "radius_km": "2", "care_type": "vollstationaer"}
    now_body = client.get(f"{API}/facilities", params).json()
    later_body = client.get(f"{API}/facilities", {**params, "needed_on": day.isoformat()}).json()
    park = next(r for r in now_body["results"] if r["name"] == "Haus am Stadtpark")
    assert park["status"] == "red"
    park = next(r for r in later_body["results"] if r["name"] == "Haus am Stadtpark")
    assert (
        park["status"] == "yellow" and park["offers"][0]["places"] == 1 and park["offers"][0]["free_now"] == 0
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"lat": "51.2"}, "lon"),
        ({"lat": "north", "lon": "6.7"}, "lat"),
        ({"lat": "95", "lon": "6.7"}, "lat"),
        ({"postcode": "4146"}, "postcode"),
        ({"postcode": "99999"}, "postcode"),
        ({"town": "Atlantis an der Spree"}, "town"),
        ({"postcode": "41460", "radius_km": "0.1"}, "radius_km"),
        ({"postcode": "41460", "radius_km": "nan"}, "radius_km"),
        ({"postcode": "41460", "care_type": "x"}, "care_type"),
        ({"postcode": "41460", "needed_on": "2001-01-01"}, "needed_on"),
        ({"postcode": "41460", "specialisation": "demenz,x"}, "specialisation"),
        ({"postcode": "41460", "language": "türkisch"}, "language"),
        ({"postcode": "41460", "sort": "name"}, "sort"),
        ({"postcode": "41460", "limit": "1000"}, "limit"),
        ({"postcode": "41460", "only_available": "vielleicht"}, "only_available"),
    ],
)
def test_bad_input_is_problem_json(
    client: Client, care: CareSetup, params: dict[str, str], field: str
) -> None:
    response = client.get(f"{API}/facilities", params)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["field"] == field, body
    assert body["code"] == "care-search-invalid"
    assert body["detail_de"] and body["detail"] and body["detail_de"] != body["detail"]


def test_detail(client: Client, care: CareSetup) -> None:
    body = client.get(f"{API}/facilities/{care.st_quirin.pk}").json()
    assert body["name"] == "Seniorenzentrum St. Quirin" and body["operator"] == "Sonnenhof Pflege gGmbH"
    assert {o["care_type"] for o in body["offers"]} == {"vollstationaer", "kurzzeitpflege"}
    assert body["last_reported_at"] is not None and body["stale_after_hours"] == 48


def test_detail_404_for_inactive_and_unknown(client: Client, care: CareSetup) -> None:
    care.st_quirin.active = False
    care.st_quirin.save()
    for pk in (care.st_quirin.pk, 999_999):
        response = client.get(f"{API}/facilities/{pk}")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
    # An inactive facility is not found by the search either.
    names = [r["name"] for r in client.get(f"{API}/facilities", {"town": "Neuss"}).json()["results"]]
    assert "Seniorenzentrum St. Quirin" not in names


def test_meta(client: Client, care: CareSetup) -> None:
    body = client.get(f"{API}/meta").json()
    assert "tagespflege" in [c["code"] for c in body["care_types"]]
    assert "demenz" in [s["code"] for s in body["specialisations"]]
    assert body["max_radius_km"] == 100 and body["default_radius_km"] == 5


def test_list_query_count_is_constant(client: Client, care: CareSetup) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(f"{API}/facilities", {"town": "Neuss", "radius_km": "20"}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    for i in range(25):
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
    assert queries() == few <= 3


def test_openapi_documents_the_search(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/care/facilities"]["get"]
    parameters = {p["name"] for p in operation["parameters"]}
    assert {"postcode", "radius_km", "care_type", "lat", "lon", "needed_on", "specialisation"} <= parameters
    assert (
        "/api/v1/care/facilities/{id}" in schema["paths"] or "/api/v1/care/facilities/{pk}" in schema["paths"]
    )
