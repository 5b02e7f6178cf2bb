"""Authority home, its theme stylesheet and office pages."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.portal.selectors import contrast_ratio
from amtsweg.tenancy.models import Office

from .conftest import PortalWorld


def test_authority_page_shows_contact_offices_services_and_parent(
    client: Client, portal_world: PortalWorld
) -> None:
    response = client.get(reverse("portal:authority", args=["neuss"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 class="authority-banner__name">Neuss</h1>' in html
    assert "02131 90-0" in html
    assert "https://www.neuss.de" in html
    assert reverse("portal:office", args=["neuss", "buergerbuero"]) in html
    assert "Meldebescheinigung Ausstellung" in html
    assert "3 – Antrag online mit Nachweisen" in html
    assert reverse("portal:authority", args=["rhein-kreis-neuss"]) in html  # parent
    assert reverse("portal:authority_theme", args=["neuss"]) in html


def test_kreis_page_lists_its_towns(client: Client, portal_world: PortalWorld) -> None:
    html = client.get(reverse("portal:authority", args=["rhein-kreis-neuss"])).content.decode()

    assert reverse("portal:authority", args=["neuss"]) in html
    assert reverse("portal:authority", args=["dormagen"]) in html
    assert "Fahrzeugzulassung Adressänderung" in html


def test_disabled_offerings_are_not_listed(client: Client, portal_world: PortalWorld) -> None:
    ServiceOffering.objects.filter(authority=portal_world.world.dormagen).update(enabled=False)

    html = client.get(reverse("portal:authority", args=["dormagen"])).content.decode()

    assert "Meldebescheinigung Ausstellung" not in html
    assert "keine Leistungen" in html


def test_authority_page_query_count_does_not_grow_with_offerings(
    client: Client, portal_world: PortalWorld, django_assert_max_num_queries: Any
) -> None:
    neuss = portal_world.world.neuss
    for number in range(15):
        service = Service.objects.create(leika_key=f"9900000000{number:04d}", name=f"Leistung {number}")
        ServiceOffering.objects.create(service=service, authority=neuss, office=portal_world.office_neuss)

    with django_assert_max_num_queries(6):
        response = client.get(reverse("portal:authority", args=["neuss"]))

    assert "Leistung 14" in response.content.decode()


def test_theme_css_keeps_text_readable_and_is_cacheable(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(reverse("portal:authority_theme", args=["neuss"]))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    assert "max-age=3600" in response["Cache-Control"]
    css = response.content.decode()
    assert "--authority-primary: #ffd700;" in css
    assert "--authority-on-primary: #000000;" in css  # dark text on the light yellow
    assert contrast_ratio("#ffd700", "#000000") >= 4.5

    again = client.get(
        reverse("portal:authority_theme", args=["neuss"]), headers={"if-none-match": response["ETag"]}
    )
    assert again.status_code == 304


def test_theme_css_default_colours_get_white_text(client: Client, portal_world: PortalWorld) -> None:
    css = client.get(reverse("portal:authority_theme", args=["dormagen"])).content.decode()

    assert "--authority-primary: #004b87;" in css
    assert "--authority-on-primary: #ffffff;" in css


def test_office_page_groups_opening_hours_per_weekday(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(reverse("portal:office", args=["neuss", "buergerbuero"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bürgerbüro</h1>" in html
    assert "Markt 1" in html and "41460 Neuss" in html
    monday = html.split('<th scope="row">Montag</th>')[1].split("</tr>")[0]
    assert "08:00–12:00 Uhr" in monday and "14:00–18:00 Uhr" in monday
    tuesday = html.split('<th scope="row">Dienstag</th>')[1].split("</tr>")[0]
    assert "geschlossen" in tuesday
    assert "Aufzug vorhanden" in html
    assert "buergerbuero@neuss.example" in html
    assert "Meldebescheinigung Ausstellung" in html


def test_office_without_hours_says_so(client: Client, portal_world: PortalWorld) -> None:
    html = client.get(reverse("portal:office", args=["dormagen", "buergerbuero"])).content.decode()

    assert "keine Öffnungszeiten hinterlegt" in html
    assert "Zur Barrierefreiheit liegen keine Angaben vor" in html


def test_office_page_in_english(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    html = client.get(reverse("portal:office", args=["neuss", "buergerbuero"])).content.decode()

    assert "Opening hours" in html
    assert "Monday" in html
    assert "closed" in html


def test_office_of_another_authority_is_not_found(client: Client, portal_world: PortalWorld) -> None:
    Office.objects.create(
        authority=portal_world.world.kreis,
        name="Kreishaus",
        slug="kreishaus",
        street="Oberstraße 91",
        postcode="41460",
        city="Neuss",
    )

    assert client.get("/behoerden/neuss/dienststellen/kreishaus/").status_code == 404
    assert client.get("/behoerden/rhein-kreis-neuss/dienststellen/kreishaus/").status_code == 200


def test_unknown_and_inactive_authorities_are_not_found(client: Client, portal_world: PortalWorld) -> None:
    portal_world.world.dormagen.is_active = False
    portal_world.world.dormagen.save()

    for path in (
        "/behoerden/gibt-es-nicht/",
        "/behoerden/dormagen/",
        "/behoerden/dormagen/theme.css",
        "/behoerden/neuss/dienststellen/gibt-es-nicht/",
        "/behoerden/%C3%BC%00/",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Seite nicht gefunden" in response.content.decode()
