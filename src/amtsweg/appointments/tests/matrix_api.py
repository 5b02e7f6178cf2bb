"""Isolation-matrix rows: appointments, api part.

The calendar reads are public; booking is open to everyone (the proof of work and the rate limit
guard it, tested in ``test_api.py``), so an empty booking is a 400 for every role. The manage
routes take the secret token as the capability: whoever holds it manages the appointment, whatever
account they are logged in with (a wrong token is a 404, tested in ``test_api.py``). The staff
routes are authority data of the AGS in the path.
"""

from __future__ import annotations

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public, staff_read

API = "/api/v1/appointments"


def _office(w: World, a: Authority) -> int:
    """The office id of ``a``'s office, made to give appointments (once per test database)."""
    from amtsweg.appointments.models import AppointmentOffice

    from .factories import appointment_office

    office = a.offices.get()
    if not AppointmentOffice.objects.filter(office=office).exists():
        appointment_office(office, hours="Mo-So 08:00-16:00")
    return office.pk


def _appointment(w: World, a: Authority) -> tuple[str, str]:
    """(reference, token) of a booked appointment at ``a``'s office."""
    from datetime import datetime

    from amtsweg.appointments import slots
    from amtsweg.appointments.models import AppointmentOffice

    from .factories import PERSONALAUSWEIS, book

    cache: dict[int, tuple[str, str]] = w.__dict__.setdefault("_appointments", {})
    if a.pk not in cache:
        office = AppointmentOffice.objects.get(office_id=_office(w, a))
        start: datetime = slots.free_slots(office, [(PERSONALAUSWEIS, 1)])[0].starts[0]
        appointment, token = book(office, start, email="matrix@example.org")
        cache[a.pk] = (appointment.reference, token)
    return cache[a.pk]


def _ags_with_office(w: World, a: Authority) -> str:
    _office(w, a)
    return a.ags


def created(role: str, target: str) -> set[int]:
    return {201}


def invalid_for_everyone(role: str, target: str) -> set[int]:
    """A write with an empty body: refused as invalid before anything else, whoever calls."""
    return {400}


ROUTES: list[Route] = [
    Route("api-appointments-office-list", lambda w, a: f"{API}/offices?authority={a.ags}", public),
    Route("api-appointments-service-list", lambda w, a: f"{API}/services?office={_office(w, a)}", public),
    Route(
        "api-appointments-slots",
        lambda w, a: f"{API}/slots?office={_office(w, a)}&service=99008001012000&days=7",
        public,
    ),
    Route(
        "api-appointments-earliest",
        lambda w, a: f"{API}/earliest?service=99008001012000&authority={_ags_with_office(w, a)}",
        public,
    ),
    Route("api-appointments-challenge", lambda w, a: f"{API}/challenge", created, method="post"),
    Route(
        "api-appointments-booking-create", lambda w, a: f"{API}/bookings", invalid_for_everyone, method="post"
    ),
    Route(
        "api-appointments-booking-confirm",
        lambda w, a: f"{API}/bookings/confirm",
        invalid_for_everyone,
        method="post",
    ),
    Route("api-appointments-booking", lambda w, a: f"{API}/bookings/{_appointment(w, a)[1]}", public),
    Route(
        "api-appointments-booking-cancel",
        lambda w, a: f"{API}/bookings/{_appointment(w, a)[1]}/cancel",
        public,
        method="post",
    ),
    Route(
        "api-appointments-booking-reschedule",
        lambda w, a: f"{API}/bookings/{_appointment(w, a)[1]}/reschedule",
        invalid_for_everyone,
        method="post",
    ),
    Route("api-staff-appointment-list", lambda w, a: f"/api/v1/staff/{a.ags}/appointments", staff_read),
    Route(
        "api-staff-appointment-detail",
        lambda w, a: f"/api/v1/staff/{a.ags}/appointments/{_appointment(w, a)[0]}",
        staff_read,
    ),
]
