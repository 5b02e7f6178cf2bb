"""The search page: form, results with pagination, and friendly messages for bad input."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.catalog import selectors as catalog_selectors
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem

from .conftest import PortalWorld

pytestmark = pytest.mark.usefixtures("fake_backends")


def test_empty_query_shows_only_the_form(
    client: Client, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def must_not_search(**kwargs: object) -> None:
        raise AssertionError("searched without a query")

    monkeypatch.setattr(catalog_selectors, "service_search", must_not_search)

    for path in ("/suche/", "/suche/?q=", "/suche/?q=+++"):
        response = client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Leistung suchen" in html
        assert "Treffer" not in html


def test_results_link_to_service_pages(client: Client, portal_world: PortalWorld) -> None:
    response = client.get("/suche/", {"q": "Meldebescheinigung"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "1 Treffer für „Meldebescheinigung“" in html
    assert 'href="/leistungen/99115005000000/"' in html
    assert 'value="Meldebescheinigung"' in html  # the form keeps the query


def test_no_results_suggests_the_catalogue(client: Client, portal_world: PortalWorld) -> None:
    html = client.get("/suche/", {"q": "Walfang"}).content.decode()

    assert "0 Treffer" in html
    assert "keine passende Leistung" in html


def test_results_are_paginated_with_seite(client: Client, portal_world: PortalWorld) -> None:
    for number in range(23):
        Service.objects.create(leika_key=f"9920000000{number:04d}", name=f"Hundesteuer {number:02d}")

    first = client.get("/suche/", {"q": "Hundesteuer"}).content.decode()
    third = client.get("/suche/", {"q": "Hundesteuer", "seite": "3"}).content.decode()

    assert "23 Treffer" in first
    assert "Seite 1 von 3" in first and "seite=2" in first and 'rel="prev"' not in first
    assert "Hundesteuer 09" in first and "Hundesteuer 10" not in first
    assert "Seite 3 von 3" in third and 'start="21"' in third and 'rel="next"' not in third
    assert "Hundesteuer 22" in third


@pytest.mark.parametrize("seite", ["0", "-4", "abc", "1e9", "99999999999999999999", ""])
def test_odd_page_numbers_do_not_fail(client: Client, portal_world: PortalWorld, seite: str) -> None:
    response = client.get("/suche/", {"q": "Meldebescheinigung", "seite": seite})

    assert response.status_code == 200


def test_page_beyond_the_last_offers_the_first(client: Client, portal_world: PortalWorld) -> None:
    html = client.get("/suche/", {"q": "Meldebescheinigung", "seite": "7"}).content.decode()

    assert "keine weiteren Treffer" in html


def test_overlong_query_gets_a_friendly_message(client: Client, portal_world: PortalWorld) -> None:
    response = client.get("/suche/", {"q": "Melde" * 100})

    assert response.status_code == 400
    html = response.content.decode()
    assert "Der Suchbegriff ist zu lang." in html
    assert 'aria-describedby="suchbegriff_hint suchbegriff_error"' in html
    assert 'aria-invalid="true"' in html


def test_problem_from_search_is_shown_in_english_too(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    response = client.get("/suche/", {"q": "Melde" * 100})

    assert response.status_code == 400
    assert "The search term is too long." in response.content.decode()


@pytest.mark.parametrize("raw", ["q=%00%01", "q=%FF%FE", "q=" + "a" * 5000, "q=%E2%82"])
def test_binary_or_huge_query_strings_are_rejected_not_crashing(
    client: Client, portal_world: PortalWorld, raw: str
) -> None:
    response = client.get("/suche/?" + raw)

    assert response.status_code == 400
    assert "<h1>" in response.content.decode()


def test_a_problem_with_another_status_is_still_a_client_error(
    client: Client, portal_world: PortalWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(**kwargs: object) -> None:
        raise Problem("Die Suche ist gerade nicht verfügbar.", "Search is unavailable.", status_code=503)

    monkeypatch.setattr(catalog_selectors, "service_search", failing)

    response = client.get("/suche/", {"q": "Pass"})

    assert response.status_code == 400
    assert "Die Suche ist gerade nicht verfügbar." in response.content.decode()
