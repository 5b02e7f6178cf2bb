"""Catalogue by Themenfeld, a Themenfeld's Lebenslagen and OZG services, a Lebenslage."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from amtsweg.catalog.models import Lebenslage, OzgService, Service, Themenfeld

from .conftest import PortalWorld


def test_catalogue_lists_themenfelder_with_counts(client: Client, portal_world: PortalWorld) -> None:
    Themenfeld.objects.create(name="Gesundheit", slug="gesundheit")

    response = client.get(reverse("portal:catalogue"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "Leistungen nach Themenfeldern" in html
    for slug in ("buerger-staat", "mobilitaet-reisen", "gesundheit"):
        assert reverse("portal:themenfeld", args=[slug]) in html
    assert "0 Leistungen" in html
    assert html.count("1 Leistung<") == 2


def test_themenfeld_shows_lebenslagen_ozg_and_leika_services(
    client: Client, portal_world: PortalWorld
) -> None:
    response = client.get(reverse("portal:themenfeld", args=["buerger-staat"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Bürger &amp; Staat</h1>" in html
    assert reverse("portal:lebenslage", args=["umzug"]) in html
    assert "Melderegisterauskunft" in html and "OZG-ID 10247" in html
    assert reverse("portal:service", args=["99115005000000"]) in html


def test_lebenslage_shows_its_ozg_services(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(reverse("portal:lebenslage", args=["umzug"]))

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Umzug</h1>" in html
    assert reverse("portal:themenfeld", args=["buerger-staat"]) in html
    assert "Meldebescheinigung Ausstellung" in html


def test_unknown_themenfeld_and_lebenslage_are_not_found(client: Client, portal_world: PortalWorld) -> None:
    assert client.get("/leistungen/themen/gibt-es-nicht/").status_code == 404
    assert client.get("/leistungen/lebenslagen/gibt-es-nicht/").status_code == 404


def test_catalogue_pages_in_english(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    assert "Subject areas" in client.get("/leistungen/").content.decode()
    assert "Life situations" in client.get("/leistungen/themen/buerger-staat/").content.decode()


def test_list_pages_query_counts_do_not_grow(
    client: Client, portal_world: PortalWorld, django_assert_max_num_queries: Any
) -> None:
    themenfeld = portal_world.buerger_staat
    for number in range(8):
        Themenfeld.objects.create(name=f"Thema {number}", slug=f"thema-{number}")
        lebenslage = Lebenslage.objects.create(
            name=f"Lage {number}", slug=f"lage-{number}", themenfeld=themenfeld
        )
        ozg = OzgService.objects.create(
            ozg_id=f"2000{number}", name=f"OZG {number}", themenfeld=themenfeld, lebenslage=lebenslage
        )
        for index in range(3):
            Service.objects.create(
                leika_key=f"99100000{number:02d}{index:04d}",
                name=f"Leistung {number}/{index}",
                ozg_service=ozg,
            )

    with django_assert_max_num_queries(2):
        assert client.get("/leistungen/").status_code == 200
    with django_assert_max_num_queries(4):
        response = client.get("/leistungen/themen/buerger-staat/")
    assert "Leistung 7/2" in response.content.decode()
    with django_assert_max_num_queries(3):
        response = client.get("/leistungen/lebenslagen/lage-7/")
    assert "Leistung 7/2" in response.content.decode()
