"""Isolation-matrix rows: appointments, staff part (calendar, appointment, capacity, statistics, settings).

The pages of an office are its authority's internal data: readers of the authority get them, staff
of another town 404, citizens 403, anonymous visitors the login. The settings are for the authority's
administrators: its caseworkers get 403 (they know the office), other towns still 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.utils import timezone

from amtsweg.appointments import calendar
from amtsweg.appointments.models import Appointment, AppointmentOffice, Break, Closure
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_ADMINS, NEUSS_READERS, Route, page_read

from . import factories


def staff_office(authority: Authority) -> AppointmentOffice:
    """The Bürgerbüro of ``authority`` giving appointments (created on first use)."""
    office = authority.offices.get(slug="buergerbuero")
    return AppointmentOffice.objects.filter(office=office).first() or factories.appointment_office(office)


def next_weekday_at(hour: int, *, weeks: int = 1) -> datetime:
    """Tuesday of the week after next (inside the default booking window) at ``hour`` local time."""
    today = calendar.local_day(timezone.now())
    tuesday = today + timedelta(days=(1 - today.weekday()) % 7 + 7 * weeks)
    return datetime.combine(tuesday, time(hour), tzinfo=calendar.TZ)


def _appointment(authority: Authority) -> str:
    office = staff_office(authority)
    existing = Appointment.objects.filter(office=office).first()
    if existing is None:
        existing, _token = factories.book(office, next_weekday_at(9))
    return existing.reference


def _break(authority: Authority) -> int:
    office = staff_office(authority)
    return Break.objects.get_or_create(office=office, starts=time(12), ends=time(12, 30))[0].pk


def _closure(authority: Authority) -> int:
    office = staff_office(authority)
    starts = next_weekday_at(8, weeks=3)
    return Closure.objects.get_or_create(
        office=office, starts_at=starts, ends_at=starts + timedelta(hours=2)
    )[0].pk


def _base(a: Authority) -> str:
    return f"/backoffice/{a.ags}/termine/{staff_office(a).office.slug}/"


def page_staff_post(role: str, target: str) -> set[int]:
    """A staff action on the town's data (redirects back when done)."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


def page_settings(status: int) -> Callable[[str, str], set[int]]:
    def expect(role: str, target: str) -> set[int]:
        if role == "anonymous":
            return {302}
        if role == "citizen":
            return {403}
        if role in NEUSS_ADMINS:
            return {status}
        return {403} if role in NEUSS_READERS else {404}

    return expect


_admin_page = page_settings(200)
_admin_invalid = page_settings(422)  # an empty form: the page again with the errors
_admin_done = page_settings(302)

ROUTES: list[Route] = [
    Route("backoffice:appointments_offices", lambda w, a: f"/backoffice/{a.ags}/termine/", page_read),
    Route("backoffice:appointments_day", lambda w, a: _base(a) + "tag/?datum=2026-04-03", page_read),
    Route("backoffice:appointments_week", lambda w, a: _base(a) + "woche/?woche=2026-W14", page_read),
    Route("backoffice:appointments_detail", lambda w, a: _base(a) + f"termine/{_appointment(a)}/", page_read),
    Route(
        "backoffice:appointments_staff_cancel",
        lambda w, a: _base(a) + f"termine/{_appointment(a)}/absagen/",
        page_staff_post,
        method="post",
    ),
    Route("backoffice:appointments_capacity", lambda w, a: _base(a) + "kapazitaet/", page_read),
    Route("backoffice:appointments_statistics", lambda w, a: _base(a) + "statistik/", page_read),
    Route("backoffice:appointments_statistics_csv", lambda w, a: _base(a) + "statistik.csv", page_read),
    Route("backoffice:appointments_settings", lambda w, a: _base(a) + "einstellungen/", _admin_page),
    Route(
        "backoffice:appointments_settings",
        lambda w, a: _base(a) + "einstellungen/",
        _admin_invalid,
        method="post",
    ),
    Route(
        "backoffice:appointments_counter_new",
        lambda w, a: _base(a) + "einstellungen/schalter/",
        _admin_invalid,
        method="post",
    ),
    Route(
        "backoffice:appointments_counter_edit",
        lambda w, a: _base(a) + f"einstellungen/schalter/{staff_office(a).counters.first().pk}/",  # type: ignore[union-attr]
        _admin_page,
    ),
    Route(
        "backoffice:appointments_service_new",
        lambda w, a: _base(a) + "einstellungen/leistungen/",
        _admin_invalid,
        method="post",
    ),
    Route(
        "backoffice:appointments_service_edit",
        lambda w, a: _base(a) + f"einstellungen/leistungen/{staff_office(a).services.first().pk}/",  # type: ignore[union-attr]
        _admin_page,
    ),
    Route(
        "backoffice:appointments_break_new",
        lambda w, a: _base(a) + "einstellungen/pausen/",
        _admin_invalid,
        method="post",
    ),
    Route(
        "backoffice:appointments_break_delete",
        lambda w, a: _base(a) + f"einstellungen/pausen/{_break(a)}/loeschen/",
        _admin_done,
        method="post",
    ),
    Route(
        "backoffice:appointments_closure_new",
        lambda w, a: _base(a) + "einstellungen/schliessungen/",
        _admin_invalid,
        method="post",
    ),
    Route(
        "backoffice:appointments_closure_delete",
        lambda w, a: _base(a) + f"einstellungen/schliessungen/{_closure(a)}/loeschen/",
        _admin_done,
        method="post",
    ),
]
