"""Demo data of appointments: the citizen offices of the Rhein-Kreis Neuss give appointments.

``load_appointments_demo()`` runs after the authorities, offices and services exist. It configures
counters and durations, closes Christmas Eve and New Year's Eve, books a realistic share of the next
weeks (fuller soon, emptier later), and writes the past 30 days (attended and missed appointments,
waiting times, lead times) so that the statistics show something. Today's waiting room has people
waiting and numbers called, so the call-up display is alive. Names are invented; seeded, so every
load looks the same for the same day. Idempotent: an office already configured is left alone.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Office

from . import calendar, slots
from .models import (
    Appointment,
    AppointmentItem,
    AppointmentOffice,
    Break,
    Closure,
    Counter,
    LeadTimeSample,
    Occupancy,
    OfficeService,
    QueueTicket,
)
from .services import _new_reference, email_key

# (LeiKa key, minutes, max quantity, video)
TOWN_SERVICES = [
    ("99115005104000", 15, 4, False),  # Anmeldung einer Wohnung
    ("99115005070000", 10, 4, False),  # Abmeldung
    ("99115003012000", 10, 2, False),  # Meldebescheinigung
    ("99008001012000", 20, 4, False),  # Personalausweis
    ("99085001012000", 20, 4, False),  # Reisepass
    ("99042001012000", 15, 1, False),  # Fischereischein
    ("99050012104000", 30, 1, True),  # Gewerbeanmeldung (Beratung auch per Video)
]
KREIS_SERVICES = {
    "strassenverkehrsamt": [
        ("99036008071000", 20, 2, False),  # Umschreibung/Adressänderung
        ("99036008007000", 30, 3, False),  # Zulassung
        ("99036013000000", 20, 1, False),  # Kennzeichenmitnahme
        ("99023001012000", 20, 1, False),  # Fahrerlaubnis
    ],
    "gesundheitsamt": [
        ("99003002022000", 30, 1, True),  # Belehrung nach § 43 IfSG (auch per Video)
    ],
}
COUNTERS = {"05162024": 6, "05162004": 4, "05162008": 4, "05162016": 3, "05162022": 3, "05162020": 3}
FIRST = [
    "Anna",
    "Jan",
    "Leonie",
    "Mehmet",
    "Sophie",
    "Lukas",
    "Fatma",
    "Tim",
    "Marie",
    "Elias",
    "Olga",
    "Paul",
]
LAST = ["Schmitz", "Becker", "Hoffmann", "Yilmaz", "Krüger", "Wagner", "Nowak", "Schulz", "Peters", "Kaya"]


@dataclass
class AppointmentsDemo:
    offices: int = 0
    booked: int = 0


def _configure(
    office: Office, services: list[tuple[str, int, int, bool]], counters: int
) -> AppointmentOffice | None:
    if AppointmentOffice.objects.filter(office=office).exists():
        return None
    config = AppointmentOffice.objects.create(office=office, grid_minutes=5, video_enabled=True)
    for key, minutes, quantity, video in services:
        service = Service.objects.filter(leika_key=key).first()
        if service is not None:
            OfficeService.objects.create(
                office=config, service=service, duration_minutes=minutes, max_quantity=quantity, video=video
            )
    for number in range(1, counters + 1):
        Counter.objects.create(office=config, name=f"Platz {number}", label=str(number), video=number == 1)
    today = calendar.local_day(timezone.now())
    for year in (today.year, today.year + 1):
        for month, day, reason in ((12, 24, "Heiligabend"), (12, 31, "Silvester")):
            closed = date(year, month, day)
            Closure.objects.create(
                office=config,
                starts_at=calendar.midnight(closed),
                ends_at=calendar.midnight(closed + timedelta(days=1)),
                reason=f"{reason}: geschlossen",
            )
    # Ten minutes without appointments at opening: the queue of walk-ins is served first.
    for weekday in range(5):
        Break.objects.create(office=config, weekday=weekday, starts=time(8, 0), ends=time(8, 10))
    return config


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    return f"{first} {last}", f"{first.lower()}.{last.lower()}{rng.randint(1, 999)}@example.org".replace(
        "ü", "ue"
    )


def _fill(config: AppointmentOffice, rng: random.Random, now: datetime) -> int:
    """Book a share of the office's time from 30 days ago to 60 days ahead, in bulk."""
    office = slots.load(config)
    plan = slots._plan(office)
    services = list(office.services.all())
    today = calendar.local_day(now)
    first = today - timedelta(days=30)
    grids = slots._grids(plan, first, 91, {})
    appointments: list[Appointment] = []
    items: list[tuple[int, OfficeService, int]] = []
    for counter in plan.counters:
        for grid in grids[counter.pk]:
            ahead = (grid.day - today).days
            share = 0.75 if ahead <= 0 else max(0.1, 0.65 - ahead * 0.01)
            index = 0
            while index < grid.units:
                if not grid.open >> index & 1:
                    index += 1
                    continue
                service = rng.choice(services)
                quantity = 1 if rng.random() < 0.8 else min(2, service.max_quantity)
                units = -(-service.duration_minutes * quantity // config.grid_minutes)
                mask = ((1 << units) - 1) << index
                if grid.open & mask != mask:
                    index += 1
                    continue
                if rng.random() < share:
                    starts_at = grid.at(index)
                    name, email = _person(rng)
                    status = Appointment.Status.BOOKED
                    if starts_at + timedelta(minutes=30) < now:
                        status = (
                            Appointment.Status.NO_SHOW if rng.random() < 0.08 else Appointment.Status.ATTENDED
                        )
                    reference = _new_reference()
                    appointments.append(
                        Appointment(
                            authority_id=office.office.authority_id,
                            office=config,
                            counter=counter,
                            reference=reference,
                            ical_uid=reference,
                            token_salt=secrets.token_hex(16),
                            status=status,
                            starts_at=starts_at,
                            ends_at=starts_at + units * grid.unit,
                            name=name,
                            email=email,
                            email_key=email_key(email),
                            channel=rng.choice(["web", "web", "web", "api", "staff"]),
                            created_at=starts_at - timedelta(days=rng.randint(1, 25)),
                            confirmed_at=starts_at - timedelta(days=1),
                        )
                    )
                    items.append((len(appointments) - 1, service, quantity))
                    index += units
                else:
                    index += units
    created = Appointment.objects.bulk_create(appointments, batch_size=500)
    AppointmentItem.objects.bulk_create(
        (
            AppointmentItem(appointment=created[position], service=service, quantity=quantity)
            for position, service, quantity in items
        ),
        batch_size=1000,
    )
    Occupancy.objects.bulk_create(
        (
            Occupancy(
                counter_id=a.counter_id,
                unit=a.starts_at + step * timedelta(minutes=config.grid_minutes),
                appointment=a,
            )
            for a in created
            if a.ends_at > now
            for step in range((a.ends_at - a.starts_at) // timedelta(minutes=config.grid_minutes))
        ),
        batch_size=2000,
    )
    _waiting_room(config, created, rng, now)
    return len(created)


def _waiting_room(
    config: AppointmentOffice, appointments: list[Appointment], rng: random.Random, now: datetime
) -> None:
    """Tickets of the past (attended appointments) and of today up to now."""
    today = calendar.local_day(now)
    tickets = []
    numbers: dict[date, int] = {}
    for appointment in sorted(appointments, key=lambda a: a.starts_at):
        day = calendar.local_day(appointment.starts_at)
        if appointment.status == Appointment.Status.NO_SHOW or appointment.starts_at > now + timedelta(
            minutes=10
        ):
            continue
        if day == today and appointment.starts_at > now:
            status, called, started, finished = QueueTicket.Status.WAITING, None, None, None
        elif day == today and appointment.starts_at > now - timedelta(minutes=20):
            status = QueueTicket.Status.CALLED
            called, started, finished = now - timedelta(minutes=rng.randint(0, 5)), None, None
        else:
            waited = timedelta(minutes=rng.choice([1, 2, 3, 4, 5, 6, 8, 10, 12, 15, 20, 25]))
            called = appointment.starts_at + waited - timedelta(minutes=5)
            started = called + timedelta(minutes=1)
            finished = started + (appointment.ends_at - appointment.starts_at)
            status = QueueTicket.Status.DONE
        numbers[day] = numbers.get(day, 0) + 1
        tickets.append(
            QueueTicket(
                office=config,
                day=day,
                number=f"A{numbers[day]:03d}",
                appointment=appointment,
                status=status,
                counter_id=appointment.counter_id if called else None,
                checked_in_at=appointment.starts_at - timedelta(minutes=5),
                called_at=called,
                started_at=started,
                finished_at=finished,
                call_count=1 if called else 0,
            )
        )
    QueueTicket.objects.bulk_create(tickets, batch_size=1000)
    for appointment in appointments:
        if appointment.status == Appointment.Status.BOOKED and appointment.starts_at < now - timedelta(
            minutes=20
        ):
            appointment.status = Appointment.Status.ATTENDED
    Appointment.objects.bulk_update(
        [a for a in appointments if a.status == Appointment.Status.ATTENDED], ["status"], batch_size=1000
    )


def _lead_times(config: AppointmentOffice, rng: random.Random, now: datetime) -> None:
    base = rng.randint(2, 9) * 24 * 60
    LeadTimeSample.objects.bulk_create(
        LeadTimeSample(
            office=config,
            measured_at=now - timedelta(hours=6 * step),
            lead_minutes=max(60, base + rng.randint(-1440, 1440) - step * 20),
        )
        for step in range(120, 0, -1)
    )


def load_appointments_demo(*, now: datetime | None = None) -> AppointmentsDemo:
    now = now or timezone.now()
    summary = AppointmentsDemo()
    offices = Office.objects.select_related("authority").filter(authority__alliance__slug="rhein-kreis-neuss")
    with transaction.atomic():
        for office in offices.order_by("authority__ags", "slug"):
            rng = random.Random(f"{office.authority.ags}-{office.slug}-{calendar.local_day(now)}")
            if office.slug == "buergerbuero":
                config = _configure(office, TOWN_SERVICES, COUNTERS.get(office.authority.ags, 2))
            elif office.slug in KREIS_SERVICES:
                counters = 8 if office.slug == "strassenverkehrsamt" else 2
                config = _configure(office, KREIS_SERVICES[office.slug], counters)
            else:
                continue
            if config is None:
                continue
            summary.offices += 1
            summary.booked += _fill(config, rng, now)
            _lead_times(config, rng, now)
    return summary
