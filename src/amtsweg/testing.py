"""Shared test base: a small alliance with named people in two towns, and the shared data folder.

People: Clara Citizen (citizen), Nora Neuss (caseworker in Neuss), Dirk Dormagen (caseworker in
Dormagen), Anton Admin (authority administrator of Neuss), Kai Kreis (alliance administrator).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.utils import timezone

from amtsweg.catalog.models import Lebenslage, Service, ServiceOffering, Themenfeld
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Alliance, Authority, Membership, Office, PostcodeArea, Team

PASSWORD = "Amtsweg-Test-2026!"  # noqa: S105  (test accounts only)
# Logins for service-level tests that submit directly (the login itself is tested in identity).
PASSWORD_LOGIN = Assurance(TrustLevel.NORMAL, "local")
EID_LOGIN = Assurance(TrustLevel.HIGH, "test-eid")


@dataclass
class World:
    alliance: Alliance
    kreis: Authority
    neuss: Authority
    dormagen: Authority
    citizen: User
    caseworker_neuss: User
    caseworker_dormagen: User
    admin_neuss: User
    kreis_admin: User
    town_service: Service  # town level, offered by Neuss and Dormagen
    kreis_service: Service  # Kreis level, offered by the Kreis

    def authority(self, key: str) -> Authority:
        return {"kreis": self.kreis, "neuss": self.neuss, "dormagen": self.dormagen}[key]


def make_user(email: str, *, kind: str = User.Kind.STAFF, first: str = "", last: str = "") -> User:
    return User.objects.create_user(
        email=email,
        password=PASSWORD,
        kind=kind,
        first_name=first,
        last_name=last,
        email_verified_at=timezone.now(),
    )


def make_world() -> World:
    alliance = Alliance.objects.create(name="Rhein-Kreis Neuss", slug="rhein-kreis-neuss")
    kreis = Authority.objects.create(
        alliance=alliance,
        kind=Authority.Kind.KREIS,
        name="Rhein-Kreis Neuss",
        slug="rhein-kreis-neuss",
        ags="05162000",
        regional_key="051620000000",
    )
    neuss = Authority.objects.create(
        alliance=alliance,
        kind=Authority.Kind.STADT,
        name="Neuss",
        slug="neuss",
        ags="05162024",
        regional_key="051620024024",
        parent=kreis,
    )
    dormagen = Authority.objects.create(
        alliance=alliance,
        kind=Authority.Kind.STADT,
        name="Dormagen",
        slug="dormagen",
        ags="05162004",
        regional_key="051620004004",
        parent=kreis,
    )
    for town, postcode in ((neuss, "41460"), (dormagen, "41539")):
        PostcodeArea.objects.create(postcode=postcode, authority=town)
        Office.objects.create(
            authority=town,
            name="Bürgerbüro",
            slug="buergerbuero",
            street="Markt 1",
            postcode=postcode,
            city=town.name,
        )
    Office.objects.create(
        authority=kreis,
        name="Straßenverkehrsamt",
        slug="strassenverkehrsamt",
        street="Lindenstraße 10",
        postcode="41515",
        city="Grevenbroich",
    )

    citizen = make_user("clara@example.org", kind=User.Kind.CITIZEN, first="Clara", last="Citizen")
    caseworker_neuss = make_user("nora@neuss.example", first="Nora", last="Neuss")
    caseworker_dormagen = make_user("dirk@dormagen.example", first="Dirk", last="Dormagen")
    admin_neuss = make_user("anton@neuss.example", first="Anton", last="Admin")
    kreis_admin = make_user("kai@kreis.example", first="Kai", last="Kreis")
    Membership.objects.create(user=caseworker_neuss, authority=neuss)
    Membership.objects.create(user=caseworker_dormagen, authority=dormagen)
    Membership.objects.create(user=admin_neuss, authority=neuss, role=Membership.Role.AUTHORITY_ADMIN)
    alliance.administrators.add(kreis_admin)
    Team.objects.create(authority=neuss, name="Bürgerservice").members.add(caseworker_neuss)
    Team.objects.create(authority=dormagen, name="Bürgerservice").members.add(caseworker_dormagen)
    Team.objects.create(authority=kreis, name="Zulassungsstelle")

    mobility = Themenfeld.objects.create(name="Mobilität & Reisen", slug="mobilitaet-reisen")
    Lebenslage.objects.create(name="Umzug", slug="umzug", themenfeld=mobility)
    town_service = Service.objects.create(
        leika_key="99115005000000",
        name="Meldebescheinigung Ausstellung",
        responsible_level=Service.Level.TOWN,
    )
    kreis_service = Service.objects.create(
        leika_key="99036012104000",
        name="Fahrzeugzulassung Adressänderung",
        responsible_level=Service.Level.KREIS,
    )
    for town in (neuss, dormagen):
        ServiceOffering.objects.create(service=town_service, authority=town, maturity=3)
    ServiceOffering.objects.create(service=kreis_service, authority=kreis, maturity=2)
    return World(
        alliance,
        kreis,
        neuss,
        dormagen,
        citizen,
        caseworker_neuss,
        caseworker_dormagen,
        admin_neuss,
        kreis_admin,
        town_service,
        kreis_service,
    )


def shared_data(relative: str) -> Path:
    """A file of the shared public data (``AMTSWEG_SHARED_DATA_DIR``, default ``../shared/data``).

    Skips the test with the reason when the folder is absent (a fresh clone); under CI (``CI=true``)
    a missing fixture fails instead, because CI must test against the real files.
    """
    path = Path(settings.SHARED_DATA_DIR) / relative
    if not path.exists():
        message = f"shared data file {path} is missing (set AMTSWEG_SHARED_DATA_DIR)"
        if os.getenv("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


# --- the authority-isolation matrix (see amtsweg/tests/test_isolation_matrix.py) ---------------

ROLES = ("anonymous", "citizen", "caseworker_neuss", "admin_neuss", "caseworker_dormagen", "kreis_admin")
# Who counts as belonging to the target authority (Neuss) for internal data.
NEUSS_READERS = {"caseworker_neuss", "admin_neuss", "kreis_admin"}
NEUSS_ADMINS = {"admin_neuss", "kreis_admin"}


@dataclass(frozen=True)
class Route:
    """One route of the matrix: how to call it for an object of ``authority`` and what each role gets."""

    name: str
    url: Callable[[World, Authority], str]
    expect: Callable[[str, str], set[int]]  # (role, "own"|"other") -> allowed status codes
    method: str = "get"
    data: dict[str, object] = field(default_factory=dict)


def public(role: str, target: str) -> set[int]:
    return {200}


def staff_read(role: str, target: str) -> set[int]:
    """Internal data of the target town: its readers see it, other staff get 404, non-staff 401/403/302."""
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {200} if role in NEUSS_READERS else {404}


def staff_admin(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    if role in NEUSS_ADMINS:
        return {200}
    return {403} if role in NEUSS_READERS else {404}


def staff_list(role: str, target: str) -> set[int]:
    """Lists are scoped, not refused: staff get 200 with only their own rows (checked separately)."""
    if role == "anonymous":
        return {401, 403}
    if role == "citizen":
        return {403}
    return {200}


def page_read(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {200} if role in NEUSS_READERS else {404}


def page_admin(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {200} if role in NEUSS_ADMINS else {404}


def page_home(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {200, 302}


def run_in_threads(count: int, work: Callable[[int], Any]) -> tuple[list[Any], list[BaseException]]:
    """Run ``work(i)`` in ``count`` threads started at once; each thread uses its own connection."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors
