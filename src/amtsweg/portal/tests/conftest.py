"""Portal test data (catalogue texts, opening hours) and stand-ins for search and responsibility.

The portal calls :func:`amtsweg.catalog.selectors.service_search` and
:func:`amtsweg.tenancy.responsibility.responsibility_resolve` through their interfaces. The HTTP
tests replace both with small fakes that honour the documented contract, so they test the portal's
handling (results, Problems, ambiguity) independently of the search and routing algorithms.
The browser journey uses the real implementations once they exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.conf import settings
from django.db.models import Q

from amtsweg.catalog import selectors as catalog_selectors
from amtsweg.catalog.models import Lebenslage, OzgService, Service, ServiceOffering, Themenfeld
from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.tenancy import responsibility as tenancy_responsibility
from amtsweg.tenancy.models import Authority, Office, OpeningHours, PostcodeArea
from amtsweg.tenancy.responsibility import AddressAmbiguous, Responsibility
from amtsweg.testing import World


@dataclass
class PortalWorld:
    world: World
    buerger_staat: Themenfeld  # holds the Meldebescheinigung's OZG service
    mobilitaet: Themenfeld
    umzug: Lebenslage
    ozg_melde: OzgService
    ozg_kfz: OzgService
    office_neuss: Office


def add_portal_data(world: World) -> PortalWorld:
    """Catalogue texts, a Lebenslage, OZG services and opening hours on top of the shared world."""
    buerger_staat, _ = Themenfeld.objects.get_or_create(
        slug="buerger-staat", defaults={"name": "Bürger & Staat"}
    )
    mobilitaet, _ = Themenfeld.objects.get_or_create(
        slug="mobilitaet-reisen", defaults={"name": "Mobilität & Reisen"}
    )
    # The shared world may already have an "Umzug"; the portal tests need it under Bürger & Staat.
    umzug, _ = Lebenslage.objects.update_or_create(
        slug="umzug", defaults={"name": "Umzug", "themenfeld": buerger_staat}
    )
    ozg_melde = OzgService.objects.create(
        ozg_id="10247", name="Melderegisterauskunft", themenfeld=buerger_staat, lebenslage=umzug
    )
    ozg_kfz = OzgService.objects.create(ozg_id="10001", name="Fahrzeugzulassung", themenfeld=mobilitaet)

    town_service = world.town_service
    town_service.ozg_service = ozg_melde
    town_service.summary = "Mit einer Meldebescheinigung weisen Sie nach, wo Sie gemeldet sind."
    town_service.eligibility = "Jede Person, die in der Stadt gemeldet ist."
    town_service.required_documents = "Personalausweis oder Reisepass"
    town_service.fees = "10 Euro"
    town_service.legal_basis = "§ 18 Bundesmeldegesetz (BMG)"
    town_service.processing_time = "sofort"
    town_service.keywords = "Wohnsitz Bescheinigung Anmeldung"
    town_service.required_trust_level = "substantiell"
    town_service.save()
    world.kreis_service.ozg_service = ozg_kfz
    world.kreis_service.summary = "Nach einem Umzug ändern Sie die Anschrift in der Zulassungsbescheinigung."
    world.kreis_service.save()

    office_neuss = Office.objects.get(authority=world.neuss, slug="buergerbuero")
    office_neuss.phone = "02131 90-0"
    office_neuss.email = "buergerbuero@neuss.example"
    office_neuss.accessibility = "Barrierefreier Zugang über den Seiteneingang, Aufzug vorhanden."
    office_neuss.save()
    for weekday, opens, closes in ((0, 8, 12), (0, 14, 18), (2, 8, 13), (4, 8, 12)):
        OpeningHours.objects.create(
            office=office_neuss, weekday=weekday, opens=dt.time(opens), closes=dt.time(closes)
        )
    ServiceOffering.objects.filter(service=town_service, authority=world.neuss).update(
        office=office_neuss,
        online_url="https://neuss.example/meldebescheinigung",
        contact_email="meldewesen@neuss.example",
        contact_phone="02131 90-1234",
    )
    world.neuss.phone = "02131 90-0"
    world.neuss.website = "https://www.neuss.de"
    world.neuss.primary_colour = "#ffd700"  # a light colour: the theme must pick dark text on it
    world.neuss.save()
    return PortalWorld(
        world=world,
        buerger_staat=buerger_staat,
        mobilitaet=mobilitaet,
        umzug=umzug,
        ozg_melde=ozg_melde,
        ozg_kfz=ozg_kfz,
        office_neuss=office_neuss,
    )


@pytest.fixture
def portal_world(world: World) -> PortalWorld:
    return add_portal_data(world)


# --- stand-ins honouring the documented interfaces -------------------------------------------


def fake_service_search(*, query: str, limit: int = 20, offset: int = 0) -> catalog_selectors.SearchPage:
    text = query.strip()
    if not text:
        raise Problem("Bitte geben Sie einen Suchbegriff ein.", "Please enter a search term.")
    if len(text) > settings.SEARCH_MAX_QUERY_LENGTH:
        raise Problem("Der Suchbegriff ist zu lang.", "The search term is too long.", code="query-too-long")
    if any(not ch.isprintable() for ch in text):
        raise Problem("Der Suchbegriff enthält ungültige Zeichen.", "The search term has invalid characters.")
    services = Service.objects.all()
    for word in text.split():
        matches = Q(name__icontains=word) | Q(keywords__icontains=word) | Q(summary__icontains=word)
        services = services.filter(matches)
    return catalog_selectors.SearchPage(
        query=text, total=services.count(), services=list(services.order_by("name")[offset : offset + limit])
    )


def _candidate(authority: Authority) -> dict[str, str]:
    return {"ags": authority.ags, "name": authority.name}


def fake_responsibility_resolve(
    *, service: Service, ags: str | None = None, postcode: str | None = None, street: str | None = None
) -> Responsibility:
    if ags is not None:
        area = Authority.objects.filter(ags=ags).first()
        if area is None:
            raise NotFoundProblem("Diesen Ort kennen wir nicht.", "Unknown municipality.")
    else:
        if postcode is None or not postcode.isdigit() or len(postcode) != 5:
            raise Problem("Die Postleitzahl hat genau 5 Ziffern.", "A postcode has exactly 5 digits.")
        rows = list(PostcodeArea.objects.filter(postcode=postcode).select_related("authority"))
        if street:
            rows = [r for r in rows if r.street.casefold() == street.casefold()] or rows
        towns = {r.authority_id: r.authority for r in rows}
        if not towns:
            raise NotFoundProblem(
                "Diese Postleitzahl liegt nicht im Gebiet des Verbunds.",
                "This postcode is outside the alliance.",
            )
        if len(towns) > 1:
            raise AddressAmbiguous(
                "Die Postleitzahl gehört zu mehreren Orten.",
                "The postcode covers several towns.",
                extra={"candidates": [_candidate(t) for t in towns.values()]},
            )
        area = next(iter(towns.values()))
    responsible = area.parent if service.responsible_level == Service.Level.KREIS and area.parent else area
    offering = (
        ServiceOffering.objects.select_related("office__authority", "authority")
        .filter(service=service, authority=responsible, enabled=True)
        .first()
    )
    rule = "kreis" if responsible != area else "town"
    return Responsibility(service=service, area=area, authority=responsible, offering=offering, rule=rule)


@pytest.fixture
def fake_backends(monkeypatch: pytest.MonkeyPatch) -> None:
    """Search and responsibility replaced by the fakes above."""
    monkeypatch.setattr(catalog_selectors, "service_search", fake_service_search)
    monkeypatch.setattr(tenancy_responsibility, "responsibility_resolve", fake_responsibility_resolve)


def _implemented(call: Callable[[], Any]) -> bool:
    try:
        call()
    except NotImplementedError:
        return False
    except Exception:  # implemented; it merely rejects the probe
        return True
    return True


@pytest.fixture
def backends(monkeypatch: pytest.MonkeyPatch, portal_world: PortalWorld) -> None:
    """The real search and responsibility where implemented, the fakes where not (yet)."""
    world = portal_world.world
    if not _implemented(lambda: catalog_selectors.service_search(query="Meldebescheinigung")):
        monkeypatch.setattr(catalog_selectors, "service_search", fake_service_search)
    if not _implemented(
        lambda: tenancy_responsibility.responsibility_resolve(service=world.town_service, ags=world.neuss.ags)
    ):
        monkeypatch.setattr(tenancy_responsibility, "responsibility_resolve", fake_responsibility_resolve)
