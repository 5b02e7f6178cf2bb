"""Alert matching for one vacancy report against 100,000 active place alerts (``care.alerts.alert_matches``).

Run::

    .venv/bin/python bench/care_alert_matching.py [--database sqlite|postgres] [--database-url URL]
        [--subscriptions 100000] [--reports 2000] [--verify 20] [--seed 7]

What it does (bounded; it drops the database it created):

1. creates a fresh database (``http_load.bench_database``: a SQLite file in a temporary folder, or for
   PostgreSQL a database whose name contains ``bench``, dropped first and at the end; default
   ``…/amtsweg_bench_alerts``) and migrates it;
2. seeds ``--subscriptions`` confirmed alerts spread uniformly over Germany (47.3–55.0° N,
   5.9–15.0° E) with the radii of the subscribe form (2/5/10/20/50/100 km weighted 10/35/25/15/10/5 %),
   the six care types (vollstationär and Kurzzeitpflege most often) and, for 30 %, one wanted
   specialisation; their ``AlertCell`` index rows come from ``geo.cells_for_circle`` as on confirmation
   (bulk_create of subscriptions and cells);
3. times ``alert_matches`` for ``--reports`` random facility positions (uniform over the same box, a random
   care type, random offered specialisations) after 100 warm-up calls, and prints the median and p95 in
   milliseconds (wall clock, and this thread's CPU time: on a shared, loaded machine the wall clock
   includes waiting for a core; with SQLite all work is in this thread, with PostgreSQL the server's
   part is not in the CPU figure), the load average and how many alerts matched on average;
4. checks ``--verify`` of those reports against a brute-force haversine scan over every alert (the result
   must be identical, else the run fails).

Target (docs/performance.md): ≤ 5 ms per report.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import bench_database
from pdf_render import REPO, percentile

DEFAULT_POSTGRES_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_alerts"
GERMANY = (47.3, 55.0, 5.9, 15.0)  # min lat, max lat, min lon, max lon
RADII = ((2, 10), (5, 35), (10, 25), (20, 15), (50, 10), (100, 5))
CARE_TYPE_WEIGHTS = {
    "vollstationaer": 35,
    "kurzzeitpflege": 25,
    "tagespflege": 15,
    "ambulant": 15,
    "nachtpflege": 3,
    "wohngemeinschaft": 7,
}


def setup_django(database_url: str, directory: str) -> None:
    """As ``pdf_render.setup_django``, with the database chosen by ``bench_database``."""
    sys.path.insert(0, str(REPO / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ["AMTSWEG_DATA_DIR"] = directory
    os.environ["AMTSWEG_MEDIA_ROOT"] = f"{directory}/media"
    os.environ["AMTSWEG_STATIC_ROOT"] = f"{directory}/static"
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def seed(count: int, rng: random.Random) -> int:
    from django.db import transaction
    from django.utils import timezone

    from amtsweg.care import geo
    from amtsweg.care.models import SPECIALISATION_BITS, AlertCell, AlertSubscription

    now = timezone.now()
    radii = [r for r, _w in RADII]
    radius_weights = [w for _r, w in RADII]
    care_types = list(CARE_TYPE_WEIGHTS)
    care_weights = list(CARE_TYPE_WEIGHTS.values())
    bits = list(SPECIALISATION_BITS.values())
    cells = 0
    batch = 5000
    for start in range(0, count, batch):
        with transaction.atomic():
            subscriptions = AlertSubscription.objects.bulk_create(
                [
                    AlertSubscription(
                        email=f"alert{start + i}@example.org",
                        care_type=rng.choices(care_types, care_weights)[0],
                        latitude=rng.uniform(GERMANY[0], GERMANY[1]),
                        longitude=rng.uniform(GERMANY[2], GERMANY[3]),
                        radius_km=float(rng.choices(radii, radius_weights)[0]),
                        place_label="Bench",
                        specialisation_bits=rng.choice(bits) if rng.random() < 0.3 else 0,
                        key=f"bench-{start + i}",
                        confirmed_at=now,
                    )
                    for i in range(min(batch, count - start))
                ]
            )
            rows = [
                AlertCell(subscription_id=s.pk, cell=cell, care_type=s.care_type)
                for s in subscriptions
                for cell in geo.cells_for_circle(s.latitude, s.longitude, s.radius_km)
            ]
            AlertCell.objects.bulk_create(rows, batch_size=10_000)
            cells += len(rows)
    return cells


def analyse() -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def brute_force(lat: float, lon: float, care_type: str, offered: int) -> list[int]:
    from amtsweg.care import geo
    from amtsweg.care.models import AlertSubscription

    return sorted(
        pk
        for pk, slat, slon, radius, wanted in AlertSubscription.objects.filter(
            care_type=care_type, confirmed_at__isnull=False, unsubscribed_at__isnull=True
        ).values_list("pk", "latitude", "longitude", "radius_km", "specialisation_bits")
        if wanted & ~offered == 0 and geo.haversine_km(slat, slon, lat, lon) <= radius
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--database-url", default=None, help=f"PostgreSQL URL (default {DEFAULT_POSTGRES_URL})"
    )
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--verify", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    if args.database_url and args.database_url.startswith("postgres"):
        args.database = "postgres"
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="amtsweg-bench-alerts-") as directory:
        url = args.database_url or (DEFAULT_POSTGRES_URL if args.database == "postgres" else None)
        with bench_database(args.database, url, Path(directory)) as database_url:
            setup_django(database_url, directory)
            from django.db import connection

            from amtsweg.care.alerts import alert_matches
            from amtsweg.care.models import SPECIALISATION_BITS

            started = time.perf_counter()
            cells = seed(args.subscriptions, rng)
            analyse()
            seed_seconds = time.perf_counter() - started
            care_types = list(CARE_TYPE_WEIGHTS)
            bits = list(SPECIALISATION_BITS.values())

            def report() -> tuple[float, float, str, int]:
                offered = sum(b for b in bits if rng.random() < 0.3)
                return (
                    rng.uniform(GERMANY[0], GERMANY[1]),
                    rng.uniform(GERMANY[2], GERMANY[3]),
                    rng.choice(care_types),
                    offered,
                )

            for _ in range(100):
                lat, lon, kind, offered = report()
                alert_matches(latitude=lat, longitude=lon, care_type=kind, specialisation_bits=offered)
            timings: list[float] = []
            cpu: list[float] = []  # this process's CPU time: the figure on a machine shared with others
            matched: list[int] = []
            reports = [report() for _ in range(args.reports)]
            for lat, lon, kind, offered in reports:
                t0, c0 = time.perf_counter(), time.thread_time()
                found = alert_matches(
                    latitude=lat, longitude=lon, care_type=kind, specialisation_bits=offered
                )
                timings.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.thread_time() - c0) * 1000)
                matched.append(len(found))
            for lat, lon, kind, offered in reports[: args.verify]:
                found = alert_matches(
                    latitude=lat, longitude=lon, care_type=kind, specialisation_bits=offered
                )
                if found != brute_force(lat, lon, kind, offered):
                    raise SystemExit(f"mismatch against brute force at ({lat}, {lon}, {kind}, {offered})")
            result = {
                "database": connection.vendor,
                "subscriptions": args.subscriptions,
                "alert_cells": cells,
                "seed_seconds": round(seed_seconds, 1),
                "reports": args.reports,
                "matched_mean": round(statistics.fmean(matched), 1),
                "matched_max": max(matched),
                "median_ms": round(statistics.median(timings), 3),
                "p95_ms": round(percentile(timings, 0.95), 3),
                "max_ms": round(max(timings), 3),
                "cpu_median_ms": round(statistics.median(cpu), 3),
                "cpu_p95_ms": round(percentile(cpu, 0.95), 3),
                "load_average": os.getloadavg(),
                "verified_against_brute_force": min(args.verify, args.reports),
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
            }
            connection.close()
    print(json.dumps(result, indent=2))
    print(
        f"alert matching ({result['database']}, {args.subscriptions} alerts): "
        f"median {result['median_ms']} ms, "
        f"p95 {result['p95_ms']} ms (target ≤ 5 ms)"
    )


if __name__ == "__main__":
    main()
