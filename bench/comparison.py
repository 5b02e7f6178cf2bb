"""Process comparison benchmark: the comparison report of one service over 100,000 cases (PostgreSQL).

Three towns run the same service: one on the alliance's reference model, two on their own variants
(one with media breaks, one with a hand-over). Every case has a ProcessInstance and about 8 event-log
rows (ProcessTask: start event, six or seven activities, a gateway, the end event), about 800,000 in all.

Prepare a database once; the first run seeds it (bulk inserts, COPY for the event log; a few minutes on
2 cores), later runs reuse it (marker: the benchmark alliance and its case count)::

    createdb -h 127.0.0.1 -p 5433 -U amtsweg amtsweg_bench_cmp
    DATABASE_URL=postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_cmp .venv/bin/python bench/comparison.py \\
        [--cases 100000] [--rounds 5]

Each round times, warm, ``processes.comparison.compare(...)`` (versions in use, activity and case
metrics, the matching) and rendering the standalone HTML report from it, and the parts on their own;
it prints the median, min and max per part, and one PDF rendering of the same report.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from amtsweg.cases.models import Case
    from amtsweg.catalog.models import Service
    from amtsweg.tenancy.models import Authority

T = TypeVar("T")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "amtsweg.settings")
os.environ.setdefault("AMTSWEG_LOG_LEVEL", "WARNING")

ALLIANCE_SLUG = "bench-comparison"
LEIKA = "99115005000000"
TOWNS = [("Benchhausen", "09990001"), ("Vergleichsdorf", "09990002"), ("Messstadt", "09990003")]


def machine() -> str:
    cpu = platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs visible, Python {platform.python_version()}"


def seed(count: int) -> None:
    """Create the alliance, the models and ``count`` finished cases with their event log (idempotent)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from amtsweg.cases.models import Case, Phase
    from amtsweg.catalog.models import Service
    from amtsweg.identity.models import User
    from amtsweg.processes.models import ProcessInstance, ProcessTask, ProcessVersion
    from amtsweg.processes.tests.factories_comparison import StepSpec, make_version
    from amtsweg.tenancy.models import Alliance, Authority

    alliance, _ = Alliance.objects.get_or_create(slug=ALLIANCE_SLUG, defaults={"name": "Benchmark-Verbund"})
    towns = []
    for name, ags in TOWNS:
        town, _ = Authority.objects.get_or_create(
            ags=ags,
            defaults={
                "alliance": alliance,
                "kind": Authority.Kind.STADT,
                "name": name,
                "slug": f"bench-{ags}",
                "regional_key": f"{ags}{ags[-4:]}",
            },
        )
        towns.append(town)
    service, _ = Service.objects.get_or_create(
        leika_key=LEIKA, defaults={"name": "Meldebescheinigung Ausstellung", "responsible_level": "town"}
    )
    existing = Case.objects.filter(service=service, authority__in=towns).count()
    if existing >= count:
        print(f"reusing {existing:,} cases of the benchmark alliance")
        return
    if existing:
        sys.exit(f"{existing:,} cases from an earlier, smaller seeding: drop the database and start again")

    reference = [
        StepSpec("Task_Eingang", "Antrag sichten"),
        StepSpec("Task_Pruefen", "Antrag prüfen"),
        StepSpec("Task_Gebuehr", "Gebühr festsetzen", type="serviceTask", action="status.set"),
        StepSpec("Task_Ausstellen", "Bescheinigung ausstellen"),
        StepSpec("Task_Versenden", "Bescheinigung versenden", type="serviceTask", action="postbox.send"),
        StepSpec("Task_Ablage", "Vorgang ablegen", type="serviceTask", action="case.close"),
    ]
    paper = [
        StepSpec("Task_Eingang", "Antrag sichten"),
        StepSpec("Task_Pruefen", "Antrag  Pruefen"),
        StepSpec("Task_Ausstellen", "Meldebescheinigung erstellen"),
        StepSpec("Task_Drucken", "Ausdruck unterschreiben", type="manualTask", medium="paper"),
        StepSpec("Task_Post", "Per Post versenden", type="manualTask", lane="Poststelle", medium="post"),
        StepSpec("Task_Ablage", "Vorgang ablegen", type="serviceTask", action="case.close"),
    ]
    handover = [
        *reference[:2],
        StepSpec("Task_Kreis", "An den Kreis übergeben", type="serviceTask", lane="Kreis", action="handover"),
        *reference[3:],
    ]
    versions = {
        towns[0].pk: make_version(service, None, reference),
        towns[1].pk: make_version(service, towns[1], paper),
        towns[2].pk: make_version(service, towns[2], handover),
    }
    applicant = User.objects.filter(email="bench-comparison@example.org").first() or User.objects.create_user(
        email="bench-comparison@example.org", password=None, kind=User.Kind.CITIZEN
    )
    rng = random.Random(4)
    start = timezone.now() - timedelta(days=730)
    per_town = count // len(towns)
    batch = 5000
    t0 = time.perf_counter()
    for index, town in enumerate(towns):
        version = versions[town.pk]
        steps = [n for n in version.parsed.nodes if n.is_activity]
        number = 0
        total = per_town + (count - per_town * len(towns) if index == len(towns) - 1 else 0)
        while number < total:
            size = min(batch, total - number)
            submitted = [start + timedelta(seconds=rng.uniform(0, 700 * 86400)) for _ in range(size)]
            with transaction.atomic():
                cases = Case.objects.bulk_create(
                    Case(
                        authority=town,
                        service=service,
                        applicant=applicant,
                        reference=f"B-{town.ags[-1]}-{number + i + 1:07d}",
                        year=at.year,
                        number=number + i + 1,
                        title="Meldebescheinigung",
                        status="abgeschlossen",
                        phase=Phase.CLOSED,
                        submitted_at=at,
                    )
                    for i, at in enumerate(submitted)
                )
                ProcessInstance.objects.bulk_create(
                    ProcessInstance(
                        case=case,
                        version=version,
                        status=ProcessInstance.Status.COMPLETED,
                        started_at=case.submitted_at,
                    )
                    for case in cases
                )
                rows = []
                for case in cases:
                    at = case.submitted_at
                    rows.append(_row(case, town, service, "Start", "event", at, None, at))
                    for step in steps:
                        created = at
                        if step.type in ("userTask", "manualTask"):
                            claimed = created + timedelta(hours=rng.lognormvariate(2.5 + index * 0.4, 1.0))
                            at = claimed + timedelta(minutes=rng.lognormvariate(3.0, 0.8))
                            rows.append(_row(case, town, service, step.id, "user", created, claimed, at))
                        else:
                            at = created + timedelta(seconds=rng.uniform(0.2, 5))
                            kind = "handover" if step.action == "handover" else "service"
                            if kind == "handover":
                                at = created + timedelta(days=rng.lognormvariate(1.0, 0.6))
                            rows.append(_row(case, town, service, step.id, kind, created, None, at))
                        if step.id == "Task_Pruefen":
                            rows.append(_row(case, town, service, "Gateway_1", "gateway", at, None, at))
                    rows.append(_row(case, town, service, "End", "event", at, None, at))
                sql = f"COPY {ProcessTask._meta.db_table} ({', '.join(_COLUMNS)}) FROM STDIN"
                with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            number += size
            done = index * per_town + number
            print(
                f"\r  seeded {done:,} / {count:,} cases ({time.perf_counter() - t0:.0f} s)",
                end="",
                flush=True,
            )
    print()
    with connection.cursor() as cursor:
        for model in (Case, ProcessInstance, ProcessTask, ProcessVersion):
            cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")


