"""Baulastenverzeichnis search on a seeded register (``amtsweg baulasten_seed --entries 1000000``):
latency of (a) the parcel lookup ``selectors.entries_for_parcel`` and (b) the full-text search
``selectors.register_search(q=…)``, as the back office and the API call them.

Run (the database must hold the seed; ``--seed-entries N`` seeds it first when it is empty)::

    .venv/bin/amtsweg baulasten_seed --entries 1000000          # once per database (minutes)
    .venv/bin/python bench/baulasten_search.py --database-url postgres://amtsweg@127.0.0.1:5433/amtsweg_bench9
        [--queries 1000] [--repeat 3] [--explain] [--authority 09999000]

(a) ``--queries`` lookups of random parcels: 80 % parcels that carry entries (drawn from the links),
20 % valid keys that are not in the register (the "no entry" answer of a Negativbescheinigung).
(b) ``--fulltext-queries`` full-text searches drawn evenly from three groups of the seed's vocabulary:
rare words (a few thousand hits in a million), medium (street names, utility kinds: tens of
thousands), a rare word with a street or building word (30–330 hits: ranked) and phrases of two or three
words; plus ``--common-queries`` of the commonest words (the
kind words: hundreds of thousands of hits, seconds each, hence few). Each is a ``register_search`` of
a caseworker of the keeping authority (first page of 50, deleted entries excluded), i.e. the count,
the page and the parcels of the page — three SQL statements.

The lookup passes run after a warm-up pass (the full-text ones after the hit-count pass); prints
p50/p95/p99 per pass, the medians over the passes, the figures per group and the time of the SQL
statements of (b) (probe = the capped hit search on the GIN-indexed columns, count, page, parcels);
``--work-mem`` sets PostgreSQL's work_mem for the session;
``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) of the lookup and of a rare word and a phrase search.
Targets (issue 9, docs/performance.md): parcel lookup p95 ≤ 10 ms, full text p95 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import REPO, background_busy
from pdf_render import percentile

BENCH_AGS = "09999000"
WORDS: dict[str, list[str]] = {
    "rare": [
        "Löschwasserzisterne",
        "Trafostation",
        "Feuerwehrzufahrt",
        "Grenzgarage",
        "Photovoltaikanlage",
        "Windenergieanlage",
        "Baudenkmal",
        "Rettungswege",
    ],
    "medium": [
        "Fernwärmeleitung",
        "Tiefgarage",
        "Glehner Weg",
        "Jakobusstraße",
        "Kinderspielfläche",
        "Gasleitung",
        "Ärztehaus",
        "Wintergarten",
        "Hülchrather Straße",
        "Verbrauchermarkt",
    ],
    "common": [
        "Abstandsfläche",
        "Stellplätze",
        "Zufahrt",
        "Vereinigungsbaulast",
        "Rechtsnachfolger",
        "Wohnhaus",
    ],
    # a rare word with a street or building word: 30–330 hits in the seed, so these take the
    # ranked path (ts_rank over every hit)
    "specific": [
        "Trafostation Jakobusstraße",
        "Löschwasserzisterne Tiefgarage",
        "Grenzgarage Glehner",
        "Baudenkmal Wintergarten",
        "Photovoltaikanlage Gasleitung",
        "Feuerwehrzufahrt Ärztehaus",
        "Rettungswege Verbrauchermarkt",
        "Windenergieanlage Hülchrather",
    ],
    "phrase": [
        "Abstandsfläche Wohnhaus",
        '"Geh-, Fahr- und Leitungsrecht"',
        "Stellplätze Tiefgarage",
        "Zufahrt Rettungsfahrzeuge",
        "Abwasserleitung Schutzstreifen",
        "Gemarkung Neuss Flur 12",
        "Kinderspielfläche Vorhaben Goethestraße",
    ],
}


def setup(database_url: str) -> None:
    sys.path.insert(0, str(REPO / "src"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "amtsweg.settings"
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")
    os.environ.setdefault("AMTSWEG_DATA_DIR", tempfile.mkdtemp(prefix="amtsweg-baulasten-bench-"))
    import django

    django.setup()


def bench_actor(ags: str) -> tuple[Any, Any]:
    """The keeping authority and a caseworker of it (created once, no password)."""
    from amtsweg.identity.models import User
    from amtsweg.tenancy.models import Authority, Membership

    authority = Authority.objects.get(ags=ags)
    email = f"bench-baulasten-{ags}@bench.example"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=None, kind=User.Kind.STAFF, first_name="Bench")
    Membership.objects.get_or_create(user=user, authority=authority)
    return authority, user


def draw_parcels(authority: Any, count: int, rng: random.Random) -> list[str]:
    from django.db import connection

    from amtsweg.baulasten.models import Parcel

    with connection.cursor() as cursor:
        # A random sample of linked parcels without reading a million keys: random id windows.
        cursor.execute("SELECT min(id), max(id) FROM baulasten_parcel")
        low, high = cursor.fetchone()
    if low is None:
        raise SystemExit("no parcels: run `amtsweg baulasten_seed` first (or pass --seed-entries)")
    keys: list[str] = []
    known = int(count * 0.8)
    while len(keys) < known:
        ids = [rng.randint(low, high) for _ in range(200)]
        keys.extend(
            Parcel.objects.filter(id__in=ids, baulast_links__baulast__authority=authority)
            .values_list("kennzeichen", flat=True)
            .distinct()
        )
    keys = keys[:known]
    taken = set(keys)
    while len(keys) < count:
        # Valid keys of real Gemarkungen that carry no entry (Zähler above the seed's range).
        base = rng.choice(list(taken))
        key = base[:9] + f"{rng.randint(60000, 99999):05d}" + "______"
        if not Parcel.objects.filter(kennzeichen=key).exists():
            keys.append(key)
    rng.shuffle(keys)
    return keys


def draw_searches(count: int, common: int, rng: random.Random) -> list[tuple[str, str]]:
    """``count`` searches spread evenly over rare, medium and phrase, plus ``common`` of the common
    group (seconds each on a million entries: see docs/performance.md, so few of them)."""
    groups = [g for g in WORDS if g != "common"]
    drawn = [(group, rng.choice(WORDS[group])) for group in (groups[i % len(groups)] for i in range(count))]
    drawn += [("common", WORDS["common"][i % len(WORDS["common"])]) for i in range(common)]
    rng.shuffle(drawn)
    return drawn


class StatementTimer:
    """Times each SQL statement (execute_wrapper), classified as count / page / parcels."""

    def __init__(self) -> None:
        self.times: dict[str, list[float]] = defaultdict(list)

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            if "COUNT(" in sql.upper()[:80]:
                kind = "count"
            elif '_vector" @@' in sql or "_vector @@" in sql:
                kind = "probe"
            elif "baulasten_baulastparcel" in sql:
                kind = "parcels"
            else:
                kind = "page"
            self.times[kind].append(elapsed)


def run_passes(
    name: str, calls: list[tuple[str, Callable[[], Any]]], repeat: int, warm_up: bool = True
) -> dict[str, float]:
    if warm_up:
        for _group, call in calls:  # warm-up: plans, caches, pages
            call()
    passes = []
    by_group: dict[str, list[float]] = defaultdict(list)
    for number in range(1, repeat + 1):
        background = background_busy(0.5)
        timings = []
        for group, call in calls:
            started = time.perf_counter()
            call()
            elapsed = (time.perf_counter() - started) * 1000
            timings.append(elapsed)
            by_group[group].append(elapsed)
        figures = {
            "p50": percentile(timings, 0.5),
            "p95": percentile(timings, 0.95),
            "p99": percentile(timings, 0.99),
            "max": max(timings),
        }
        passes.append(figures)
        print(
            f"  {name} pass {number}: p50 {figures['p50']:.2f} ms  p95 {figures['p95']:.2f} ms  "
            f"p99 {figures['p99']:.2f} ms  max {figures['max']:.1f} ms  "
            f"(machine busy before: {background:.0%})",
            flush=True,
        )
    medians = {key: statistics.median(p[key] for p in passes) for key in ("p50", "p95", "p99")}
    print(
        f"{name}, median of {repeat} passes: p50 {medians['p50']:.2f} ms  p95 {medians['p95']:.2f} ms  "
        f"p99 {medians['p99']:.2f} ms"
    )
    if len(by_group) > 1:
        for group, values in by_group.items():
            print(
                f"  {group:8} p50 {percentile(values, 0.5):7.2f} ms  p95 {percentile(values, 0.95):7.2f} ms  "
                f"p99 {percentile(values, 0.99):7.2f} ms"
            )
    return medians


def benchmark(args: argparse.Namespace) -> None:
    from django.db import connection

    from amtsweg.baulasten import selectors
    from amtsweg.baulasten.models import Baulast, BaulastParcel, Parcel

    authority, user = bench_actor(args.authority)
    rng = random.Random(args.seed)
    if args.work_mem and connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('work_mem', %s, false)", [args.work_mem])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW work_mem")
            print(f"work_mem {cursor.fetchone()[0]}")
    entries = Baulast.objects.filter(authority=authority).count()
    print(
        f"{platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, {connection.vendor} "
        f"{connection.cursor().connection.info.server_version if connection.vendor == 'postgresql' else ''}; "
        f"entries {entries}, parcels {Parcel.objects.count()}, links {BaulastParcel.objects.count()}",
        flush=True,
    )
    parcels = draw_parcels(authority, args.queries, rng)
    ids = [authority.pk]
    lookups: list[tuple[str, Callable[[], Any]]] = [
        ("lookup", lambda key=key: selectors.entries_for_parcel(kennzeichen=key, authority_ids=ids))
        for key in parcels
    ]
    found = sum(
        1 for key in parcels[:200] if selectors.entries_for_parcel(kennzeichen=key, authority_ids=ids)
    )
    print(f"parcel lookup: {len(parcels)} parcels ({found} of the first 200 with entries)")
    lookup = run_passes("parcel lookup", lookups, args.repeat)

    searches = draw_searches(args.fulltext_queries, args.common_queries, rng)
    hits: dict[str, list[int]] = defaultdict(list)
    for group, q in {(g, q) for g, q in searches}:
        hits[group].append(selectors.register_search(user, authority, q=q, limit=50).total)
    for group, values in hits.items():
        print(
            f"  {group:8} hits: median {statistics.median(values):.0f}, min {min(values)}, max {max(values)}"
        )
    calls: list[tuple[str, Callable[[], Any]]] = [
        (group, lambda q=q: selectors.register_search(user, authority, q=q, limit=50))
        for group, q in searches
    ]
    timer = StatementTimer()
    with connection.execute_wrapper(timer):
        fulltext = run_passes("full-text search", calls, args.repeat, warm_up=False)
    for kind, values in timer.times.items():
        print(
            f"  SQL {kind:8} p50 {percentile(values, 0.5):7.2f} ms  p95 {percentile(values, 0.95):7.2f} ms"
            f"  ({len(values)} statements)"
        )
    print(
        f"\n| Measure | p50 ms | p95 ms | p99 ms | target p95 |\n|---|---:|---:|---:|---:|\n"
        f"| parcel lookup | {lookup['p50']:.2f} | {lookup['p95']:.2f} | {lookup['p99']:.2f} | 10 ms |\n"
        f"| full-text search | {fulltext['p50']:.2f} | {fulltext['p95']:.2f} | {fulltext['p99']:.2f} "
        "| 100 ms |"
    )
    if args.explain and connection.vendor == "postgresql":
        explain(authority, user, parcels[0])


def explain(authority: Any, user: Any, key: str) -> None:
    from django.db import connection

    from amtsweg.baulasten import selectors

    def wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("SELECT") and "baulasten_baulast" in sql:
            execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, many, context)
            print("\n".join(row[0] for row in context["cursor"].fetchall()), "\n", flush=True)
        return execute(sql, params, many, context)

    print(f"\n--- EXPLAIN parcel lookup {key}")
    with connection.execute_wrapper(wrapper):
        selectors.entries_for_parcel(kennzeichen=key, authority_ids=[authority.pk])
    for q in ("Löschwasserzisterne", "Abstandsfläche Wohnhaus"):
        print(f"\n--- EXPLAIN full-text search q={q!r} (count, page, parcels)")
        with connection.execute_wrapper(wrapper):
            selectors.register_search(user, authority, q=q, limit=50)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    parser.add_argument("--authority", default=BENCH_AGS, help="AGS of the seeded keeper")
    parser.add_argument("--queries", type=int, default=1000, help="parcel lookups per pass")
    parser.add_argument(
        "--fulltext-queries", type=int, default=150, help="rare/medium/phrase searches per pass"
    )
    parser.add_argument(
        "--common-queries", type=int, default=6, help="searches for the commonest words per pass"
    )
    parser.add_argument("--work-mem", default="", help="PostgreSQL work_mem for the session, e.g. 64MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seed-entries", type=int, default=0, help="seed this many entries when empty")
    parser.add_argument("--explain", action="store_true")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or DATABASE_URL) is required")
    setup(args.database_url)
    if args.seed_entries:
        from django.core.management import call_command

        from amtsweg.baulasten.models import Baulast

        if not Baulast.objects.filter(authority__ags=args.authority).exists():
            call_command("baulasten_seed", "--entries", str(args.seed_entries))
    benchmark(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
