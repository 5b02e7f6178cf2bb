"""Free slots of one office and "earliest free anywhere" on a realistic, half-booked calendar.

Run::

    .venv/bin/python bench/appointments_slots.py [--database sqlite|postgres] [--database-url …]
        [--samples 200] [--rounds 3]

What it does (bounded; it removes what it created):

1. creates a fresh database (SQLite in a temporary directory by default; ``--database postgres``
   uses ``--database-url``, whose name must contain ``bench``) and migrates it;
2. builds the alliance (``build_alliance``): the Kreis and its eight towns — nine authorities — each
   with one office of 6 counters (one also for video), open Mo–Fr 07:30–16:00 (Thursday to 18:00)
   with a lunch break 12:00–12:30 on every counter, a 10-minute grid, a 60-day window from tomorrow
   and 3 services: Personalausweis 30 min, Reisepass 20 min, Meldebescheinigung 10 min. Then half of
   every counter's open units in the window are booked (appointments of 10–60 minutes at random
   places, booked, with their occupancy rows; bulk-inserted): the calendar of an office well into
   its booking season;
3. measures in this process, after a warm-up, ``--samples`` calls per round:
   a. ``slots.free_slots`` for one office, all 3 services in one appointment (60 minutes), the
      whole 60-day window — the engine with its queries;
   b. the same through the API: ``GET /api/v1/appointments/slots`` with Django's test client
      (routing, validation, serialisation; no network);
   c. ``slots.earliest_free`` across the offices of all nine authorities for the 3 services;
   d. the same through the API: ``GET /api/v1/appointments/earliest``;
4. reports median and 95th percentile per round and the medians over the rounds.

Targets (docs/performance.md): (a) p95 ≤ 30 ms, (c) p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import DEFAULT_POSTGRES_URL, REPO, bench_environment, postgres_database

AUTHORITIES = [
    ("05162000", "Rhein-Kreis Neuss", "kreis"),
    ("05162024", "Neuss", "stadt"),
    ("05162004", "Dormagen", "stadt"),
    ("05162008", "Grevenbroich", "stadt"),
    ("05162012", "Jüchen", "gemeinde"),
    ("05162016", "Kaarst", "stadt"),
    ("05162020", "Korschenbroich", "stadt"),
    ("05162022", "Meerbusch", "stadt"),
    ("05162028", "Rommerskirchen", "gemeinde"),
]
SERVICES = [
    ("99008001012000", "Personalausweis", 30),
    ("99085001012000", "Reisepass", 20),
    ("99115005000000", "Meldebescheinigung", 10),
]
ALL_THREE = [(key, 1) for key, _name, _minutes in SERVICES]
COUNTERS = 6
BOOKED_SHARE = 0.5


def setup_django(database_url: str, data_dir: Path) -> None:
    """Configure this process like a production server on ``database_url`` and migrate."""
    os.environ.update(bench_environment(database_url, data_dir))
    os.environ["AMTSWEG_APPOINTMENTS_BOOKINGS_PER_HOUR"] = "100000000"
    sys.path.insert(0, str(REPO / "src"))
    sys.path.insert(0, str(REPO))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", "--noinput", verbosity=0)
    call_command("createcachetable", verbosity=0)


def build_alliance(*, booked_share: float = BOOKED_SHARE, seed: int = 6) -> list[int]:
    """Nine authorities with one office each, ``booked_share`` of their open units booked.

    Returns the ids of the appointment offices.
    """
    from datetime import time as clock

    from django.db import transaction
    from django.utils import timezone

    from amtsweg.appointments import calendar, slots
    from amtsweg.appointments.models import (
        Appointment,
        AppointmentOffice,
        Break,
        Counter,
        Occupancy,
        OfficeService,
    )
    from amtsweg.catalog.models import Service
    from amtsweg.tenancy.hours import parse_opening_hours
    from amtsweg.tenancy.models import Alliance, Authority, Office, OpeningHours

    rng = random.Random(seed)
    alliance, _ = Alliance.objects.get_or_create(
        slug="rhein-kreis-neuss", defaults={"name": "Rhein-Kreis Neuss"}
    )
    services = [
        Service.objects.get_or_create(leika_key=key, defaults={"name": name})[0] for key, name, _m in SERVICES
    ]
    kreis = None
    office_ids = []
    tomorrow = calendar.local_day(timezone.now()) + timedelta(days=1)
    reference = 0
    for ags, name, kind in AUTHORITIES:
        with transaction.atomic():
            authority = Authority.objects.create(
                alliance=alliance,
                kind=kind,
                name=name,
                slug=name.lower().replace("ü", "ue").replace(" ", "-"),
                ags=ags,
                regional_key=f"{ags[:5]}0{ags[5:]}{ags[5:]}",
                parent=kreis,
            )
            kreis = kreis or authority
            office = Office.objects.create(
                authority=authority,
                name="Bürgerbüro",
                slug="buergerbuero",
                street="Markt 1",
                postcode="41460",
                city=name,
            )
            OpeningHours.objects.bulk_create(
                OpeningHours(office=office, weekday=day, opens=opens, closes=closes)
                for day, opens, closes in parse_opening_hours(
                    "Mo-Mi 07:30-16:00; Do 07:30-18:00; Fr 07:30-16:00"
                )
            )
            config = AppointmentOffice.objects.create(office=office, video_enabled=True)
            for service, (_key, _name, minutes) in zip(services, SERVICES, strict=True):
                OfficeService.objects.create(
                    office=config, service=service, duration_minutes=minutes, max_quantity=4, video=True
                )
            for number in range(1, COUNTERS + 1):
                Counter.objects.create(
                    office=config, name=f"Platz {number}", label=str(number), video=number == 1
                )
            Break.objects.create(office=config, starts=clock(12), ends=clock(12, 30))
        office_ids.append(config.pk)
        grids = slots.grids(config, tomorrow, config.book_until_days)
        appointments, units = [], []
        for counter_id, days in grids.items():
            for grid in days:
                # p chosen so that the booked share of open units comes out at ``booked_share``.
                p = booked_share / (2.5 * (1 - booked_share) + booked_share)
                index = 0
                while index < grid.units:
                    length = rng.choice((1, 2, 3, 6))
                    mask = ((1 << length) - 1) << index
                    if grid.open & mask == mask and rng.random() < p:
                        reference += 1
                        starts_at = grid.at(index)
                        appointments.append(
                            Appointment(
                                authority=authority,
                                office=config,
                                counter_id=counter_id,
                                reference=f"B-{reference:09d}",
                                ical_uid=f"B-{reference:09d}",
                                token_salt="bench",
                                status=Appointment.Status.BOOKED,
                                starts_at=starts_at,
                                ends_at=starts_at + length * grid.unit,
                                name="Bench",
                                email="bench@example.org",
                                email_key=f"bench-{reference}",
                                confirmed_at=timezone.now(),
                            )
                        )
                        units.append([(counter_id, starts_at + n * grid.unit) for n in range(length)])
                        index += length
                    else:
                        index += 1
        with transaction.atomic():
            created = Appointment.objects.bulk_create(appointments, batch_size=2000)
            Occupancy.objects.bulk_create(
                (
                    Occupancy(counter_id=counter_id, unit=unit, appointment=appointment)
                    for appointment, rows in zip(created, units, strict=True)
                    for counter_id, unit in rows
                ),
                batch_size=5000,
            )
    return office_ids


def booked_share_of(office_id: int) -> float:
    from django.utils import timezone

    from amtsweg.appointments import calendar, slots
    from amtsweg.appointments.models import AppointmentOffice

    office = AppointmentOffice.objects.get(pk=office_id)
    grids = slots.grids(
        office, calendar.local_day(timezone.now()) + timedelta(days=1), office.book_until_days
    )
    open_units = sum(g.open.bit_count() for days in grids.values() for g in days)
    taken = sum((g.open & g.taken).bit_count() for days in grids.values() for g in days)
    return taken / open_units


def measure(call: Callable[[], object], samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


def p95(times: list[float]) -> float:
    return times[max(0, int(len(times) * 0.95) - 1)]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL + "_appointments")
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-slots-") as tmp, contextlib.ExitStack() as stack:
        data_dir = Path(tmp)
        if args.database == "postgres":
            url = stack.enter_context(postgres_database(args.database_url))
        else:
            url = f"sqlite:///{data_dir / 'bench.sqlite3'}"
        started = time.perf_counter()
        setup_django(url, data_dir)
        office_ids = build_alliance()
        from django.db import connection
        from django.test import Client

        from amtsweg.appointments import slots
        from amtsweg.appointments.models import Appointment, AppointmentOffice

        print(
            f"built {len(office_ids)} offices, {Appointment.objects.count()} appointments, booked share of "
            f"office 1: {booked_share_of(office_ids[1]):.0%} ({time.perf_counter() - started:.0f} s)"
        )
        neuss = AppointmentOffice.objects.get(pk=office_ids[1])
        client = Client(HTTP_HOST="127.0.0.1")
        query = "&".join(f"service={key}" for key, _q in ALL_THREE)
        slots_url = f"/api/v1/appointments/slots?office={neuss.office_id}&{query}"
        earliest_url = f"/api/v1/appointments/earliest?{query}"

        def engine_slots() -> None:
            days = slots.free_slots(neuss, ALL_THREE)
            assert days, "no free slots: the calendar should be half booked, not full"

        def api_slots() -> None:
            response = client.get(slots_url)
            assert response.status_code == 200, response.content[:300]

        def engine_earliest() -> None:
            offers = slots.earliest_free(slots.bookable_offices(), ALL_THREE)
            assert len(offers) == len(office_ids), offers

        def api_earliest() -> None:
            response = client.get(earliest_url)
            assert response.status_code == 200 and len(response.json()) == len(office_ids)

        cases = {
            "free slots, 1 office, 3 services, 60 days (engine)": engine_slots,
            "free slots (API, test client)": api_slots,
            "earliest free, 9 authorities' offices (engine)": engine_earliest,
            "earliest free (API, test client)": api_earliest,
        }
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
        for call in cases.values():
            measure(call, 10)  # warm-up: imports, connection, the engine's plan cache
        for number in range(1, args.rounds + 1):
            for name, call in cases.items():
                times = measure(call, args.samples)
                median = statistics.median(times)
                results[name].append((median, p95(times)))
                print(f"round {number}: {name}: median {median:.1f} ms, p95 {p95(times):.1f} ms")
        print(
            f"\n{connection.vendor}, {platform.python_version()}, {os.cpu_count()} cores, "
            f"{time.strftime('%Y-%m-%d')}; medians over {args.rounds} rounds of {args.samples}:"
        )
        for name, rows in results.items():
            print(
                f"  {name}: median {statistics.median(r[0] for r in rows):.1f} ms, "
                f"p95 {statistics.median(r[1] for r in rows):.1f} ms"
            )
        connection.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
