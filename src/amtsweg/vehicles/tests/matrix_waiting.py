"""Isolation-matrix rows: vehicles, waiting-time part — and the office the waiting-time tests share.

The waiting-time page and API are public by design: counts, minutes and free appointment times of
the registration authority's road-traffic offices, never a name or a ticket number.
"""

from __future__ import annotations

from amtsweg.appointments.models import AppointmentOffice
from amtsweg.appointments.tests import factories
from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public

ADDRESS_CHANGE = "99036008071000"


def road_traffic_office(world: World, *, counters: int = 3) -> AppointmentOffice:
    """The Kreis's Straßenverkehrsamt giving appointments for two road-traffic services (created once)."""
    office = world.kreis.offices.get(slug="strassenverkehrsamt")
    existing = AppointmentOffice.objects.filter(office=office).first()
    if existing is not None:
        return existing
    address_change, _created = Service.objects.get_or_create(
        leika_key=ADDRESS_CHANGE,
        defaults={
            "name": "Adressänderung in der Zulassungsbescheinigung",
            "responsible_level": Service.Level.KREIS,
        },
    )
    return factories.appointment_office(
        office,
        counters=counters,
        hours="Mo-Fr 08:00-16:00",
        services=((address_change, 20), (world.kreis_service, 30)),
    )


def _detail(w: World, a: Authority) -> str:
    return f"/api/v1/vehicles/waiting-times/{road_traffic_office(w).office_id}"


ROUTES: list[Route] = [
    Route("portal:vehicles_waiting", lambda w, a: "/kfz/wartezeiten/", public),
    Route("api-vehicles-waiting-list", lambda w, a: "/api/v1/vehicles/waiting-times", public),
    Route("api-vehicles-waiting-detail", _detail, public),
]
