"""The plate pages: the public check without login or JavaScript, reserving, "Meine Kennzeichen",
and the Zulassungsstelle's search and release."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World
from amtsweg.vehicles.models import PlateReservation, RegisteredVehicle

from .matrix_plates import plate_service, reservation


@pytest.fixture(autouse=True)
def _clear_rate_limits(db: None) -> None:
    cache.clear()


def test_check_page_answers_without_login(world: World) -> None:
    RegisteredVehicle.objects.create(
        plate="NE-AB 123", vin="V1", district_prefix="NE", holder_family_name="X"
    )
    client = Client()
    page = client.get("/kennzeichen/").content.decode()
    assert "Verfügbarkeit prüfen" in page and "Ergebnis" not in page
    page = client.get("/kennzeichen/", {"kennzeichen": "ne ab 123"}).content.decode()
    assert "Das Kennzeichen NE-AB 123 ist bereits vergeben." in page
    assert "?kennzeichen=NE-AB%20122" in page  # a suggestion, linked to its own check
    page = client.get("/kennzeichen/", {"kennzeichen": "ne ab 124"}).content.decode()
    assert "ist frei und kann reserviert werden" in page
    assert "Anmelden und reservieren" in page and "/konto/anmelden/?next=" in page


def test_invalid_plate_shows_the_error_summary(world: World) -> None:
    response = Client().get("/kennzeichen/", {"kennzeichen": "NEAB123"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Fehler:" in page and 'href="#id_kennzeichen"' in page and "nicht eindeutig" in page


def test_citizen_reserves_through_the_confirmation(world: World) -> None:
    plate_service(world)
    client = Client()
    client.force_login(world.citizen)
    page = client.get("/kennzeichen/", {"kennzeichen": "gv x 7e"}).content.decode()
    assert "GV-X 7 reservieren" in page
    confirm = client.get("/kennzeichen/reservieren/", {"kennzeichen": "GV-X 7"})
    assert confirm.status_code == 200 and "12,80 €" in confirm.content.decode()
    response = client.post("/kennzeichen/reservieren/", {"kennzeichen": "GV-X 7"})
    assert response.status_code == 302 and response["Location"] == "/konto/kennzeichen/"
    mine = client.get("/konto/kennzeichen/").content.decode()
    assert "GV-X 7" in mine and "Gebühr für GV-X 7 bezahlen" in mine and "freigeben" in mine
    again = client.post("/kennzeichen/reservieren/", {"kennzeichen": "GV-X 7"})
    assert again.status_code == 409 and "bereits reserviert" in again.content.decode()


def test_anonymous_reserve_goes_to_login(world: World) -> None:
    response = Client().get("/kennzeichen/reservieren/", {"kennzeichen": "NE-AB 1"})
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")


def test_release_and_extend_from_my_plates(world: World) -> None:
    held = reservation(world)
    client = Client()
    client.force_login(world.citizen)
    response = client.post(f"/konto/kennzeichen/{held.pk}/verlaengern/", follow=True)
    assert "erst in den letzten 30 Tagen" in response.content.decode()
    response = client.post(f"/konto/kennzeichen/{held.pk}/freigeben/", follow=True)
    assert "ist freigegeben" in response.content.decode()
    held.refresh_from_db()
    assert held.status == PlateReservation.Status.RELEASED


def test_staff_search_and_release_with_reason(world: World) -> None:
    held = reservation(world)
    client = Client()
    client.force_login(world.kreis_admin)
    base = f"/backoffice/{world.kreis.ags}/kennzeichen/"
    page = client.get(base, {"kennzeichen": "ne-mx-42"}).content.decode()
    assert "NE-MX 42" in page and "Clara Citizen" in page
    assert "NE-MX 42" not in client.get(base, {"kennzeichen": "NE-MX 43"}).content.decode().split("<h1")[1]
    url = f"{base}{held.pk}/freigeben/"
    assert client.post(url, {"grund": ""}).status_code == 400
    response = client.post(url, {"grund": "Antrag zurückgezogen"})
    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == PlateReservation.Status.RELEASED
    event = AuditEvent.objects.get(object_id=str(held.pk), action="update")
    assert event.changes["reason"] == "Antrag zurückgezogen" and event.channel == "web"


def test_staff_pages_exist_only_at_the_registration_authority(world: World) -> None:
    client = Client()
    client.force_login(world.admin_neuss)
    assert client.get(f"/backoffice/{world.neuss.ags}/kennzeichen/").status_code == 404
    assert client.get(f"/backoffice/{world.kreis.ags}/kennzeichen/").status_code == 404
