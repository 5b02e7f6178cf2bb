"""The demo loader: the Rhein-Kreis Neuss with real keys, idempotent, logins that work."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.demo.services import DEMO_PASSWORD
from amtsweg.identity.models import User
from amtsweg.identity.staff import totp_demo_code
from amtsweg.tenancy.models import Authority
from amtsweg.tenancy.responsibility import responsibility_resolve
from amtsweg.testing import shared_data

TOWNS = {
    "05162004": "Dormagen",
    "05162008": "Grevenbroich",
    "05162012": "Jüchen",
    "05162016": "Kaarst",
    "05162020": "Korschenbroich",
    "05162022": "Meerbusch",
    "05162024": "Neuss",
    "05162028": "Rommerskirchen",
}


@pytest.mark.django_db
def test_curated_demo_loads_twice_without_duplicates() -> None:
    out = io.StringIO()
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=out)
    counts = (Authority.objects.count(), Service.objects.count(), ServiceOffering.objects.count())
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=io.StringIO())
    assert (Authority.objects.count(), Service.objects.count(), ServiceOffering.objects.count()) == counts
    assert "admin.kreis@demo.amtsweg.de" in out.getvalue()
    kreis = Authority.objects.get(ags="05162000")
    assert {a.ags: a.name for a in kreis.children.all()} == TOWNS
    assert all(
        a.regional_key == a.ags[:5] + "0" + a.ags[5:5] + "00" + a.ags[5:] or len(a.regional_key) == 12
        for a in kreis.children.all()
    )


@pytest.mark.django_db
def test_demo_routes_building_services_of_small_towns_to_the_kreis() -> None:
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=io.StringIO())
    baulast = Service.objects.get(leika_key="99012004023000")
    assert responsibility_resolve(service=baulast, ags="05162012").authority.ags == "05162000"  # Jüchen
    assert responsibility_resolve(service=baulast, ags="05162024").authority.ags == "05162024"  # Neuss
    kfz = Service.objects.get(leika_key="99036008071000")
    assert responsibility_resolve(service=kfz, ags="05162004").authority.ags == "05162000"


@pytest.mark.django_db
def test_demo_logins_work(settings: Any) -> None:
    settings.DEMO_MODE = True  # demo staff get an authenticator whose code the code page shows
    call_command("load_demo", "--curated-catalog", "--without-ocr", stdout=io.StringIO())
    client = Client()
    response = client.post(
        "/backoffice/anmelden/",
        {"username": "sachbearbeitung.dormagen@demo.amtsweg.de", "password": DEMO_PASSWORD},
    )
    assert response.status_code == 302 and response["Location"].startswith(
        "/backoffice/anmelden/zweiter-faktor/"
    )
    user = User.objects.get(email="sachbearbeitung.dormagen@demo.amtsweg.de")
    code = totp_demo_code(user)
    assert code and code in client.get(response["Location"]).content.decode()
    assert client.post(response["Location"], {"code": code}).status_code == 302
    assert client.get("/backoffice/")["Location"] == "/backoffice/05162004/"


@pytest.mark.django_db
def test_full_catalogue_demo_when_shared_data_is_there() -> None:
    shared_data("ozg/leika_leistungen.csv")
    call_command("load_demo", "--full-catalog", "--without-ocr", stdout=io.StringIO())
    assert Service.objects.count() == 4813
    assert Service.objects.get(leika_key="99115005104000").summary  # curated text on top of the import
