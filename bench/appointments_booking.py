"""Confirmed bookings per second on PostgreSQL, and a count of double bookings afterwards.

Run::

    .venv/bin/python bench/appointments_booking.py [--database-url postgres://…/amtsweg_bench_booking]
        [--workers 4] [--duration 10] [--rounds 3]

What it does (bounded; it drops the database it created):

1. creates a fresh PostgreSQL database (name must contain ``bench``), migrates it, and builds the
   alliance of ``appointments_slots.py`` (nine offices, 6 counters each, 60-day window) with a
   quarter of the calendar already booked;
2. lists every free start of the three single services at all offices and shuffles them into one
   shared list, so that workers regularly race for the same or overlapping times;
3. per round, starts ``--workers`` processes (each its own connection) that for ``--duration``
   seconds take the next start from the shared list and book it the way a guest does: the booking
   service reserves (limits per mailbox under a row lock, occupancy rows, outbox message) and the
   confirmation from the e-mail link books it — two transactions, each booking a new person. A time
   that another worker took first is a ``slot-taken`` answer and counts as a conflict, not a booking;
4. counts with SQL afterwards: overlapping live appointments on one counter (double bookings) and
   occupancy rows per unit — both must be zero — and prints confirmed bookings per second.

Target (docs/performance.md): ≥ 200 confirmed bookings/s with zero double bookings.
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from appointments_slots import SERVICES, build_alliance, setup_django
from http_load import DEFAULT_POSTGRES_URL, postgres_database, postgres_version

DOUBLE_BOOKINGS = """
SELECT count(*) FROM appointments_appointment a
JOIN appointments_appointment b
  ON a.counter_id = b.counter_id AND a.id < b.id AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
WHERE a.status IN ('booked', 'reserved') AND b.status IN ('booked', 'reserved')
"""
SHARED_UNITS = """
SELECT count(*) FROM (SELECT 1 FROM appointments_occupancy GROUP BY counter_id, unit HAVING count(*) > 1) t
"""


def free_starts(office_ids: list[int]) -> list[tuple[int, str, str]]:
    """(office id, LeiKa key, ISO start) for every free start of every single service."""
    from amtsweg.appointments import slots
    from amtsweg.appointments.models import AppointmentOffice

    starts = []
    for office in AppointmentOffice.objects.filter(pk__in=office_ids):
        for key, _name, _minutes in SERVICES:
            for day in slots.free_slots(office, [(key, 1)]):
                starts.extend((office.pk, key, start.isoformat()) for start in day.starts)
    return starts


def worker(
    number: int, jobs: list[tuple[int, str, str]], position: object, deadline: float, out: object
) -> None:
    from datetime import datetime

    from django.db import connection

    from amtsweg.appointments import services
    from amtsweg.appointments.models import AppointmentOffice
    from amtsweg.appointments.problems import LimitReached, SlotTaken

    offices = {office.pk: office for office in AppointmentOffice.objects.all()}
    confirmed = taken = failed = 0
    latencies = []
    while time.perf_counter() < deadline:
        with position.get_lock():  # type: ignore[attr-defined]
            index = position.value  # type: ignore[attr-defined]
            position.value += 1  # type: ignore[attr-defined]
        if index >= len(jobs):
            break
        office_id, key, start = jobs[index]
        started = time.perf_counter()
        try:
            _appointment, token = services.appointment_reserve(
                office=offices[office_id],
                items=[(key, 1)],
                starts_at=datetime.fromisoformat(start),
                contact=services.Contact(name="Bench", email=f"b{number}-{index}@example.org"),
                channel="api",
            )
            services.appointment_confirm(token=token)
            confirmed += 1
            latencies.append((time.perf_counter() - started) * 1000)
        except SlotTaken:
            taken += 1
        except LimitReached:
            failed += 1
    connection.close()
    out.put((confirmed, taken, failed, latencies))  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_POSTGRES_URL + "_booking")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-booking-") as tmp, contextlib.ExitStack() as stack:
        url = stack.enter_context(postgres_database(args.database_url))
        setup_django(url, Path(tmp))
        office_ids = build_alliance(booked_share=0.25)
        from django.db import connection, connections

        jobs = free_starts(office_ids)
        random.Random(7).shuffle(jobs)
        print(f"{len(jobs)} free starts at {len(office_ids)} offices; PostgreSQL {postgres_version(url)}")
        context = multiprocessing.get_context("fork")
        position = context.Value("q", 0)
        rates = []
        for number in range(1, args.rounds + 1):
            connections.close_all()  # the children open their own connections
            out = context.Queue()
            deadline = time.perf_counter() + args.duration
            started = time.perf_counter()
            processes = [
                context.Process(target=worker, args=(n, jobs, position, deadline, out))
                for n in range(args.workers)
            ]
            for process in processes:
                process.start()
            results = [out.get(timeout=args.duration + 120) for _ in processes]
            for process in processes:
                process.join(timeout=30)
            elapsed = time.perf_counter() - started
            confirmed = sum(r[0] for r in results)
            taken = sum(r[1] for r in results)
            latencies = sorted(ms for r in results for ms in r[3])
            rate = confirmed / elapsed
            rates.append(rate)
            p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)] if latencies else float("nan")
            print(
                f"round {number}: {confirmed} confirmed bookings in {elapsed:.1f} s = {rate:.0f}/s "
                f"({taken} slot-taken answers; per booking median "
                f"{statistics.median(latencies) if latencies else float('nan'):.1f} ms, p95 {p95:.1f} ms)"
            )
        with connection.cursor() as cursor:
            cursor.execute(DOUBLE_BOOKINGS)
            double = cursor.fetchone()[0]
            cursor.execute(SHARED_UNITS)
            shared = cursor.fetchone()[0]
        print(
            f"\n{args.workers} workers, {os.cpu_count()} cores, {platform.python_version()}, "
            f"{time.strftime('%Y-%m-%d')}: median {statistics.median(rates):.0f} confirmed bookings/s; "
            f"double bookings: {double}, units given twice: {shared}"
        )
        connection.close()
        return 0 if double == 0 and shared == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
