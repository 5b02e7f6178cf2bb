"""Pflegefinder search on the nationwide data set (``amtsweg care_bench_seed``: 16,000 facilities, one year
of daily reports): (a) latency of the selector ``facility_search``, (b) requests/s of the search page
``/pflegefinder/?postcode=…&radius_km=…`` and of the public API ``/api/v1/care/facilities?…`` on gunicorn
with 2 workers (the server, wrk and background-load accounting of bench/http_load.py).

Run (the database must hold the seed; ``--seed`` seeds it first when it has no bench facilities)::

    .venv/bin/amtsweg care_bench_seed                       # once per database (minutes)
    .venv/bin/python bench/care_search.py --database-url postgres://amtsweg@127.0.0.1:5433/amtsweg_bench
    .venv/bin/python bench/care_search.py --database-url sqlite:////tmp/amtsweg_bench/db.sqlite3
        [--queries 1000] [--repeat 3] [--http] [--duration 10] [--rounds 3] [--workers 2] [--explain]

(a) ``--queries`` searches at random points drawn like the facilities (a seeded facility's position plus
a few kilometres of Gaussian noise: most searches are where people live), with a radius of 5, 10 or 25 km,
a care type (80 %), a specialisation (30 %) and a date needed (30 %); ``--repeat`` passes over the same
queries, after a warm-up pass. Prints median/p95/p99 per pass, the medians over the passes, the figures
by radius, the hits and the SQL queries per search. ``--explain`` prints PostgreSQL's EXPLAIN ANALYZE of
the selector's main query for a 25 km search in Berlin.

(b) with ``--http``: collectstatic and the cache table into a temporary directory, gunicorn on
127.0.0.1, then ``wrk`` with a Lua script cycling over 200 paths (postcodes of the bundled table nearest
to points drawn like the facilities; radius 5/10/25 km). Target (docs/performance.md): p95 ≤ 20 ms,
≥ 300 requests/s.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (
    REPO,
    Sample,
    background_busy,
    bench_environment,
    fetch,
    foreign_load,
    gunicorn,
    manage,
    wait_for_quiet,
    wrk,
)
from pdf_render import percentile

RADII = (5.0, 10.0, 25.0)
CARE_TYPES = ("vollstationaer", "kurzzeitpflege", "tagespflege", "ambulant")
SPECIALISATIONS = ("demenz", "palliativ", "rollstuhl")


def setup(database_url: str) -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AMTSWEG_DATA_DIR", tempfile.mkdtemp(prefix="amtsweg-care-bench-"))
    import django

    django.setup()


def seeded_points() -> list[tuple[float, float]]:
    from amtsweg.care.management.commands.care_bench_seed import BENCH_AGS
    from amtsweg.care.models import Facility

    return [
        (float(lat), float(lon))
        for lat, lon in Facility.objects.filter(authority__ags=BENCH_AGS).values_list("latitude", "longitude")
    ]


def draw_queries(points: list[tuple[float, float]], count: int, seed: int) -> list[Any]:
    from django.utils import timezone

    from amtsweg.care.selectors import SearchQuery

    rng = random.Random(seed)
    today = timezone.localdate()
    queries = []
    for _ in range(count):
        lat, lon = rng.choice(points)
        lat += rng.gauss(0, 3.0) / 111.2
        lon += rng.gauss(0, 3.0) / 70.0
        queries.append(
            SearchQuery(
                latitude=lat,
                longitude=lon,
                radius_km=rng.choice(RADII),
                care_type=rng.choice(CARE_TYPES) if rng.random() < 0.8 else None,
                specialisations=(rng.choice(SPECIALISATIONS),) if rng.random() < 0.3 else (),
                needed_on=today + timedelta(days=rng.randint(7, 60)) if rng.random() < 0.3 else None,
                limit=20,
            )
        )
    return queries


def selector_benchmark(args: argparse.Namespace) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from amtsweg.care.models import VacancyReport
    from amtsweg.care.selectors import facility_search

    points = seeded_points()
    if not points:
        raise SystemExit("no bench facilities: run `amtsweg care_bench_seed` first (or pass --seed)")
    queries = draw_queries(points, args.queries, args.seed)
    print(
        f"database: {connection.vendor}, facilities: {len(points)}, "
        f"reports: {VacancyReport.objects.count()}, queries: {len(queries)} × {args.repeat}",
        flush=True,
    )
    with CaptureQueriesContext(connection) as captured:
        facility_search(queries[0])
    for query in queries:  # warm-up: caches, plans, pages
        facility_search(query)
    passes: list[dict[str, float]] = []
    by_radius: dict[float, list[float]] = defaultdict(list)
    hits: dict[float, list[int]] = defaultdict(list)
    for number in range(1, args.repeat + 1):
        background = background_busy(0.5)
        timings = []
        for query in queries:
            started = time.perf_counter()
            result = facility_search(query)
            elapsed = (time.perf_counter() - started) * 1000
            timings.append(elapsed)
            by_radius[query.radius_km].append(elapsed)
            if number == 1:
                hits[query.radius_km].append(result.total)
        figures = {
            "p50": percentile(timings, 0.5),
            "p95": percentile(timings, 0.95),
            "p99": percentile(timings, 0.99),
            "max": max(timings),
        }
        passes.append(figures)
        print(
            f"  pass {number}: p50 {figures['p50']:.2f} ms  p95 {figures['p95']:.2f} ms  "
            f"p99 {figures['p99']:.2f} ms  max {figures['max']:.1f} ms  "
            f"(machine busy before: {background:.0%})",
            flush=True,
        )
    print(
        f"selector, median of {args.repeat} passes: "
        f"p50 {statistics.median(p['p50'] for p in passes):.2f} ms  "
        f"p95 {statistics.median(p['p95'] for p in passes):.2f} ms  "
        f"p99 {statistics.median(p['p99'] for p in passes):.2f} ms  "
        f"(SQL queries per search: {len(captured.captured_queries)})"
    )
    for radius in RADII:
        values = by_radius[radius]
        print(
            f"  radius {radius:4.0f} km: p50 {percentile(values, 0.5):6.2f} ms  "
            f"p95 {percentile(values, 0.95):6.2f} ms"
            f"  hits median {statistics.median(hits[radius]):.0f}, max {max(hits[radius])}"
        )
    if args.explain and connection.vendor == "postgresql":
        explain()


def explain() -> None:
    from django.db import connection

    from amtsweg.care.selectors import SearchQuery, facility_search

    with connection.execute_wrapper(_explain_wrapper):
        facility_search(
            SearchQuery(latitude=52.52, longitude=13.405, radius_km=25, care_type="vollstationaer")
        )


def _explain_wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    if "care_careoffer" in sql and not sql.startswith("EXPLAIN"):
        execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
        print("\n".join(row[0] for row in context["cursor"].fetchall()))
    return execute(sql, params, many, context)


# --- HTTP --------------------------------------------------------------------------------------------

LUA = r"""
local paths = {PATHS}
local counter = 0
local next_id = 0
setup = function(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end
init = function(args)
  counter = tid * 37
end
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end
"""


def http_paths(points: list[tuple[float, float]], seed: int, count: int = 200) -> list[tuple[str, float]]:
    """(postcode, radius) pairs: the bundled table's postcode nearest to points drawn like the
    facilities."""
    from amtsweg.care import geocoding

    table = geocoding._table()
    codes = [(pc.latitude, pc.longitude, code) for code, pc in table.postcodes.items()]
    grid: dict[tuple[int, int], list[tuple[float, float, str]]] = defaultdict(list)
    for entry in codes:
        grid[(int(entry[0] * 5), int(entry[1] * 5))].append(entry)
    rng = random.Random(seed)
    chosen = []
    while len(chosen) < count:
        lat, lon = rng.choice(points)
        near = [
            e for d1 in (-1, 0, 1) for d2 in (-1, 0, 1) for e in grid[(int(lat * 5) + d1, int(lon * 5) + d2)]
        ]
        if near:
            best = min(near, key=lambda e: (e[0] - lat) ** 2 + ((e[1] - lon) * 0.63) ** 2)
            chosen.append((best[2], rng.choice(RADII)))
    return chosen


def run_wrk(base: str, paths: list[str], args: argparse.Namespace, script: Path, duration: float) -> Sample:
    script.write_text(LUA.replace("{PATHS}", "{" + ", ".join(f'"{p}"' for p in paths) + "}"), "utf-8")
    return wrk(base, duration=duration, threads=args.threads, connections=args.connections, script=script)


def http_benchmark(args: argparse.Namespace, database_url: str) -> None:
    points = seeded_points()
    pairs = http_paths(points, args.seed)
    targets = {
        "search page": [f"/pflegefinder/?postcode={code}&radius_km={radius:g}" for code, radius in pairs],
        "API search": [
            f"/api/v1/care/facilities?postcode={code}&radius_km={radius:g}" for code, radius in pairs
        ],
    }
    with tempfile.TemporaryDirectory(prefix="amtsweg-care-http-") as directory:
        data_dir = Path(directory)
        env = bench_environment(database_url, data_dir)
        manage(env, "createcachetable")
        manage(env, "collectstatic", "--noinput", "-v", "0")
        postgres = database_url.startswith("postgres")
        with gunicorn(env, "sync", args.workers, 1) as (base, server_pid):
            for name, paths in targets.items():
                status, body = fetch(base + paths[0])
                expect = "Pflege" if name == "search page" else '"results"'
                if status != 200 or expect not in body:
                    raise SystemExit(
                        f"{paths[0]}: status {status}, {expect!r} {'found' if expect in body else 'missing'}"
                    )
            script = data_dir / "paths.lua"
            for paths in targets.values():
                run_wrk(base, paths, args, script, args.warmup)
            results: dict[str, list[Any]] = defaultdict(list)
            for round_number in range(1, args.rounds + 1):
                for name, paths in targets.items():
                    background = wait_for_quiet(args.quiet_limit, args.quiet_patience)
                    with foreign_load(server_pid, postgres) as foreign:
                        sample = run_wrk(base, paths, args, script, args.duration)
                    sample.background, sample.foreign = background, foreign[0]
                    results[name].append(sample)
                    print(
                        f"  round {round_number}  {name:12} {sample.requests_per_second:7.1f} req/s  "
                        f"p50 {sample.p50_ms:6.2f} ms  p99 {sample.p99_ms:7.2f} ms  errors {sample.errors}  "
                        f"(other processes: {background:.0%} before, {sample.foreign:.0%} during)",
                        flush=True,
                    )
    print(f"\ngunicorn {args.workers} × sync, wrk -t{args.threads} -c{args.connections} -d{args.duration:g}s")
    print("| Target | req/s (median) | min–max | p50 ms | p99 ms | errors | other load (max) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, samples in results.items():
        rates = [s.requests_per_second for s in samples]
        print(
            f"| {name} | {statistics.median(rates):.0f} | {min(rates):.0f}–{max(rates):.0f} | "
            f"{statistics.median(s.p50_ms for s in samples):.2f} | "
            f"{statistics.median(s.p99_ms for s in samples):.2f} | "
            f"{sum(s.errors for s in samples)} | {max(s.foreign for s in samples):.0%} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1, help="random seed of the query points")
    parser.add_argument("--seed-facilities", type=int, default=0, help="seed this many facilities when empty")
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--no-selector", action="store_true", help="skip (a)")
    parser.add_argument("--http", action="store_true", help="also run (b) on gunicorn")
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--quiet-limit", type=float, default=0.15)
    parser.add_argument("--quiet-patience", type=float, default=30.0)
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    setup(args.database_url)
    if args.seed_facilities and not seeded_points():
        from django.core.management import call_command

        call_command("care_bench_seed", "--facilities", str(args.seed_facilities))
    if not args.no_selector:
        selector_benchmark(args)
    if args.http:
        from django.db import connections

        connections.close_all()
        http_benchmark(args, args.database_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
