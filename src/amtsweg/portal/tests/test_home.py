"""The alliance home page: intro, search, the Kreis and its towns, Themenfelder; German and English."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from amtsweg.tenancy.models import Authority

from .conftest import PortalWorld


def test_home_shows_alliance_towns_and_topics(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="de">' in html
    assert "Ihre Verwaltung online" in html
    assert html.count("<h1") == 1
    assert 'role="search"' in html and 'name="q"' in html
    assert "Rhein-Kreis Neuss" in html
    assert reverse("portal:authority", args=["neuss"]) in html
    assert reverse("portal:authority", args=["dormagen"]) in html
    assert "wappen-platzhalter.svg" in html  # no coat of arms uploaded
    assert reverse("portal:themenfeld", args=["buerger-staat"]) in html
    assert "1 Leistung" in html


def test_home_hides_inactive_authorities(client: Client, portal_world: PortalWorld) -> None:
    Authority.objects.filter(slug="dormagen").update(is_active=False)

    html = client.get(reverse("portal:home")).content.decode()

    assert reverse("portal:authority", args=["dormagen"]) not in html


def test_home_in_english_by_accept_language(client: Client, portal_world: PortalWorld) -> None:
    response = client.get(reverse("portal:home"), headers={"accept-language": "en"})

    html = response.content.decode()
    assert '<html lang="en">' in html
    assert "Your administration online" in html
    assert "Ihre Verwaltung online" not in html


def test_home_in_english_by_language_cookie(client: Client, portal_world: PortalWorld) -> None:
    client.cookies["django_language"] = "en"

    html = client.get(reverse("portal:home")).content.decode()

    assert "Your administration online" in html
    assert 'lang="de"' in html  # the switch back to German is marked as German


def test_language_switch_sets_cookie_and_returns(client: Client, portal_world: PortalWorld) -> None:
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/leistungen/"})

    assert response.status_code == 302
    assert response["Location"] == "/leistungen/"
    assert client.cookies["django_language"].value == "en"
    assert "Services by subject area" in client.get("/leistungen/").content.decode()


def test_home_query_count_does_not_grow_with_authorities(
    client: Client, portal_world: PortalWorld, django_assert_max_num_queries: Any
) -> None:
    kreis = portal_world.world.kreis
    for number in range(10):
        Authority.objects.create(
            alliance=kreis.alliance,
            kind=Authority.Kind.STADT,
            name=f"Stadt {number}",
            slug=f"stadt-{number}",
            ags=f"0516209{number}",
            regional_key=f"05162009{number:04d}",
            parent=kreis,
        )

    with django_assert_max_num_queries(4):
        response = client.get(reverse("portal:home"))

    assert response.status_code == 200
    assert "Stadt 9" in response.content.decode()


@pytest.mark.parametrize("path", ["/", "/leistungen/", "/suche/"])
def test_pages_send_strict_csp(client: Client, portal_world: PortalWorld, path: str) -> None:
    response = client.get(path)

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "style-src 'self'" in policy
    html = response.content.decode()
    assert "style=" not in html
    assert "<script" not in html
    assert "<style" not in html
