"""Vacancy reports per second through the operators' write API (``POST /api/v1/care/operator/
facilities/{id}/reports``), on gunicorn, driven by ``wrk`` with many operator tokens.

Run::

    .venv/bin/python bench/care_report_api.py [--database postgres|sqlite] [--database-url URL]
        [--operators 20] [--facilities-per-operator 5] [--lines 1] [--workers 2]
        [--duration 10] [--rounds 3] [--connections 16] [--threads 2] [--idempotency-key]

What it does (bounded; it stops everything it started and drops the database it created):

1. creates a fresh database (``http_load.bench_database``: for PostgreSQL a database whose name
   contains ``bench``, dropped first and at the end; default ``…/amtsweg_bench_care_reports``),
   migrates it;
2. creates a care finder at a Kreis and ``--operators`` operators (Träger), each with one account, a
   DRF API token and ``--facilities-per-operator`` facilities with vollstationäre Pflege (120 places)
   and Kurzzeitpflege (12);
3. starts gunicorn (``--workers`` sync workers, production settings) on 127.0.0.1 and checks that one
   report answers 201 and that a facility of another operator answers 404;
4. runs ``wrk`` with a Lua script: each request uses one (token, facility) pair of the same operator,
   cycling over all pairs, and reports ``--lines`` care types (1 or 2) with a random free-place count
   (and, with ``--idempotency-key``, a unique Idempotency-Key header per request);
5. counts the stored ``VacancyReport`` rows afterwards and prints reports/s (= stored rows / duration),
   requests/s, p50/p99 latency and errors (every non-2xx response counts as one), and, because the
   machine is shared, the gunicorn workers' CPU time per stored report and the CPU share other
   processes used during the round.

Target (docs/performance.md): ≥ 500 reports/s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import (
    REPO,
    Sample,
    _our_ticks,
    bench_database,
    bench_environment,
    fetch,
    foreign_load,
    gunicorn,
    manage,
    postgres_version,
    wrk,
)

DEFAULT_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_care_reports"

LUA = r"""
local pairs_ = {PAIRS}
local lines = {LINES}
local use_key = {USE_KEY}
local counter = 0
local run_id = 0
local next_id = 0

