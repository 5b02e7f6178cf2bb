"""Isolation-matrix rows: appointments, queue part — and the helpers the queue tests share.

The kiosk and the call-up display are public by design (the display shows numbers and counters,
never names). The staff board of an office shows names: its authority's readers get it, staff of
another town 404 for the page and for every action, citizens 403, anonymous visitors the login.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from amtsweg.appointments.models import Appointment, AppointmentItem, AppointmentOffice
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, public

from . import factories

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def queue_office(authority: Authority) -> AppointmentOffice:
    """The Bürgerbüro of ``authority`` giving appointments (created once)."""
    office = authority.offices.get(slug="buergerbuero")
    existing = AppointmentOffice.objects.filter(office=office).first()
    return existing or factories.appointment_office(office)


def appointment_at(
    config: AppointmentOffice,
    starts_at: datetime,
    *,
    status: str = Appointment.Status.BOOKED,
    mode: str = Appointment.Mode.IN_PERSON,
    name: str = "Max Mustermann",
    minutes: int = 30,
) -> Appointment:
    """An appointment as the booking services leave it, made directly (the queue needs no occupancy),
    so a test can place it on today's date at any time."""
    from datetime import timedelta

    from amtsweg.appointments.services import email_key

    body = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    service = config.services.order_by("pk").first()
    counter = config.counters.order_by("pk").first()
    assert service is not None and counter is not None
    appointment = Appointment.objects.create(
        authority_id=config.office.authority_id,
        office=config,
        counter=counter,
        reference=f"T-{body[:4]}-{body[4:]}",
        token_salt=secrets.token_hex(8),
        status=status,
        mode=mode,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
        name=name,
        email="max@example.org",
        email_key=email_key("max@example.org"),
    )
    AppointmentItem.objects.create(appointment=appointment, service=service, quantity=1)
    return appointment


def _slug(w: World, a: Authority) -> str:
    return queue_office(a).office.slug


def _board(w: World, a: Authority) -> str:
    return f"/backoffice/{a.ags}/termine/{_slug(w, a)}/warteschlange/"


def board_action(role: str, target: str) -> set[int]:
    """A form post on the board: done and redirected (302) for the office's readers."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


ROUTES: list[Route] = [
    Route("portal:appointments_checkin", lambda w, a: f"/termine/{a.ags}/{_slug(w, a)}/anmeldung/", public),
    Route("portal:appointments_display", lambda w, a: f"/termine/{a.ags}/{_slug(w, a)}/aufruf/", public),
    Route(
        "portal:appointments_display_json", lambda w, a: f"/termine/{a.ags}/{_slug(w, a)}/aufruf.json", public
    ),
    Route("backoffice:appointments_queue", _board, page_read),
    Route(
        "backoffice:appointments_queue",
        _board,
        board_action,
        method="post",
        data={"aktion": "walkin", "leistung": factories.PERSONALAUSWEIS},
    ),
]
