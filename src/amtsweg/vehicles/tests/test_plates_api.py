"""The plate API: public availability, the citizen's reservations, the staff list."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World
from amtsweg.vehicles import reservations
from amtsweg.vehicles.models import PlateReservation, RegisteredVehicle

from .matrix_plates import plate_service, reservation

API = "/api/v1/vehicles/plates"


@pytest.fixture(autouse=True)
def _clear_rate_limits(db: None) -> None:
    cache.clear()


def client_for(user: object = None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)  # type: ignore[arg-type]
    return client


def test_availability_is_public_and_says_why(world: World) -> None:
    RegisteredVehicle.objects.create(
        plate="NE-AB 123", vin="V1", district_prefix="NE", holder_family_name="X"
    )
    client = Client()
    body = client.get(f"{API}/availability", {"plate": "ne ab 123"}).json()
    assert body["verdict"] == "issued" and body["plate"] == "NE-AB 123" and not body["available"]
    assert body["detail_de"] == "Das Kennzeichen NE-AB 123 ist bereits vergeben."
    assert body["suggestions"] == ["NE-AB 124", "NE-AB 122", "NE-AB 125"]
    body = client.get(f"{API}/availability", {"plate": "NEAB123"}).json()
    assert body["verdict"] == "invalid" and body["reason"] == "ambiguous" and body["plate"] is None
    response = client.get(f"{API}/availability", {"plate": "GV-X 7E"})
    assert response.json()["available"] and response["Cache-Control"] == "no-store"


def test_availability_without_plate_is_a_problem(world: World) -> None:
    response = Client().get(f"{API}/availability")
    assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")


def test_availability_is_rate_limited(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reservations, "AVAILABILITY_PER_HOUR", 3)
    client = Client()
    codes = [client.get(f"{API}/availability", {"plate": f"NE-AB {n}"}).status_code for n in range(1, 6)]
    assert codes == [200, 200, 200, 429, 429]
    body = client.get(f"{API}/availability", {"plate": "NE-AB 1"}).json()
    assert body["code"] == "rate-limited"


def test_citizen_reserves_lists_extends_and_releases(world: World) -> None:
    plate_service(world)
    client = client_for(world.citizen)
    response = client.post(f"{API}/reservations", {"plate": "ne-ab 7"}, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["plate"] == "NE-AB 7" and created["active"] and created["status"] == "active"
    assert not created["extendable"] and created["case_reference"]
    assert [p["amount_cents"] for p in created["payments"]] == [1280]

    again = client.post(f"{API}/reservations", {"plate": "NE-AB 7E"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["code"] == "plate-reserved"
    assert again["Content-Type"].startswith("application/problem+json")

    listed = client.get(f"{API}/reservations").json()
    assert [r["plate"] for r in listed["results"]] == ["NE-AB 7"]

    early = client.post(f"{API}/reservations/{created['id']}/extend")
    assert early.status_code == 409 and early.json()["code"] == "extension-too-early"

    released = client.post(f"{API}/reservations/{created['id']}/release")
    assert released.status_code == 200 and released.json()["status"] == "released"
    assert client.post(f"{API}/reservations/{created['id']}/release").status_code == 409


def test_reservation_problems(world: World) -> None:
    plate_service(world)
    client = client_for(world.citizen)
    for plate, status, code in (("D-AB 1", 422, "wrong-district"), ("NE-AB 0", 400, "plate-invalid")):
        response = client.post(f"{API}/reservations", {"plate": plate}, content_type="application/json")
        assert (response.status_code, response.json()["code"]) == (status, code)
    assert client.post(f"{API}/reservations", {}, content_type="application/json").status_code == 400


def test_another_persons_reservation_is_not_found(world: World) -> None:
    from amtsweg.testing import make_user

    other = reservation(world)
    stranger = make_user("eve@example.org", kind="citizen")
    client = client_for(stranger)
    assert client.post(f"{API}/reservations/{other.pk}/release").status_code == 404
    assert client.get(f"{API}/reservations").json()["results"] == []
    other.refresh_from_db()
    assert other.status == PlateReservation.Status.ACTIVE


def test_list_query_count_does_not_grow(world: World) -> None:
    plate_service(world)
    client = client_for(world.citizen)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{API}/reservations").status_code == 200
        return len(queries)

    reservations.plate_reserve(plate="NE-AB 1", holder=world.citizen, channel="web")
    one = count()
    reservations.plate_reserve(plate="NE-AB 2", holder=world.citizen, channel="web")
    reservations.plate_reserve(plate="NE-AB 3", holder=world.citizen, channel="web")
    assert count() == one


def test_staff_list_is_the_kreis_only(world: World) -> None:
    reservation(world)
    url = f"/api/v1/staff/{world.kreis.ags}/vehicles/plate-reservations"
    body = client_for(world.kreis_admin).get(url, {"plate": "ne mx 42"}).json()
    assert [(r["plate"], r["authority"], r["holder_name"]) for r in body["results"]] == [
        ("NE-MX 42", "05162000", "Clara Citizen")
    ]
    assert client_for(world.caseworker_neuss).get(url).status_code == 404
    assert client_for(world.citizen).get(url).status_code == 403
    assert not AuditEvent.objects.filter(action="update").exists()


def test_openapi_documents_the_plate_api(world: World) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    assert "/api/v1/vehicles/plates/availability" in schema["paths"]
    post = schema["paths"]["/api/v1/vehicles/plates/reservations"]["post"]
    assert {"201", "409"} <= set(post["responses"])
