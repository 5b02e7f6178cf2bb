"""Isolation-matrix rows: appointments, portal part; and the helpers the portal tests share.

The booking pages are public. The manage pages are reached through the secret link alone: whoever
holds the token may act, whatever account is logged in (guests have none), and a wrong token is
404 (tested in ``test_portal_manage.py``). Booking for a case's request is the applicant's page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from amtsweg.tenancy.models import Authority
from amtsweg.testing import Route, World, public

from ..models import Appointment, AppointmentOffice
from .factories import PERSONALAUSWEIS, appointment_office, book


def portal_office(authority: Authority, **settings: Any) -> AppointmentOffice:
    """The authority's Bürgerbüro giving appointments (created once), with its calendar loaded."""
    from amtsweg.appointments import slots

    office = authority.offices.get(slug="buergerbuero")
    existing = AppointmentOffice.objects.filter(office=office).first()
    if existing is None:
        existing = appointment_office(office, **settings)
    return slots.load(existing)


def free_start(office: AppointmentOffice, *, index: int = 0, key: str = PERSONALAUSWEIS) -> datetime:
    """The ``index``-th free start of the office for one Personalausweis (real clock)."""
    from amtsweg.appointments import slots

    starts = [start for day in slots.free_slots(office, [(key, 1)]) for start in day.starts]
    return starts[index]


def _appointment(w: World, a: Authority) -> tuple[Appointment, str]:
    cache: dict[int, tuple[Appointment, str]] = w.__dict__.setdefault("_appointments", {})
    if a.pk not in cache:
        office = portal_office(a)
        cache[a.pk] = book(office, free_start(office), email="matrix@example.org")
    return cache[a.pk]


def _token(w: World, a: Authority) -> str:
    return _appointment(w, a)[1]


def _request(w: World, a: Authority) -> int:
    """An open appointment request of the world's citizen's case at ``a``."""
    from amtsweg.appointments.models import AppointmentRequest
    from amtsweg.cases.tests.factories_citizen import submitted_case

    cache: dict[int, int] = w.__dict__.setdefault("_requests", {})
    if a.pk not in cache:
        office = portal_office(a)
        case = submitted_case(citizen=w.citizen, service=w.town_service, authority=a)
        request = AppointmentRequest.objects.create(
            case=case, authority=a, office=office, services=[PERSONALAUSWEIS]
        )
        cache[a.pk] = request.pk
    return cache[a.pk]


def secret_link(role: str, target: str) -> set[int]:
    """The token is the key: every role that has it gets the page."""
    return {200}


def secret_link_post(role: str, target: str) -> set[int]:
    """A change through the secret link ends on the manage page."""
    return {302}


def applicant_page(role: str, target: str) -> set[int]:
    """The case's applicant (the world's citizen) books; staff 403; anonymous to the login."""
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


ROUTES: list[Route] = [
    Route("portal:appointments_start", lambda w, a: "/termine/", public),
    Route(
        "portal:appointments_slots",
        lambda w, a: f"/termine/zeiten/?office={portal_office(a).pk}&s={PERSONALAUSWEIS}:1",
        public,
    ),
    Route(
        "portal:appointments_book",
        lambda w, a: (
            f"/termine/buchen/?office={portal_office(a).pk}&s={PERSONALAUSWEIS}:1"
            f"&start={free_start(portal_office(a)).isoformat().replace('+', '%2B')}"
        ),
        public,
    ),
    Route("portal:appointments_reserved", lambda w, a: "/termine/reserviert/T-0000-0000/", public),
    Route("portal:appointments_request", lambda w, a: f"/termine/anfrage/{_request(w, a)}/", applicant_page),
    Route("portal:appointments_manage", lambda w, a: f"/termine/t/{_token(w, a)}/", secret_link),
    Route(
        "portal:appointments_confirm",
        lambda w, a: f"/termine/t/{_token(w, a)}/bestaetigen/",
        secret_link_post,
        method="post",
    ),
    Route("portal:appointments_cancel", lambda w, a: f"/termine/t/{_token(w, a)}/absagen/", secret_link),
    Route(
        "portal:appointments_cancel",
        lambda w, a: f"/termine/t/{_token(w, a)}/absagen/",
        secret_link_post,
        method="post",
    ),
    Route(
        "portal:appointments_reschedule", lambda w, a: f"/termine/t/{_token(w, a)}/verschieben/", secret_link
    ),
    Route("portal:appointments_ics", lambda w, a: f"/termine/t/{_token(w, a)}/termin.ics", secret_link),
]
