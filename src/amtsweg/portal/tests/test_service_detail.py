"""Service detail: texts, OZG info, and "Wo wohnen Sie?" leading to the responsible authority."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amtsweg.core.problems import Problem
from amtsweg.tenancy import responsibility as tenancy_responsibility
from amtsweg.tenancy.models import PostcodeArea
from amtsweg.tenancy.responsibility import AddressAmbiguous

from .conftest import PortalWorld

pytestmark = pytest.mark.usefixtures("fake_backends")

MELDE = "/leistungen/99115005000000/"
KFZ = "/leistungen/99036012104000/"


def test_service_page_shows_texts_and_ozg_info(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(MELDE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Meldebescheinigung Ausstellung</h1>" in html
    for text in (
        "weisen Sie nach, wo Sie gemeldet sind",
        "Jede Person",
        "Personalausweis oder Reisepass",
        "10 Euro",
        "Bundesmeldegesetz",
        "sofort",
        "substantiell (eIDAS substanziell)",
        "Melderegisterauskunft",
        "OZG-ID 10247",
        "Wo wohnen Sie?",
        "LeiKa-Schlüssel 99115005000000",
    ):
        assert text in html, text
    assert "/leistungen/themen/buerger-staat/" in html
    assert "/leistungen/lebenslagen/umzug/" in html
    assert 'for="id_plz"' in html and 'for="id_ags"' in html
    assert '<option value="05162024">Neuss</option>' in html
    assert "Rhein-Kreis Neuss</option>" not in html  # the Kreis is no place of residence
    assert "Zuständig für Sie" not in html


def test_service_page_in_english(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    html = client.get(MELDE).content.decode()

    assert "Where do you live?" in html
    assert "Who can apply?" in html
    assert "Postcode" in html


@pytest.mark.parametrize("key", ["123", "9911500500000a", "991150050000001", "%00", "abc", "99999999999999"])
def test_malformed_or_unknown_leika_key_is_not_found(
    client: Client, portal_world: PortalWorld, key: str
) -> None:
    response = client.get(f"/leistungen/{key}/")

    assert response.status_code == 404
    assert "Seite nicht gefunden" in response.content.decode()


def test_postcode_leads_to_the_responsible_town(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(MELDE, {"plz": "41460", "strasse": ""})

    assert response.status_code == 200
    html = response.content.decode()
    result = html.split("Zuständig für Sie")[1]
    assert 'href="/behoerden/neuss/">Neuss</a>' in result
    assert "3 – Antrag online mit Nachweisen" in result
    assert "https://neuss.example/meldebescheinigung" in result
    assert "meldewesen@neuss.example" in result
    assert "/behoerden/neuss/dienststellen/buergerbuero/" in result
    assert 'value="41460"' in html  # the form keeps the input


def test_chosen_town_leads_to_that_town(client: Client, portal_world: PortalWorld) -> None:
    html = client.get(MELDE, {"ags": "05162004"}).content.decode()

    result = html.split("Zuständig für Sie")[1]
    assert 'href="/behoerden/dormagen/">Dormagen</a>' in result
    assert '<option value="05162004" selected>Dormagen</option>' in html


def test_kreis_level_service_leads_to_the_kreis(client: Client, portal_world: PortalWorld) -> None:
    html = client.get(KFZ, {"plz": "41539"}).content.decode()

    result = html.split("Zuständig für Sie")[1]
    assert 'href="/behoerden/rhein-kreis-neuss/">Rhein-Kreis Neuss</a>' in result
    assert "Dormagen" in result  # for the place of residence


def test_responsible_authority_without_offering_gives_its_contact(
    client: Client, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tenancy_responsibility.responsibility_resolve

    def without_offering(**kwargs: Any) -> tenancy_responsibility.Responsibility:
        found = real(**kwargs)
        return tenancy_responsibility.Responsibility(
            service=found.service, area=found.area, authority=found.authority, offering=None, rule=found.rule
        )

    monkeypatch.setattr(tenancy_responsibility, "responsibility_resolve", without_offering)

    html = client.get(MELDE, {"plz": "41460"}).content.decode()

    assert "bietet diese Leistung noch nicht über das Portal an" in html
    assert "02131 90-0" in html


def test_shared_postcode_asks_for_the_town(client: Client, portal_world: PortalWorld) -> None:
    PostcodeArea.objects.create(postcode="41460", authority=portal_world.world.dormagen)

    response = client.get(MELDE, {"plz": "41460", "strasse": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert "Bitte wählen Sie Ihren Ort" in html
    assert 'type="radio" name="ags" value="05162024"' in html
    assert 'type="radio" name="ags" value="05162004"' in html
    assert "Zuständig für Sie" not in html

    chosen = client.get(MELDE, {"plz": "41460", "strasse": "", "ags": "05162004"}).content.decode()
    assert 'href="/behoerden/dormagen/">Dormagen</a>' in chosen.split("Zuständig für Sie")[1]


@pytest.mark.parametrize("candidates", [["05162024", "05162004"], None, "kaputt", [{"name": "ohne AGS"}]])
def test_ambiguity_with_any_candidate_shape_never_fails(
    client: Client, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch, candidates: Any
) -> None:
    def ambiguous(**kwargs: Any) -> None:
        raise AddressAmbiguous("Mehrdeutig.", "Ambiguous.", extra={"candidates": candidates})

    monkeypatch.setattr(tenancy_responsibility, "responsibility_resolve", ambiguous)

    response = client.get(MELDE, {"plz": "41460"})

    assert response.status_code == 200
    assert "Bitte wählen Sie Ihren Ort" in response.content.decode()


def test_postcode_outside_the_alliance_is_explained(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(MELDE, {"plz": "10115", "strasse": "Unter den Linden"})

    assert response.status_code == 404
    html = response.content.decode()
    assert "Diese Postleitzahl liegt nicht im Gebiet des Verbunds." in html
    assert 'value="10115"' in html and 'value="Unter den Linden"' in html


def test_problem_from_routing_becomes_a_400_page(
    client: Client, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(**kwargs: Any) -> None:
        raise Problem("Die Straße ist unbekannt.", "Unknown street.")

    monkeypatch.setattr(tenancy_responsibility, "responsibility_resolve", failing)

    response = client.get(MELDE, {"plz": "41460", "strasse": "Nirgendwo"})

    assert response.status_code == 400
    assert "Die Straße ist unbekannt." in response.content.decode()


@pytest.mark.parametrize("plz", ["4146", "414600", "abcde", "4146O", "41 460", "1" * 300, "٤١٤٦٠"])
def test_malformed_postcode_is_a_linked_field_error(
    client: Client, portal_world: PortalWorld, plz: str
) -> None:
    response = client.get(MELDE, {"plz": plz, "strasse": ""})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Bitte geben Sie eine Postleitzahl mit 5 Ziffern ein." in html
    assert 'id="id_plz_error"' in html
    assert 'aria-describedby="id_plz_helptext id_plz_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'href="#id_plz"' in html  # the error summary links to the field


def test_missing_postcode_and_town_are_asked_for(client: Client, portal_world: PortalWorld) -> None:
    no_plz = client.get(MELDE, {"plz": "", "strasse": "Markt"})
    no_town = client.get(MELDE, {"ags": ""})

    assert no_plz.status_code == 400
    assert "Bitte geben Sie Ihre Postleitzahl ein." in no_plz.content.decode()
    assert no_town.status_code == 400
    assert "Bitte wählen Sie einen Ort aus der Liste." in no_town.content.decode()


@pytest.mark.parametrize("ags", ["99999999", "05162000", "x" * 500])
def test_town_outside_the_list_is_rejected(client: Client, portal_world: PortalWorld, ags: str) -> None:
    response = client.get(MELDE, {"ags": ags})

    assert response.status_code == 400
    assert "Bitte wählen Sie einen Ort aus der Liste." in response.content.decode()


def test_overlong_street_is_rejected(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(MELDE, {"plz": "41460", "strasse": "S" * 500})

    assert response.status_code == 400
    assert "Der Straßenname ist zu lang." in response.content.decode()


def test_routing_problem_in_english(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    response = client.get(MELDE, {"plz": "10115"})

    assert response.status_code == 404
    assert "This postcode is outside the alliance." in response.content.decode()
