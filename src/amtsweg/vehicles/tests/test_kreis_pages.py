"""The vehicle-part page, its forms, the label PDF and the staff API; isolation: a town's staff get
404 on the Kreis's vehicle part, and each route of ``matrix_staff`` holds for every role."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from amtsweg.cases.models import Case
from amtsweg.notices.tests.pdfinspect import Pdf
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import ROLES, Route, World

from ..models import RegisteredVehicle, VehicleChange
from . import matrix_staff
from .kreis_factories import hand_over, kreis_caseworker, message, publish_kreis_model, register

pytestmark = pytest.mark.django_db
KREIS = "05162000"


@pytest.fixture
def kreis(world: World) -> Any:
    publish_kreis_model(world)
    return kreis_caseworker(world)


@pytest.fixture
def part(world: World, kreis: Any) -> Case:
    register("NE-AB 123")
    register("D-XY 42E")
    register("GV-X 7", holder_family_name="Geborene")
    return hand_over(world, message("NE-AB 123", "D-XY 42E", "GV-X 7", "NE-NO 1"))


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _rows(case: Case) -> dict[str, VehicleChange]:
    return {c.plate: c for c in VehicleChange.objects.filter(case=case)}


def test_the_page_shows_the_handed_over_data_and_each_register_result(kreis: Any, part: Case) -> None:
    response = _client(kreis).get(f"/backoffice/{KREIS}/kfz/{part.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for text in ("024-2026-000001", "Clara Citizen", "01.04.1990", "Markt 2, 41460 Neuss", "Bürgerbüro"):
        assert text in html
    for label in (
        "gefunden, Halter stimmt",
        "anderer Zulassungsbezirk",
        "Halter stimmt nicht überein",
        "nicht im Register",
    ):
        assert label in html
    assert "Kennzeichenmitnahme" in html and 'name="holder_verified"' in html
    assert html.count("eintragen</button>") == 3  # not for the vehicle that is not in the register
    assert html.count("ablehnen</button>") == 4
    assert "Adressaufkleber drucken" not in html
    assert AuditEvent.objects.filter(actor=kreis, action="read", object_id=str(part.pk)).exists()
    listing = _client(kreis).get(f"/backoffice/{KREIS}/kfz/").content.decode()
    assert part.reference in listing


def test_record_refuse_and_print_from_the_page(kreis: Any, part: Case) -> None:
    client = _client(kreis)
    rows = _rows(part)
    base = f"/backoffice/{KREIS}/kfz/{part.pk}/fahrzeuge"
    response = client.post(f"{base}/{rows['NE-AB 123'].pk}/eintragen/", {})
    assert response.status_code == 302
    # a double click: the second post finds it recorded and also succeeds
    assert client.post(f"{base}/{rows['NE-AB 123'].pk}/eintragen/", {}).status_code == 302
    # declining the Kennzeichenmitnahme without a new plate: the error, linked to the field
    response = client.post(f"{base}/{rows['D-XY 42E'].pk}/eintragen/", {"keep_plate": "nein"})
    assert response.status_code == 422
    html = response.content.decode()
    assert 'class="error-summary"' in html and f'href="#new-plate-{rows["D-XY 42E"].pk}"' in html
    assert f'aria-describedby="new-plate-hint-{rows["D-XY 42E"].pk} error-{rows["D-XY 42E"].pk}"' in html
    response = client.post(
        f"{base}/{rows['D-XY 42E'].pk}/eintragen/", {"keep_plate": "nein", "new_plate": "ne xy 42"}
    )
    assert response.status_code == 302
    assert RegisteredVehicle.objects.filter(plate="NE-XY 42").exists()
    # the holder differs: confirm the identity first
    response = client.post(f"{base}/{rows['GV-X 7'].pk}/eintragen/", {})
    assert response.status_code == 422 and f'href="#holder-{rows["GV-X 7"].pk}"' in response.content.decode()
    assert client.post(f"{base}/{rows['GV-X 7'].pk}/eintragen/", {"holder_verified": "on"}).status_code == 302
    # refusing needs a reason
    response = client.post(f"{base}/{rows['NE-NO 1'].pk}/ablehnen/", {"reason": ""})
    assert response.status_code == 422 and f'href="#reason-{rows["NE-NO 1"].pk}"' in response.content.decode()
    assert (
        client.post(f"{base}/{rows['NE-NO 1'].pk}/ablehnen/", {"reason": "Nicht im Register"}).status_code
        == 302
    )
    assert {c.outcome for c in _rows(part).values()} == {"recorded", "refused"}

    html = client.get(f"/backoffice/{KREIS}/kfz/{part.pk}/").content.decode()
    assert "Adressaufkleber drucken (3 Fahrzeuge, PDF)" in html and "Neues Kennzeichen" in html
    response = client.get(f"/backoffice/{KREIS}/kfz/{part.pk}/aufkleber.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = Pdf.parse(response.content)
    assert len(pdf.pages) == 3
    text = pdf.text()
    for expected in ("NE-AB 123", "NE-XY 42", "GV-X 7", "Clara Citizen", "Markt 2", "41460 Neuss"):
        assert expected in text, expected
    assert "D-XY 42E" not in text  # the label carries the new plate
    assert 'pdfaid:part="2"' in pdf.xmp
    assert re.search(r"\d{2}\.\d{2}\.\d{4}", text)


def test_an_invalid_message_is_shown_with_its_reasons(world: World, kreis: Any) -> None:
    case = hand_over(world, message("NE-AB 1", neue_plz="4146"))
    html = _client(kreis).get(f"/backoffice/{KREIS}/kfz/{case.pk}/").content.decode()
    assert "Die übergebene Nachricht ist ungültig" in html and "neue_plz" in html
    assert "Ungültige Übergabe zurückweisen" in html  # the link to the open task
    assert "eintragen</button>" not in html


def test_no_label_before_a_vehicle_is_recorded(kreis: Any, part: Case) -> None:
    response = _client(kreis).get(f"/backoffice/{KREIS}/kfz/{part.pk}/aufkleber.pdf")
    assert response.status_code == 302


def test_a_towns_staff_get_404_on_the_kreis_vehicle_part(world: World, part: Case) -> None:
    change = _rows(part)["NE-AB 123"]
    for user in (world.caseworker_neuss, world.admin_neuss, world.caseworker_dormagen):
        client = _client(user)
        for ags in (KREIS, world.neuss.ags):
            assert client.get(f"/backoffice/{ags}/kfz/{part.pk}/").status_code == 404
            assert client.get(f"/backoffice/{ags}/kfz/{part.pk}/aufkleber.pdf").status_code == 404
            assert (
                client.post(f"/backoffice/{ags}/kfz/{part.pk}/fahrzeuge/{change.pk}/eintragen/").status_code
                == 404
            )
        assert client.get(f"/api/v1/staff/vehicles/changes?case={part.pk}").json() == []
        api = client.post(
            f"/api/v1/staff/vehicles/changes/{change.pk}/record", {}, content_type="application/json"
        )
        assert api.status_code == 404 and api["Content-Type"].startswith("application/problem+json")
    assert VehicleChange.objects.get(pk=change.pk).outcome == "open"


def test_the_staff_api(kreis: Any, part: Case) -> None:
    client = _client(kreis)
    rows = client.get(f"/api/v1/staff/vehicles/changes?case={part.pk}").json()
    assert [(r["plate"], r["register_check"], r["outcome"]) for r in rows] == [
        ("NE-AB 123", "found", "open"),
        ("D-XY 42E", "other_district", "open"),
        ("GV-X 7", "holder_mismatch", "open"),
        ("NE-NO 1", "not_found", "open"),
    ]
    assert rows[0]["case_reference"] == part.reference
    bad = client.get("/api/v1/staff/vehicles/changes?case=x")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")
    by_plate = {r["plate"]: r["id"] for r in rows}
    url = "/api/v1/staff/vehicles/changes/{}/{}"
    done = client.post(
        url.format(by_plate["D-XY 42E"], "record"), {"keep_plate": True}, content_type="application/json"
    )
    assert (
        done.status_code == 200 and done.json()["outcome"] == "recorded" and done.json()["new_plate"] is None
    )
    again = client.post(
        url.format(by_plate["D-XY 42E"], "record"), {"keep_plate": False}, content_type="application/json"
    )
    assert again.status_code == 200 and again.json()["recorded_at"] == done.json()["recorded_at"]
    refused = client.post(
        url.format(by_plate["D-XY 42E"], "refuse"), {"reason": "x"}, content_type="application/json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "already-recorded"
    mismatch = client.post(url.format(by_plate["GV-X 7"], "record"), {}, content_type="application/json")
    assert mismatch.status_code == 422 and mismatch.json()["code"] == "holder-not-verified"
    missing = client.post(url.format(by_plate["NE-NO 1"], "refuse"), {}, content_type="application/json")
    assert missing.status_code == 400
    ok = client.post(
        url.format(by_plate["NE-NO 1"], "refuse"),
        {"reason": "Nicht im Register"},
        content_type="application/json",
    )
    assert (
        ok.status_code == 200
        and ok.json()["outcome"] == "refused"
        and ok.json()["recorded_by"] == kreis.email
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", matrix_staff.ROUTES, ids=lambda r: f"{r.method}:{r.name}")
def test_matrix_rows(world: World, route: Route, role: str) -> None:
    """The rows as ``tests/test_isolation_matrix.py`` runs them, also with the data checked here."""
    client = Client()
    if role != "anonymous":
        client.force_login(getattr(world, role))
    url = route.url(world, world.neuss)
    if route.method == "get":
        response = client.get(url)
    elif url.startswith("/api/"):
        response = client.post(url, data=route.data, content_type="application/json")
    else:
        response = client.post(url, data=route.data)
    assert response.status_code in route.expect(role, "own"), f"{role} {url}: {response.status_code}"
    if response.status_code >= 400 and url.startswith("/api/"):
        assert response["Content-Type"].startswith("application/problem+json")
