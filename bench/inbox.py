"""Team inbox benchmark: the first page of the back-office inbox with 1,000,000 cases (PostgreSQL).

Prepare the database once (about a minute for the seeding on 2 cores)::

    createdb -h 127.0.0.1 -p 5433 -U amtsweg amtsweg_bench
    export DATABASE_URL=postgres://amtsweg@127.0.0.1:5433/amtsweg_bench
    .venv/bin/amtsweg migrate
    .venv/bin/amtsweg load_demo
    .venv/bin/amtsweg seed_cases --count 1000000
    psql -h 127.0.0.1 -p 5433 -U amtsweg amtsweg_bench -c 'VACUUM ANALYZE cases_case'

Run::

    DATABASE_URL=postgres://amtsweg@127.0.0.1:5433/amtsweg_bench .venv/bin/python bench/inbox.py \\
        [--rounds 20] [--user sachbearbeitung.neuss@demo.amtsweg.de] [--ags 05162024] [--explain]

For each inbox view below it measures, warm, in rounds (every scenario once per round):

* ``selector``: ``cases.selectors.inbox_page`` alone (the queries for the page and the capped count);
* ``http``: ``GET /backoffice/<ags>/vorgaenge/?…`` through the Django test client: the whole request
  with session, authentication, authority check, filter form, selector and template rendering.

It prints p50/p95/p99 per scenario and over all requests, and the machine. ``--explain`` prints
PostgreSQL's plan (EXPLAIN ANALYZE) of every query of one request per scenario.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")

# (name, query string of the inbox page)
SCENARIOS: list[tuple[str, str]] = [
    ("team (default)", ""),
    ("mine", "ansicht=meine"),
    ("unassigned", "ansicht=nicht-zugewiesen"),
    ("all open", "ansicht=alle"),
    ("all open, oldest first", "ansicht=alle&sortierung=aelteste"),
    ("all open, due date", "ansicht=alle&sortierung=frist"),
    ("all open, by status", "ansicht=alle&sortierung=status"),
    ("all phases", "ansicht=alle&phase=alle"),
    ("phase waiting", "ansicht=alle&phase=waiting"),
    ("status in progress", "ansicht=alle&status=in_bearbeitung"),
    ("overdue", "ansicht=alle&ueberfaellig=on"),
    ("team filter", "ansicht=alle&team={team}"),
    ("service filter", "ansicht=alle&leistung={service}"),
    ("search name", "ansicht=alle&suche=Yilmaz"),
    ("search name, all phases", "ansicht=alle&phase=alle&suche=Lambertz"),
    ("search reference", "ansicht=alle&phase=alle&suche={reference}"),
    ("page 2", "ansicht=alle&cursor={cursor}"),
]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        total = next(
            line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
        )
        memory = f", {int(total.split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except (OSError, StopIteration):
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cores} cores available{memory}; {platform.system()} {platform.release()}"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=20, help="every scenario this often (default 20)")
    parser.add_argument("--user", default="sachbearbeitung.neuss@demo.amtsweg.de", help="the caseworker")
    parser.add_argument("--ags", default="05162024", help="the authority whose inbox is measured")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from amtsweg.cases.forms_staff import InboxFilterForm
    from amtsweg.cases.models import Case
    from amtsweg.cases.selectors import inbox_page, statuses_for_authority
    from amtsweg.catalog.models import Service
    from amtsweg.identity.models import User
    from amtsweg.tenancy.models import Authority, Team

    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the figure is defined for PostgreSQL", file=sys.stderr)
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    authority = Authority.objects.get(ags=args.ags)
    user = User.objects.get(email=args.user)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM cases_case")
        total = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM cases_case WHERE authority_id = %s", [authority.pk])
        at_authority = cursor.fetchone()[0]
        version = (
            connection.cursor().connection.info.server_version if connection.vendor == "postgresql" else ""
        )
    if total < 1_000_000:
        print(f"warning: only {total} cases in the database (seed_cases --count 1000000)", file=sys.stderr)

    team = Team.objects.filter(authority=authority).order_by("pk").first()
    service_id = (
        Case.objects.filter(authority=authority)
        .order_by("-submitted_at")
        .values_list("service_id", flat=True)
        .first()
    )
    reference = (
        Case.objects.filter(authority=authority).order_by("pk").values_list("reference", flat=True)[5000]
    )
    client = Client()
    client.force_login(user)
    base = f"/backoffice/{authority.ags}/vorgaenge/"
    first = client.get(base + "?ansicht=alle").content.decode()
    cursor_match = re.search(r'cursor=([A-Za-z0-9_-]+)" rel="next"', first)
    values = {
        "team": team.pk if team else "",
        "service": service_id or "",
        "reference": reference,
        "cursor": cursor_match.group(1) if cursor_match else "",
    }
    scenarios = [(name, query.format(**values)) for name, query in SCENARIOS]

    teams = list(Team.objects.filter(authority=authority))
    statuses = statuses_for_authority(authority).choices()
    services = list(Service.objects.filter(offerings__authority=authority))
    member_of = set(Team.objects.filter(authority=authority, members=user).values_list("pk", flat=True))

    def selector(query: str) -> int:
        from django.http import QueryDict

        data = QueryDict(query)
        form = InboxFilterForm(
            data,
            statuses=statuses,
            services=services,
            teams=teams,
            default_view="team" if member_of else "alle",
        )
        page = inbox_page(
            user=user,
            filters=form.to_filter(),
            authorities=[authority],
            cursor=data.get("cursor") or None,
            member_teams=member_of,
        )
        return len(page.cases)

    def http(query: str) -> int:
        response = client.get(f"{base}?{query}")
        assert response.status_code == 200, (query, response.status_code)
        return response.content.count(b'name="vorgang"')

    rows: dict[str, int] = {}
    for name, query in scenarios:  # warm up: caches, connections, templates, plans
        rows[name] = http(query)
        selector(query)

    if args.explain:
        for name, query in scenarios:
            with CaptureQueriesContext(connection) as captured:
                selector(query)
            print(f"\n=== {name}: ?{query}")
            for item in captured.captured_queries:
                if not item["sql"].lstrip().upper().startswith("SELECT"):
                    continue
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + item["sql"])
                    print("\n".join(line for (line,) in cursor.fetchall()))
                print("---")

    timings: dict[str, dict[str, list[float]]] = {name: {"selector": [], "http": []} for name, _ in scenarios}
    for _ in range(args.rounds):
        for name, query in scenarios:
            started = time.perf_counter()
            selector(query)
            timings[name]["selector"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            http(query)
            timings[name]["http"].append((time.perf_counter() - started) * 1000)

    import django as django_module

    print(f"machine: {machine()}")
    print(
        f"software: Python {platform.python_version()}, Django {django_module.get_version()}, "
        f"{connection.vendor} {version}"
    )
    print(f"cases: {total} in the database, {at_authority} at {authority.name}; user {user.email}")
    per_measure = args.rounds * len(scenarios)
    print(f"requests: {args.rounds} rounds x {len(scenarios)} scenarios = {per_measure} per measure\n")
    print(f"{'scenario':28} {'rows':>4}  {'selector p50/p95 ms':>20}  {'http p50/p95 ms':>16}")
    for name, _ in scenarios:
        s, h = timings[name]["selector"], timings[name]["http"]
        print(
            f"{name:28} {rows[name]:>4}  {statistics.median(s):>9.1f} / {percentile(s, 0.95):>6.1f}  "
            f"{statistics.median(h):>7.1f} / {percentile(h, 0.95):>6.1f}"
        )
    for measure in ("selector", "http"):
        every = [t for name in timings for t in timings[name][measure]]
        print(
            f"\nall {measure:8}: n={len(every)}  p50 {statistics.median(every):.1f} ms  "
            f"p95 {percentile(every, 0.95):.1f} ms  p99 {percentile(every, 0.99):.1f} ms  "
            f"max {max(every):.1f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
