"""Isolation-matrix rows for the desired-plate routes (Wunschkennzeichen), and the helpers the
plate tests share.

The availability check is public. Reservations are the citizen's own: the world's citizen gets
them, staff 403, anonymous the login (pages) or 401/403 (API). The back-office pages and the staff
API exist at the Zulassungsbehörde (the Kreis) only: its readers (the alliance administrator in the
world) see them, staff of the towns get 404.
"""

from __future__ import annotations

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.tenancy.models import Authority, Team
from amtsweg.testing import Route, World, public, staff_list

from ..models import PlateReservation
from ..reservations import RESERVATION_SERVICE, plate_reserve

KREIS_READERS = {"kreis_admin"}


def plate_service(world: World) -> Service:
    """The service "Wunschkennzeichen reservieren", offered by the Kreis in the Zulassungsstelle's team."""
    service, _ = Service.objects.get_or_create(
        leika_key=RESERVATION_SERVICE,
        defaults={"name": "Wunschkennzeichen reservieren", "responsible_level": Service.Level.KREIS},
    )
    ServiceOffering.objects.get_or_create(
        service=service,
        authority=world.kreis,
        defaults={"maturity": 3, "team": Team.objects.filter(authority=world.kreis).first()},
    )
    return service


def reservation(world: World, plate: str = "NE-MX 42") -> PlateReservation:
    """An active reservation of the world's citizen (created once per world and plate)."""
    existing = PlateReservation.objects.filter(plate=plate, status=PlateReservation.Status.ACTIVE).first()
    if existing is not None:
        return existing
    plate_service(world)
    return plate_reserve(plate=plate, holder=world.citizen, channel="web")


def _id(w: World, a: Authority) -> str:
    return str(reservation(w).pk)


def citizen_page(role: str, target: str) -> set[int]:
    """A page of "Mein Konto": the citizen gets it, staff 403, anonymous to the login."""
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


def citizen_post(role: str, target: str) -> set[int]:
    """A change of the citizen's own reservation: redirect back to the list (anonymous: to the login)."""
    if role == "anonymous":
        return {302}
    return {302} if role == "citizen" else {403}


def citizen_api(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {401, 403}
    return {200} if role == "citizen" else {403}


def citizen_api_conflict(role: str, target: str) -> set[int]:
    """Extending a fresh reservation: the citizen gets 409 (too early), everyone else no access."""
    if role == "anonymous":
        return {401, 403}
    return {409} if role == "citizen" else {403}


def kreis_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {200} if role in KREIS_READERS else {404}


ROUTES: list[Route] = [
    Route("portal:plates_check", lambda w, a: "/kennzeichen/?kennzeichen=NE-AB+123", public),
    Route(
        "portal:plates_reserve",
        lambda w, a: (plate_service(w), "/kennzeichen/reservieren/?kennzeichen=NE-AB+123")[1],
        citizen_page,
    ),
    Route("portal:plates_mine", lambda w, a: "/konto/kennzeichen/", citizen_page),
    Route(
        "portal:plates_extend",
        lambda w, a: f"/konto/kennzeichen/{_id(w, a)}/verlaengern/",
        citizen_post,
        method="post",
    ),
    Route(
        "portal:plates_release",
        lambda w, a: f"/konto/kennzeichen/{_id(w, a)}/freigeben/",
        citizen_post,
        method="post",
    ),
    Route(
        "backoffice:plates_reservations", lambda w, a: f"/backoffice/{w.kreis.ags}/kennzeichen/", kreis_page
    ),
    Route(
        "backoffice:plates_release_staff",
        lambda w, a: f"/backoffice/{w.kreis.ags}/kennzeichen/{_id(w, a)}/freigeben/",
        kreis_page,
    ),
    Route(
        "api-vehicles-plate-availability",
        lambda w, a: "/api/v1/vehicles/plates/availability?plate=NE-AB+123",
        public,
    ),
    Route(
        "api-vehicles-plate-reservations", lambda w, a: "/api/v1/vehicles/plates/reservations", citizen_api
    ),
    Route(
        "api-vehicles-plate-reservation-extend",
        lambda w, a: f"/api/v1/vehicles/plates/reservations/{_id(w, a)}/extend",
        citizen_api_conflict,
        method="post",
    ),
    Route(
        "api-vehicles-plate-reservation-release",
        lambda w, a: f"/api/v1/vehicles/plates/reservations/{_id(w, a)}/release",
        citizen_api,
        method="post",
    ),
    Route(
        "api-staff-vehicles-plate-reservations",
        lambda w, a: f"/api/v1/staff/{w.kreis.ags}/vehicles/plate-reservations",
        lambda role, target: (
            staff_list(role, target) if role in KREIS_READERS | {"anonymous", "citizen"} else {404}
        ),
    ),
]