_COLUMNS = (
    "id",
    "case_id",
    "authority_id",
    "service_id",
    "bpmn_id",
    "name",
    "kind",
    "lane",
    "state",
    "created_at",
    "claimed_at",
    "completed_at",
    "result",
)


def _row(
    case: Case,
    town: Authority,
    service: Service,
    bpmn_id: str,
    kind: str,
    created: datetime,
    claimed: datetime | None,
    completed: datetime,
) -> tuple[object, ...]:
    return (
        uuid.uuid4(),
        case.pk,
        town.pk,
        service.pk,
        bpmn_id,
        bpmn_id,
        kind,
        "",
        "completed",
        created,
        claimed,
        completed,
        "{}",
    )


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import translation

    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database (e.g. amtsweg_bench_cmp).")
    call_command("migrate", verbosity=0)
    seed(args.cases)

    from amtsweg.catalog.models import Service
    from amtsweg.notices.rendering import render_pdf
    from amtsweg.processes.comparison import compare
    from amtsweg.processes.metrics import activity_metrics, case_metrics
    from amtsweg.processes.models import ProcessTask
    from amtsweg.processes.views_comparison import report_context, report_html
    from amtsweg.tenancy.models import Authority

    translation.activate("de")
    service = Service.objects.get(leika_key=LEIKA)
    towns = list(Authority.objects.filter(ags__in=[ags for _, ags in TOWNS]).order_by("ags"))
    tasks = ProcessTask.objects.filter(service=service, authority__in=towns).count()
    print(f"machine: {machine()}")
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        print(f"PostgreSQL {cursor.fetchone()[0]}, {tasks:,} event-log rows")

    report_html(compare(service=service, authorities=towns))  # warm-up (templates, query plans)
    parts: dict[str, list[float]] = {
        "activity_metrics": [],
        "case_metrics": [],
        "compare": [],
        "report": [],
        "total": [],
    }
    size = 0
    for _ in range(args.rounds):
        parts["activity_metrics"].append(
            timed(lambda: activity_metrics(service=service, authorities=towns))[0]
        )
        parts["case_metrics"].append(timed(lambda: case_metrics(service=service, authorities=towns))[0])
        t0 = time.perf_counter()
        comparison = compare(service=service, authorities=towns)
        t1 = time.perf_counter()
        html = report_html(comparison)
        t2 = time.perf_counter()
        parts["compare"].append(t1 - t0)
        parts["report"].append(t2 - t1)
        parts["total"].append(t2 - t0)
        size = len(html)
    # The same through HTTP: GET …/prozesse/vergleich/?…&format=html (session, authority check, form).
    from django.test import Client

    from amtsweg.identity.models import User
    from amtsweg.tenancy.models import Membership

    staff = User.objects.filter(email="bench-staff@example.org").first() or User.objects.create_user(
        email="bench-staff@example.org", password=None, kind=User.Kind.STAFF
    )
    Membership.objects.get_or_create(user=staff, authority=towns[0])
    client = Client()
    client.force_login(staff)
    url = f"/backoffice/{towns[0].ags}/prozesse/vergleich/?leistung={LEIKA}" + "".join(
        f"&behoerde={t.ags}" for t in towns
    )
    for name, page_url in (("http page", url), ("http page (report)", url + "&format=html")):
        parts[name] = []
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            response = client.get(page_url)
            parts[name].append(time.perf_counter() - t0)
            assert response.status_code == 200, response.status_code
    t_pdf, pdf = timed(
        lambda: render_pdf(
            template_name="processes/comparison_report_pdf.html",
            context={**report_context(comparison), "sender": {"name": "Benchmark-Verbund"}},
            title="Prozessvergleich",
        )
    )
    cases = sum(c.cases.cases for c in comparison.columns)
    activities = len(comparison.rows)
    print(f"{cases:,} cases in {len(towns)} towns, {activities} matched activities, report {size:,} bytes")
    print(f"{'part':<22}{'median s':>10}{'min s':>10}{'max s':>10}   ({args.rounds} rounds, warm)")
    for name, values in parts.items():
        print(f"{name:<22}{statistics.median(values):>10.3f}{min(values):>10.3f}{max(values):>10.3f}")
    print(f"{'PDF report (once)':<22}{t_pdf:>10.3f}   {len(pdf):,} bytes")


if __name__ == "__main__":
    main()
