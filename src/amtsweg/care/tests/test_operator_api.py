"""The operators' write API: facilities, reports with Idempotency-Key, history, details; problem+json
errors; OpenAPI."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework.authtoken.models import Token

from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World

from ..models import CareOffer, CareType, Facility, VacancyReport
from ..services import ALERT_MATCH_KIND
from .factories import CareSetup, care_setup

pytestmark = pytest.mark.django_db

API = "/api/v1/care/operator/facilities"
FULL, SHORT = CareType.FULL_TIME.value, CareType.SHORT_TERM.value


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


@pytest.fixture
def api(care: CareSetup) -> Client:
    token = Token.objects.create(user=care.operator_user)
    return Client(headers={"Authorization": f"Token {token.key}"})


def _post(api: Client, facility: Facility, body: dict[str, Any], key: str = "") -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"{API}/{facility.pk}/reports", body, content_type="application/json", headers=headers)


def test_list_of_own_facilities(api: Client) -> None:
    response = api.get(API)
    assert response.status_code == 200
    rows = response.json()
    assert [r["name"] for r in rows] == ["Seniorenzentrum St. Quirin", "Tagespflege Rheinblick"]
    quirin = rows[0]
    assert quirin["specialisations"] == ["demenz", "palliativ"]
    assert {o["care_type"]: o["capacity"] for o in quirin["offers"]} == {FULL: 80, SHORT: 6}
    assert quirin["offers"][0]["free_now"] is None and quirin["offers"][0]["reported_at"] is None


def test_anonymous_is_refused_as_problem() -> None:
    response = Client().get(API)
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_report_created_and_current_state_updated(care: CareSetup, api: Client) -> None:
    day = (timezone.localdate() + timedelta(days=7)).isoformat()
    body = {
        "lines": [
            {"care_type": FULL, "free_places": 2, "expected": [{"date": day, "places": 1}]},
            {"care_type": SHORT, "free_places": 0},
        ]
    }
    response = _post(api, care.st_quirin, body)
    assert response.status_code == 201, response.content
    rows = response.json()
    assert [(r["care_type"], r["free_places"], r["channel"]) for r in rows] == [
        (FULL, 2, "api"),
        (SHORT, 0, "api"),
    ]
    assert rows[0]["expected"] == [{"date": day, "places": 1}]
    offer = CareOffer.objects.get(facility=care.st_quirin, care_type=FULL)
    assert offer.free_now == 2 and offer.reported_at is not None
    assert OutboxMessage.objects.filter(kind=ALERT_MATCH_KIND).count() == 1  # the offer became free
    assert VacancyReport.objects.get(pk=rows[0]["id"]).reported_by == care.operator_user


def test_idempotency_key_stores_once(care: CareSetup, api: Client) -> None:
    body = {"lines": [{"care_type": FULL, "free_places": 3}, {"care_type": SHORT, "free_places": 1}]}
    first = _post(api, care.st_quirin, body, key="a6c1f1b2-1")
    second = _post(api, care.st_quirin, body, key="a6c1f1b2-1")
    assert first.status_code == 201 and second.status_code == 200
    assert [r["id"] for r in first.json()] == [r["id"] for r in second.json()]
    assert VacancyReport.objects.filter(offer__care_type=FULL).count() == 1
    assert VacancyReport.objects.filter(offer__care_type=SHORT).count() == 1
    third = _post(api, care.st_quirin, body, key="a6c1f1b2-2")
    assert third.status_code == 201
    assert VacancyReport.objects.count() == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"lines": [{"care_type": FULL, "free_places": 81}]}, FULL),
        ({"lines": [{"care_type": FULL, "free_places": -1}]}, "lines"),
        ({"lines": [{"care_type": "tagespflege", "free_places": 1}]}, "tagespflege"),
        ({"lines": [{"care_type": "raumstation", "free_places": 1}]}, "lines"),
        ({"lines": []}, "lines"),
        (
            {"lines": [{"care_type": FULL, "free_places": 1}, {"care_type": FULL, "free_places": 2}]},
            "care_type",
        ),
        (
            {
                "lines": [
                    {"care_type": FULL, "free_places": 1, "expected": [{"date": "2020-01-01", "places": 1}]}
                ]
            },
            f"{FULL}.expected",
        ),
        (
            {"lines": [{"care_type": FULL, "free_places": 1, "expected": [{"date": "morgen", "places": 1}]}]},
            "lines",
        ),
    ],
)
def test_invalid_reports_are_problems_and_store_nothing(
    care: CareSetup, api: Client, body: dict[str, Any], field: str
) -> None:
    response = _post(api, care.st_quirin, body, key="bad")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert field in str(problem), problem
    assert not VacancyReport.objects.exists()


def test_history_is_paginated_newest_first(care: CareSetup, api: Client) -> None:
    for i in range(3):
        assert (
            _post(
                api, care.rheinblick, {"lines": [{"care_type": "tagespflege", "free_places": i}]}
            ).status_code
            == 201
        )
    body = api.get(f"{API}/{care.rheinblick.pk}/reports?limit=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert [r["free_places"] for r in body["results"]] == [2, 1]


def test_patch_details(care: CareSetup, api: Client) -> None:
    response = api.patch(
        f"{API}/{care.st_quirin.pk}",
        {
            "phone": "02131 777",
            "languages": ["tr", "de"],
            "specialisations": ["demenz"],
            "own_share": {FULL: {"2": "2480.00", "3": None}},
        },
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    row = response.json()
    assert (
        row["phone"] == "02131 777"
        and row["languages"] == ["de", "tr"]
        and row["specialisations"] == ["demenz"]
    )
    full = next(o for o in row["offers"] if o["care_type"] == FULL)
    assert full["own_share"] == {"2": "2480.00"}
    facility = Facility.objects.get(pk=care.st_quirin.pk)
    assert facility.email == care.st_quirin.email  # untouched by a partial update
    refused = api.patch(
        f"{API}/{care.st_quirin.pk}",
        {"own_share": {"tagespflege": {"2": "1.00"}}},
        content_type="application/json",
    )
    assert refused.status_code == 400
    assert refused["Content-Type"].startswith("application/problem+json")
    bad = api.patch(f"{API}/{care.st_quirin.pk}", {"languages": ["deutsch"]}, content_type="application/json")
    assert bad.status_code == 400


def test_operator_endpoints_are_in_the_openapi_schema() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    assert "post" in paths["/api/v1/care/operator/facilities/{id}/reports"]
    assert "get" in paths["/api/v1/care/operator/facilities/{id}/reports"]
    assert "patch" in paths["/api/v1/care/operator/facilities/{id}"]
    assert "get" in paths["/api/v1/care/operator/facilities"]
    parameters = paths["/api/v1/care/operator/facilities/{id}/reports"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in parameters)


def test_list_query_count_does_not_grow(care: CareSetup, api: Client) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from .factories import make_facility

    with CaptureQueriesContext(connection) as few:
        api.get(API)
    for i in range(6):
        make_facility(
            finder=care.finder,
            operator=care.operator,
            name=f"Haus {i}",
            street="Weg 1",
            postcode="41460",
            town="Neuss",
            latitude=51.2,
            longitude=6.69,
            offers={FULL: 10},
        )
    with CaptureQueriesContext(connection) as many:
        assert len(api.get(API).json()) == 8
    assert len(many) == len(few)