setup = function(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

init = function(args)
  counter = tid * 7919
  run_id = os.time()  -- keys stay unique across the warm-up and the rounds (each a new wrk run)
  math.randomseed(run_id + tid)
end

request = function()
  counter = counter + 1
  local pair = pairs_[(counter % #pairs_) + 1]
  local body
  if lines == 2 then
    body = string.format('{"lines":[{"care_type":"vollstationaer","free_places":%d},' ..
      '{"care_type":"kurzzeitpflege","free_places":%d}]}', math.random(0, 120), math.random(0, 12))
  else
    body = string.format('{"lines":[{"care_type":"vollstationaer","free_places":%d}]}', math.random(0, 120))
  end
  local headers = {}
  headers["Authorization"] = "Token " .. pair[1]
  headers["Content-Type"] = "application/json"
  if use_key then
    headers["Idempotency-Key"] = string.format("bench-%d-%d-%d", run_id, tid, counter)
  end
  return wrk.format("POST", "/api/v1/care/operator/facilities/" .. pair[2] .. "/reports", headers, body)
end
"""


def seed(operators: int, per_operator: int) -> list[tuple[str, int]]:
    """Finder, operators, accounts, tokens and facilities; returns the (token key, facility id) pairs."""
    import django

    django.setup()
    from django.db import connections
    from rest_framework.authtoken.models import Token

    from amtsweg.care.models import CareFinder, CareOffer, CareType, Facility
    from amtsweg.identity.models import Organisation, OrganisationMembership, User
    from amtsweg.tenancy.models import Alliance, Authority

    alliance, _ = Alliance.objects.get_or_create(slug="bench-alliance", defaults={"name": "Bench"})
    kreis, _ = Authority.objects.get_or_create(
        ags="05162000",
        defaults={
            "alliance": alliance,
            "kind": Authority.Kind.KREIS,
            "name": "Rhein-Kreis Neuss",
            "slug": "rhein-kreis-neuss",
            "regional_key": "051620000000",
        },
    )
    finder, _ = CareFinder.objects.get_or_create(authority=kreis)
    pairs: list[tuple[str, int]] = []
    for number in range(operators):
        operator = Organisation.objects.create(name=f"Bench-Träger {number}", identifier=f"HRB {number}")
        user = User.objects.create(
            username=f"operator{number}@bench.example",
            email=f"operator{number}@bench.example",
            kind=User.Kind.CITIZEN,
            first_name="Bench",
        )
        OrganisationMembership.objects.create(organisation=operator, user=user)
        token = Token.objects.create(user=user)
        for index in range(per_operator):
            facility = Facility.objects.create(
                authority=finder.authority,
                operator=operator,
                name=f"Haus {number}-{index}",
                street="Benchweg 1",
                postcode="41460",
                town="Neuss",
                latitude=51.19 + number * 0.001,
                longitude=6.69 + index * 0.001,
            )
            CareOffer.objects.bulk_create(
                [
                    CareOffer(facility=facility, care_type=CareType.FULL_TIME, capacity=120),
                    CareOffer(facility=facility, care_type=CareType.SHORT_TERM, capacity=12),
                ]
            )
            pairs.append((token.key, facility.pk))
    connections.close_all()
    return pairs


def report_count() -> int:
    from django.db import connections

    from amtsweg.care.models import VacancyReport

    count = VacancyReport.objects.count()
    connections.close_all()
    return count


def post_report(base: str, token: str, facility_id: int) -> int:
    import urllib.error
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 (own server)
        f"{base}/api/v1/care/operator/facilities/{facility_id}/reports",
        data=b'{"lines":[{"care_type":"vollstationaer","free_places":1}]}',
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def run_wrk(base: str, script: Path, args: argparse.Namespace, duration: float) -> Sample:
    return wrk(base, duration=duration, threads=args.threads, connections=args.connections, script=script)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--database", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--facilities-per-operator", type=int, default=5)
    parser.add_argument("--lines", type=int, choices=[1, 2], default=1)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--idempotency-key", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="amtsweg-care-bench-") as tmp:
        data_dir = Path(tmp)
        with bench_database(args.database, args.database_url, data_dir) as url:
            env = bench_environment(url, data_dir)
            print(f"database: {args.database} ({url.split('@')[-1]})", flush=True)
            manage(env, "migrate", "--no-input")
            manage(env, "createcachetable")
            os.environ.update(env)
            sys.path[:0] = [str(REPO), str(REPO / "src")]
            started = time.perf_counter()
            pairs = seed(args.operators, args.facilities_per_operator)
            print(
                f"  seed: {len(pairs)} facilities of {args.operators} operators, "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )
            script = data_dir / "reports.lua"
            lua_pairs = "{" + ",".join(f'{{"{key}",{pk}}}' for key, pk in pairs) + "}"
            script.write_text(
                LUA.replace("{PAIRS}", lua_pairs)
                .replace("{LINES}", str(args.lines))
                .replace("{USE_KEY}", "true" if args.idempotency_key else "false")
            )
            with gunicorn(env, "sync", args.workers, 1) as (base, server_pid):
                own_key, own_facility = pairs[0]
                foreign_facility = pairs[-1][1]
                if post_report(base, own_key, own_facility) != 201:
                    raise SystemExit("a report of the operator's own facility did not answer 201")
                if args.operators > 1 and post_report(base, own_key, foreign_facility) != 404:
                    raise SystemExit("a report for another operator's facility did not answer 404")
                status, _ = fetch(base + "/api/v1/care/operator/facilities")
                if status != 401:
                    raise SystemExit(f"anonymous list answered {status}, expected 401")
                run_wrk(base, script, args, args.warmup)
                rounds = []
                for number in range(1, args.rounds + 1):
                    before = report_count()
                    ticks_before = _our_ticks(server_pid, postgres=False)
                    with foreign_load(server_pid, postgres=args.database == "postgres") as foreign:
                        sample = run_wrk(base, script, args, args.duration)
                    ticks_after = _our_ticks(server_pid, postgres=False)
                    stored = report_count() - before
                    server_ticks = sum(
                        value - ticks_before.get(key, 0) for key, value in ticks_after.items() if key != "wrk"
                    )
                    server_ms = server_ticks * 1000 / os.sysconf("SC_CLK_TCK") / max(1, stored)
                    reports_per_second = stored / args.duration
                    rounds.append(
                        {
                            "reports_per_second": reports_per_second,
                            "requests_per_second": sample.requests_per_second,
                            "p50_ms": sample.p50_ms,
                            "p99_ms": sample.p99_ms,
                            "requests": sample.requests,
                            "errors": sample.errors,
                            "stored": stored,
                            "server_cpu_ms_per_report": server_ms,
                            "foreign_cpu_share": foreign[0] if foreign else float("nan"),
                        }
                    )
                    print(
                        f"  round {number}: {reports_per_second:.0f} reports/s "
                        f"({sample.requests_per_second:.0f} requests/s × {args.lines} line(s)), "
                        f"p50 {sample.p50_ms:.1f} ms, p99 {sample.p99_ms:.1f} ms, errors {sample.errors}; "
                        f"gunicorn CPU {server_ms:.2f} ms/report, other processes used "
                        f"{(foreign[0] if foreign else float('nan')):.0%} of the CPUs",
                        flush=True,
                    )
            version = postgres_version(url) if args.database == "postgres" else "SQLite"

    median = statistics.median(r["reports_per_second"] for r in rounds)
    errors = sum(int(r["errors"]) for r in rounds)
    cpu_ms = statistics.median(r["server_cpu_ms_per_report"] for r in rounds)
    print(
        f"\nreport API on {args.database} ({version}), {args.workers} gunicorn workers, "
        f"{len(pairs)} facilities / {args.operators} tokens, {args.connections} connections, "
        f"{os.cpu_count()} CPUs ({platform.machine()}):\n"
        f"  median {median:.0f} reports/s, p50 {statistics.median(r['p50_ms'] for r in rounds):.1f} ms, "
        f"p99 {statistics.median(r['p99_ms'] for r in rounds):.1f} ms, errors {errors}"
        f"  (target ≥ 500 reports/s on PostgreSQL)\n"
        f"  gunicorn CPU per report {cpu_ms:.2f} ms (median): the application alone could store "
        f"{args.workers * 1000 / cpu_ms:.0f} reports/s on {args.workers} free cores, database CPU not counted"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "rounds": rounds})
        )
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
