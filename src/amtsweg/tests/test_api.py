"""The public and staff API through HTTP: shapes, filters, problem+json errors and bad input."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amtsweg.catalog.models import ServiceOffering
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

PROBLEM = "application/problem+json"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["detail"] and body["detail_de"] and body["title"] and body["title_de"]
    return body


def test_authorities_list_and_filter(world: World, client: Client) -> None:
    body = client.get("/api/v1/authorities").json()
    assert [a["ags"] for a in body["results"]] == ["05162000", "05162004", "05162024"]
    towns = client.get("/api/v1/authorities?parent=05162000").json()["results"]
    assert {a["name"] for a in towns} == {"Neuss", "Dormagen"}
    neuss = client.get("/api/v1/authorities/05162024").json()
    assert neuss["regional_key"] == "051620024024"
    assert neuss["parent"] == "05162000"


def test_unknown_authority_is_problem_json(world: World, client: Client) -> None:
    _problem(client.get("/api/v1/authorities/99999999"), 404)


@pytest.mark.parametrize("query", ["parent=abc", "parent=1234567890", "kind=bundesland"])
def test_bad_filters_are_problem_json_with_field_errors(world: World, client: Client, query: str) -> None:
    body = _problem(client.get(f"/api/v1/authorities?{query}"), 400)
    assert body["code"] == "validation-error"
    assert body["errors"]


def test_offices_with_opening_hours(world: World, client: Client) -> None:
    rows = client.get("/api/v1/offices?authority=05162024").json()["results"]
    assert [row["name"] for row in rows] == ["Bürgerbüro"]
    assert rows[0]["authority"] == "05162024"


def test_service_detail_and_list(world: World, client: Client) -> None:
    body = client.get(f"/api/v1/services/{world.town_service.leika_key}").json()
    assert body["name"] == "Meldebescheinigung Ausstellung"
    listing = client.get("/api/v1/services?limit=1").json()
    assert listing["count"] == 2
    assert len(listing["results"]) == 1
    _problem(client.get("/api/v1/services/12345"), 404)
    _problem(client.get("/api/v1/services?limit=0"), 400)
    _problem(client.get("/api/v1/services?limit=abc"), 400)


def test_offerings_public_list_hides_disabled(world: World, client: Client) -> None:
    ServiceOffering.objects.filter(authority=world.dormagen).update(enabled=False)
    rows = client.get(f"/api/v1/offerings?service={world.town_service.leika_key}").json()["results"]
    assert [row["authority"] for row in rows] == ["05162024"]


@pytest.mark.parametrize("raw", ["q=%00", "q=%ff%fe", "q=" + "a" * 5000, "q=%01abc"])
def test_binary_or_overlong_query_strings_are_refused(world: World, client: Client, raw: str) -> None:
    body = _problem(client.get(f"/api/v1/services?{raw}"), 400)
    assert body["code"] == "invalid-query"


def test_binary_query_on_a_page_gets_a_german_page(world: World, client: Client) -> None:
    response = client.get("/suche/?q=%00")
    assert response.status_code == 400
    assert "Steuerzeichen" in response.content.decode()


def test_openapi_schema_is_published(client: Client) -> None:
    response = client.get(reverse("openapi-schema"))
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    for route in (
        "/api/v1/services",
        "/api/v1/responsibility",
        "/api/v1/authorities/{ags}",
        "/api/v1/staff/offerings/{id}",
    ):
        assert route in schema["paths"], route


def test_admin_changes_offering_through_api_and_it_is_audited(world: World) -> None:
    client = Client()
    client.force_login(world.admin_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    response = client.patch(
        f"/api/v1/staff/offerings/{offering.pk}",
        data={"maturity": 4, "online_url": "https://neuss.example/meldebescheinigung"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    offering.refresh_from_db()
    assert offering.maturity == 4
    event = AuditEvent.objects.get(action=AuditEvent.Action.UPDATE, object_id=str(offering.pk))
    assert event.actor == world.admin_neuss
    assert event.changes["maturity"] == [3, 4]


def test_offering_update_validates(world: World) -> None:
    client = Client()
    client.force_login(world.admin_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    url = f"/api/v1/staff/offerings/{offering.pk}"
    body = _problem(client.patch(url, data={"maturity": 9}, content_type="application/json"), 400)
    assert "maturity" in body["errors"]
    _problem(
        client.patch(url, data={"online_url": "javascript:alert(1)"}, content_type="application/json"), 400
    )
    _problem(client.patch(url, data="{not json", content_type="application/json"), 400)
    dormagen_office = world.dormagen.offices.get()
    body = _problem(
        client.patch(url, data={"office": dormagen_office.pk}, content_type="application/json"), 400
    )
    assert body["code"] == "office-of-other-authority"
    offering.refresh_from_db()
    assert offering.maturity == 3 and offering.office is None


def test_caseworker_may_read_but_not_change(world: World) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    url = f"/api/v1/staff/offerings/{offering.pk}"
    assert client.get(url).status_code == 200
    _problem(client.patch(url, data={"maturity": 4}, content_type="application/json"), 403)


def test_token_authentication_for_api_clients(world: World) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.caseworker_neuss)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    rows = client.get("/api/v1/staff/teams").json()["results"]
    assert [row["authority"] for row in rows] == ["05162024"]
    _problem(Client(HTTP_AUTHORIZATION="Token wrong").get("/api/v1/staff/teams"), 401)


def test_search_api_has_no_n_plus_one(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    from amtsweg.catalog.models import OzgService, Service, Themenfeld

    ozg = OzgService.objects.create(
        ozg_id="10559", name="Meldebescheinigung", themenfeld=Themenfeld.objects.get()
    )
    Service.objects.bulk_create(
        Service(leika_key=f"9900000{i:07d}", name=f"Meldebescheinigung Variante {i}", ozg_service=ozg)
        for i in range(30)
    )
    client.get("/api/v1/services?q=Meldebescheinigung")  # builds the per-process search index
    with django_assert_max_num_queries(4):
        body = client.get("/api/v1/services?q=Meldebescheinigung&limit=20").json()
    assert len(body["results"]) == 20


def test_list_endpoints_have_bounded_queries(
    world: World, client: Client, django_assert_max_num_queries: Any
) -> None:
    staff = Client()
    staff.force_login(world.kreis_admin)
    for url, c in (
        ("/api/v1/authorities", client),
        ("/api/v1/offices", client),
        ("/api/v1/offerings", client),
        ("/api/v1/services", client),
        ("/api/v1/themenfelder", client),
        ("/api/v1/staff/teams", staff),
        ("/api/v1/staff/offerings", staff),
        ("/api/v1/staff/audit-events", staff),
        ("/api/v1/staff/authorities", staff),
    ):
        with django_assert_max_num_queries(8):
            assert c.get(url).status_code == 200, url
