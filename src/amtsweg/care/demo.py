"""Demo of the care finder (Pflegefinder) at the Rhein-Kreis Neuss.

``load_care_demo()`` sets up what the Kreis' Heimaufsicht and the operators would: the finder at the
Kreis, six fictitious operators (Träger) with invented register keys, about sixty facilities with
invented names on real streets of the eight towns (``data/demo_facilities.json``), two operator logins,
and vacancy reports of varying freshness played through the real report service: reported today,
yesterday, three days ago (stale), never, and a daily history of about a month for some.

Facility coordinates are the postcode centroid of the bundled table plus a small deterministic offset
per facility (``geocoded_from = postcode``): the house numbers are invented, so no street-level point is
claimed. Loading twice changes nothing: existing finder settings, operators, facilities and reports are
never overwritten (someone may have edited them), only what is missing is created.

It runs after ``demo_load`` (the Kreis 05162000 must exist).
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from amtsweg.demo.services import DEMO_PASSWORD
from amtsweg.identity.models import Organisation, OrganisationMembership, User
from amtsweg.tenancy.models import Authority

from . import geocoding
from .models import CareFinder, CareOffer, Facility, VacancyReport, specialisation_mask
from .services import ReportLine, vacancy_report_submit

DATA = Path(__file__).resolve().parent / "data" / "demo_facilities.json"
KREIS = "05162000"
CONTACT_EMAIL = "heimaufsicht@demo.amtsweg.de"
SEED = 20_261_124
HISTORY_DAYS = 30
# At most this far (degrees) from the postcode centroid: about 450 m north–south, 300 m east–west.
OFFSET_DEGREES = 0.004


@dataclass
class CareDemoSummary:
    finder_created: bool = False
    operators: int = 0  # created by this load
    facilities: int = 0  # created by this load
    reports: int = 0  # vacancy reports stored by this load
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # label, e-mail, password


def demo_spec() -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return spec


def facility_position(name: str, postcode: str) -> tuple[float, float]:
    """The postcode's centroid moved by an offset derived from the facility's name (stable between
    loads, so facilities of one postcode do not sit on one point)."""
    place = geocoding.place_for_postcode(postcode)
    if place is None:
        raise ValueError(f"demo facility {name!r}: postcode {postcode} is not in the postcode table")
    digest = hashlib.sha256(name.encode()).digest()
    dlat = (digest[0] / 255 * 2 - 1) * OFFSET_DEGREES
    dlon = (digest[1] / 255 * 2 - 1) * OFFSET_DEGREES
    return round(place.latitude + dlat, 6), round(place.longitude + dlon, 6)


def _operators(spec: dict[str, Any], summary: CareDemoSummary) -> dict[str, Organisation]:
    operators: dict[str, Organisation] = {}
    for entry in spec["operators"]:
        organisation, created = Organisation.objects.get_or_create(
            identifier=entry["identifier"],
            defaults={"name": entry["name"], "legal_form": entry["legal_form"], "address": entry["address"]},
        )
        summary.operators += created
        operators[entry["key"]] = organisation
    return operators


def _logins(
    spec: dict[str, Any], operators: dict[str, Organisation], summary: CareDemoSummary, now: datetime
) -> dict[str, User]:
    """The operator logins; returns the account that reports for each operator (if it has one)."""
    reporters: dict[str, User] = {}
    for entry in spec["logins"]:
        user = User.objects.filter(email=entry["email"]).first()
        if user is None:
            user = User.objects.create_user(
                email=entry["email"],
                password=DEMO_PASSWORD,
                kind=User.Kind.CITIZEN,
                first_name=entry["first"],
                last_name=entry["last"],
                email_verified_at=now,
            )
        for key in entry["operators"]:
            OrganisationMembership.objects.get_or_create(organisation=operators[key], user=user)
            reporters.setdefault(key, user)
        summary.logins.append((entry["label"], entry["email"], DEMO_PASSWORD))
    return reporters


def _facility(entry: dict[str, Any], finder: CareFinder, operator: Organisation) -> tuple[Facility, bool]:
    existing = Facility.objects.filter(authority=finder.authority, name=entry["name"]).first()
    if existing is not None:
        return existing, False
    latitude, longitude = facility_position(entry["name"], entry["postcode"])
    facility = Facility.objects.create(
        authority=finder.authority,
        operator=operator,
        name=entry["name"],
        street=entry["street"],
        postcode=entry["postcode"],
        town=entry["town"],
        latitude=latitude,
        longitude=longitude,
        geocoded_from=Facility.Geocoding.POSTCODE,
        email=entry["email"],
        description=entry["description"],
        specialisation_bits=specialisation_mask(entry["specialisations"]),
        languages=list(entry["languages"]),
    )
    for care_type, offer in entry["offers"].items():
        CareOffer.objects.create(
            facility=facility,
            care_type=care_type,
            capacity=offer["capacity"],
            own_share=offer.get("own_share", {}),
        )
    return facility, True


def _report_times(pattern: str, rng: random.Random, now: datetime) -> list[datetime]:
    """When the facility reported, oldest first (the last one is its current state)."""
    if pattern == "never":
        return []
    if pattern == "fresh":
        return [now - timedelta(minutes=rng.randint(15, 240))]
    if pattern == "yesterday":
        return [now - timedelta(hours=rng.randint(22, 30))]
    if pattern == "stale":
        return [now - timedelta(days=3, hours=rng.randint(1, 8))]
    if pattern == "history":
        # Every morning for a month, a few days missed, the last one today.
        latest = now - timedelta(minutes=rng.randint(15, 180))
        times = [
            latest - timedelta(days=days, minutes=rng.randint(-45, 45))
            for days in range(HISTORY_DAYS, 0, -1)
            if rng.random() > 0.1
        ]
        return [*times, latest]
    raise ValueError(f"unknown report pattern {pattern!r}")


def _reports(
    facility: Facility, report: dict[str, Any], *, reporter: User | None, channel: str, now: datetime
) -> int:
    """Play the facility's reports through the report service (only if it has none yet)."""
    if VacancyReport.objects.filter(offer__facility=facility).exists():
        return 0
    rng = random.Random(f"{SEED}:{facility.name}")
    capacities = {offer.care_type: offer.capacity for offer in facility.offers.all()}
    times = _report_times(report["pattern"], rng, now)
    stored = 0
    for index, at in enumerate(times):
        last = index == len(times) - 1
        lines = []
        for care_type, capacity in capacities.items():
            final = int(report["free"][care_type])
            free = final if last else max(0, min(capacity, final + rng.randint(-2, 3)))
            expected = []
            if last:
                day = timezone.localdate(at)
                expected = [
                    (day + timedelta(days=int(offset)), int(places))
                    for offset, places in report["expected"].get(care_type, [])
                ]
            lines.append(ReportLine(care_type=care_type, free_places=free, expected=expected))
        stored += len(
            vacancy_report_submit(facility=facility, actor=reporter, lines=lines, channel=channel, now=at)
        )
    return stored


@transaction.atomic
def load_care_demo(*, now: datetime | None = None) -> CareDemoSummary:
    """Create what is missing of the care finder demo (see the module docstring); idempotent."""
    now = now or timezone.now()
    spec = demo_spec()
    summary = CareDemoSummary()
    kreis = Authority.objects.get(ags=KREIS)
    finder, summary.finder_created = CareFinder.objects.get_or_create(
        authority=kreis, defaults={"contact_email": CONTACT_EMAIL}
    )
    operators = _operators(spec, summary)
    reporters = _logins(spec, operators, summary, now)
    channels = {entry["key"]: entry["channel"] for entry in spec["operators"]}
    for entry in spec["facilities"]:
        facility, created = _facility(entry, finder, operators[entry["operator"]])
        summary.facilities += created
        summary.reports += _reports(
            facility,
            entry["report"],
            reporter=reporters.get(entry["operator"]),
            channel=channels[entry["operator"]],
            now=now,
        )
    return summary
