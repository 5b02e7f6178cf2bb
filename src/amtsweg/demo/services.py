"""Loads the demo alliance (Rhein-Kreis Neuss), its catalogue, offerings and demo people; idempotent."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from amtsweg.catalog.models import ResponsibilityOverride, Service, ServiceOffering
from amtsweg.identity import simulator
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import ExternalIdentity, TotpDevice, User
from amtsweg.identity.staff import totp_enrol_demo
from amtsweg.tenancy.hours import parse_opening_hours
from amtsweg.tenancy.models import Alliance, Authority, Membership, Office, OpeningHours, Team

DATA = Path(__file__).resolve().parent / "data"
POSTCODES = Path(__file__).resolve().parent.parent / "tenancy" / "data" / "postcodes_rhein_kreis_neuss.csv"
DEMO_PASSWORD = "amtsweg-demo"  # noqa: S105  (printed on purpose: demo logins)
DEMO_CITIZEN_EMAIL = "buerger@demo.amtsweg.de"

# OZG maturity per service in the towns (default) and exceptions per town; realistic, not official.
TOWN_MATURITY = {
    "99115005104000": 3,
    "99115005070000": 3,
    "99115003012000": 3,
    "99115004001000": 3,
    "99008001012000": 1,
    "99085001012000": 1,
    "99102013002000": 3,
    "99050012104000": 3,
    "99001009004000": 3,
    "99012004023000": 2,
    "99012008001000": 2,
    "99042001012000": 2,
}
TOWN_EXCEPTIONS = {
    ("05162024", "99115003012000"): 4,
    ("05162024", "99012004023000"): 3,
    ("05162012", "99115005104000"): 2,
    ("05162028", "99115005104000"): 2,
    ("05162028", "99102013002000"): 2,
    ("05162004", "99012004023000"): 3,
}
KREIS_MATURITY = {
    "99036008071000": 3,
    "99036008007000": 3,
    "99036009072003": 4,
    "99036013000000": 3,
    "99023001012000": 2,
    "99042003031000": 2,
    "99003002022000": 4,
    "99106017013000": 1,
    "99106006013000": 1,
    "99106016013000": 1,
    "99106020134000": 2,
}
# Building supervision: services the Kreis keeps for towns without their own untere Bauaufsicht.
BUILDING_SERVICES = ("99012004023000", "99012008001000")


@dataclass
class DemoSummary:
    authorities: int = 0
    services: int = 0
    offerings: int = 0
    full_catalog: bool = False
    logins: list[tuple[str, str, str]] = field(default_factory=list)


def _office(authority: Authority, data: dict[str, Any], hours: str) -> None:
    office, _ = Office.objects.update_or_create(
        authority=authority,
        slug=data["slug"],
        defaults={
            "name": data["name"],
            "street": data["street"],
            "postcode": data["postcode"],
            "city": data["city"],
            "email": f"{data['slug']}@{authority.slug}.demo.amtsweg.de",
            "accessibility": "Barrierefreier Zugang über den Haupteingang, Aufzug vorhanden.",
        },
    )
    office.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(office=office, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in parse_opening_hours(hours)
    )


def _catalog(full: bool) -> None:
    quiet = io.StringIO()
    source = Path(settings.SHARED_DATA_DIR) / "ozg" if full else DATA
    # Arguments as on the command line, so they pass through the command's own parser and checks.
    call_command(
        "import_catalog",
        "--ozg",
        str(source / "ozg_leistungen.csv"),
        "--leika",
        str(source / "leika_leistungen.csv"),
        stdout=quiet,
    )
    texts: dict[str, dict[str, str]] = json.loads((DATA / "services.json").read_text(encoding="utf-8"))
    services = {s.leika_key: s for s in Service.objects.filter(leika_key__in=texts)}
    for key, text in texts.items():
        service = services[key]
        service.responsible_level = text["level"]
        service.required_trust_level = text["trust"]
        for name in (
            "summary",
            "eligibility",
            "required_documents",
            "fees",
            "legal_basis",
            "processing_time",
            "keywords",
        ):
            setattr(service, name, text[name])
    Service.objects.bulk_update(
        services.values(),
        [
            "responsible_level",
            "required_trust_level",
            "summary",
            "eligibility",
            "required_documents",
            "fees",
            "legal_basis",
            "processing_time",
            "keywords",
        ],
    )


def _offer(service_key: str, authority: Authority, maturity: int) -> None:
    service = Service.objects.get(leika_key=service_key)
    office = authority.offices.order_by("id").first()
    ServiceOffering.objects.update_or_create(
        service=service,
        authority=authority,
        defaults={
            "enabled": True,
            "maturity": maturity,
            "office": office,
            "contact_email": office.email if office else "",
        },
    )


@transaction.atomic
def demo_load(*, full_catalog: bool | None = None) -> DemoSummary:
    """Create or refresh the demo; with ``full_catalog`` (default: when the shared data is there) the
    whole OZG/LeiKa catalogue is imported, else only the curated subset."""
    if full_catalog is None:
        full_catalog = (Path(settings.SHARED_DATA_DIR) / "ozg" / "leika_leistungen.csv").exists()
    spec: dict[str, Any] = json.loads((DATA / "alliance.json").read_text(encoding="utf-8"))
    summary = DemoSummary(full_catalog=full_catalog)

    alliance, _ = Alliance.objects.update_or_create(
        slug=spec["alliance"]["slug"],
        defaults={"name": spec["alliance"]["name"], "description": spec["alliance"]["description"]},
    )
    k = spec["kreis"]
    kreis, _ = Authority.objects.update_or_create(
        ags=k["ags"],
        defaults={
            "alliance": alliance,
            "kind": Authority.Kind.KREIS,
            "name": k["name"],
            "official_name": k["official_name"],
            "slug": k["slug"],
            "regional_key": k["regional_key"],
            "primary_colour": k["colours"][0],
            "accent_colour": k["colours"][1],
            "email": "info@rhein-kreis-neuss.demo.amtsweg.de",
        },
    )
    for office in k["offices"]:
        _office(kreis, office, office["hours"])
    towns: dict[str, Authority] = {}
    for t in spec["towns"]:
        kind = Authority.Kind.STADT if t["official_name"].endswith(", Stadt") else Authority.Kind.GEMEINDE
        town, _ = Authority.objects.update_or_create(
            ags=t["ags"],
            defaults={
                "alliance": alliance,
                "kind": kind,
                "name": t["name"],
                "official_name": t["official_name"],
                "slug": t["slug"],
                "regional_key": t["regional_key"],
                "parent": kreis,
                "primary_colour": t["colours"][0],
                "accent_colour": t["colours"][1],
                "email": f"info@{t['slug']}.demo.amtsweg.de",
            },
        )
        towns[t["ags"]] = town
        _office(
            town,
            {"slug": "buergerbuero", "name": "Bürgerbüro", "city": t["name"], **t["office"]},
            spec["town_office_hours"],
        )
        for team in ("Bürgerbüro", "Ordnungsamt"):
            Team.objects.get_or_create(authority=town, name=team)
    for team in k["teams"]:
        Team.objects.get_or_create(authority=kreis, name=team)
    if POSTCODES.exists():
        call_command("import_postcodes", str(POSTCODES), stdout=io.StringIO())

    _catalog(full_catalog)
    for t in spec["towns"]:
        town = towns[t["ags"]]
        for key, maturity in TOWN_MATURITY.items():
            if key in BUILDING_SERVICES and not t["building_authority"]:
                continue
            _offer(key, town, TOWN_EXCEPTIONS.get((t["ags"], key), maturity))
    for key, maturity in KREIS_MATURITY.items():
        _offer(key, kreis, maturity)
    for key in BUILDING_SERVICES:
        _offer(key, kreis, 2)
        for t in spec["towns"]:
            if not t["building_authority"]:
                ResponsibilityOverride.objects.update_or_create(
                    service=Service.objects.get(leika_key=key),
                    area=towns[t["ags"]],
                    defaults={"responsible": kreis},
                )

    by_ags = {a.ags: a for a in Authority.objects.filter(alliance=alliance)}
    for person in spec["people"]:
        user = User.objects.filter(email=person["email"]).first()
        if user is None:
            user = User.objects.create_user(
                email=person["email"],
                password=DEMO_PASSWORD,
                kind=person["kind"],
                first_name=person["first"],
                last_name=person["last"],
                email_verified_at=timezone.now(),
            )
        if user.is_staff_account and settings.DEMO_MODE and not TotpDevice.objects.filter(user=user).exists():
            # The real two-step staff login, with the current code shown on the code page (demo only).
            totp_enrol_demo(user=user)
        if person["email"] == DEMO_CITIZEN_EMAIL:
            # The simulator's first persona is this citizen, so the demo's applications are theirs.
            ExternalIdentity.objects.get_or_create(
                method=simulator.KEY,
                issuer=simulator.ISSUER,
                subject=simulator.PERSONAS[0].key,
                defaults={"user": user, "level": TrustLevel.HIGH.value},
            )
        for ags, role in person.get("memberships", []):
            Membership.objects.update_or_create(user=user, authority=by_ags[ags], defaults={"role": role})
        for ags, team_name in person.get("teams", []):
            Team.objects.get(authority=by_ags[ags], name=team_name).members.add(user)
        if person.get("alliance_admin"):
            alliance.administrators.add(user)
        summary.logins.append((person["label"], person["email"], DEMO_PASSWORD))

    summary.authorities = Authority.objects.filter(alliance=alliance).count()
    summary.services = Service.objects.count()
    summary.offerings = ServiceOffering.objects.filter(authority__alliance=alliance).count()
    return summary
