"""Test factories of appointments: an office that gives appointments, and bookings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from amtsweg.appointments.models import Appointment, AppointmentOffice, Counter, OfficeService
from amtsweg.catalog.models import Service
from amtsweg.identity.models import User
from amtsweg.tenancy.hours import parse_opening_hours
from amtsweg.tenancy.models import Office, OpeningHours

PERSONALAUSWEIS = "99008001012000"
REISEPASS = "99085001012000"


def catalog_service(leika_key: str, name: str) -> Service:
    service, _created = Service.objects.get_or_create(leika_key=leika_key, defaults={"name": name})
    return service


def appointment_office(
    office: Office,
    *,
    counters: int = 2,
    hours: str = "Mo-Fr 08:00-16:00",
    services: Sequence[tuple[Service, int]] = (),
    grid: int = 10,
    **settings: Any,
) -> AppointmentOffice:
    """Make ``office`` give appointments: opening hours, ``counters`` counters and the services.

    Without ``services``: Personalausweis (30 min, up to 4) and Reisepass (20 min), both also by video.
    """
    office.opening_hours.all().delete()
    OpeningHours.objects.bulk_create(
        OpeningHours(office=office, weekday=day, opens=opens, closes=closes)
        for day, opens, closes in parse_opening_hours(hours)
    )
    settings.setdefault("video_enabled", True)
    config = AppointmentOffice.objects.create(office=office, grid_minutes=grid, **settings)
    if not services:
        services = (
            (catalog_service(PERSONALAUSWEIS, "Personalausweis Ausstellung"), 30),
            (catalog_service(REISEPASS, "Reisepass Ausstellung"), 20),
        )
    for service, minutes in services:
        OfficeService.objects.create(
            office=config, service=service, duration_minutes=minutes, max_quantity=4, video=True
        )
    for number in range(1, counters + 1):
        Counter.objects.create(office=config, name=f"Schalter {number}", label=str(number), video=number == 1)
    return config


def book(
    config: AppointmentOffice,
    starts_at: datetime,
    *,
    email: str = "max@example.org",
    name: str = "Max Mustermann",
    items: Sequence[tuple[int | str, int]] | None = None,
    user: User | None = None,
    confirm: bool = True,
    now: datetime | None = None,
) -> tuple[Appointment, str]:
    """Reserve (and unless ``confirm=False`` confirm) an appointment through the services."""
    from amtsweg.appointments.services import Contact, appointment_confirm, appointment_reserve

    if items is None:
        items = [(config.services.order_by("pk").first().pk, 1)]  # type: ignore[union-attr]
    appointment, token = appointment_reserve(
        office=config,
        items=items,
        starts_at=starts_at,
        contact=Contact(name=name, email=email),
        user=user,
        now=now,
    )
    if confirm and appointment.status == Appointment.Status.RESERVED:
        appointment = appointment_confirm(token=token, now=now)
    return appointment, token
