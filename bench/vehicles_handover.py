"""Hand-over latency: from the town's confirmation of a registration to the task in the Kreis inbox.

Run::

    .venv/bin/python bench/vehicles_handover.py [--database-url postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_handover]
        [--cases 40] [--burst 20] [--interval 1.0]

What it does (bounded; it drops the database it created, and stops the worker it started):

1. creates a fresh PostgreSQL database (the name must contain ``bench``), migrates it, and sets up the
   move of issue 10 the way the tests do (``cases.tests.factories_counter.move_services``): the town
   service "Anmeldung einer Wohnung" with the demo form and the demo process
   (``demo/data/processes/wohnsitzanmeldung.bpmn``), and the Kreis service "Adressänderung in der
   Zulassungsbescheinigung" with the real Kreis process (``kfz_adressaenderung.bpmn``: the message
   check and the register check run before the caseworker's task exists); two vehicles per case are
   in the local register;
2. starts ``amtsweg worker`` as a subprocess against that database (``--interval``: its polling
   interval when idle, default 1 s as in production) and enters ``--cases`` + ``--burst``
   registrations at the counter, plus one whose hand-over warms the worker up (not measured);
3. **sequential** (``--cases``): for one case at a time, the Neuss caseworker completes "Anmeldung
   prüfen und im Melderegister eintragen" (``process_task_complete``: the Meldebestätigung is issued
   and the hand-over written with its outbox message, in one transaction); the clock runs from just
   before that call until the Kreis case's user task "Fahrzeuge prüfen und Adressänderung eintragen"
   is in the database (polled every 10 ms through a separate connection);
4. **burst** (``--burst``): all those confirmations back to back, then the time until each Kreis task
   exists (the worker's backlog shows).

Reports the median and p95 of both; the target (issue 10) is a median of at most 2 s.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import REPO, postgres_database

DEFAULT_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_handover"
KREIS_MODEL = REPO / "src" / "amtsweg" / "demo" / "data" / "processes" / "kfz_adressaenderung.bpmn"
KREIS_TASK = "Fahrzeuge prüfen und Adressänderung eintragen"
DATA_DIR = "/tmp/amtsweg_bench_handover"
TIMEOUT_SECONDS = 60.0


def environment(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "amtsweg.settings",
        "DATABASE_URL": database_url,
        "AMTSWEG_DEBUG": "false",
        "AMTSWEG_LOG_LEVEL": "WARNING",
        "AMTSWEG_DATA_DIR": DATA_DIR,
    }


def setup_django(database_url: str) -> None:
    os.environ.update(environment(database_url))
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lower = int(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def prepare(count: int) -> list[int]:
    """The move's services and ``count`` registrations entered at the Neuss counter; their case ids."""
    from django.core.management import call_command

    from amtsweg.cases.services_counter import CounterApplicant, counter_submit
    from amtsweg.cases.tests.factories_counter import move_answers, move_services
    from amtsweg.processes.services import process_version_import, process_version_publish
    from amtsweg.testing import make_world
    from amtsweg.vehicles.models import RegisteredVehicle

    call_command("migrate", verbosity=0)
    world = make_world()
    move, vehicles = move_services(world, kreis_model=None)
    version = process_version_import(
        service=vehicles,
        authority=None,
        xml=KREIS_MODEL.read_bytes(),
        filename=KREIS_MODEL.name,
        actor=None,
        supporting=[],
    )
    if not version.executable:
        raise SystemExit(f"the Kreis model does not run: {version.execution_problems}")
    process_version_publish(version=version, actor=None)
    case_ids = []
    for number in range(1, count + 1):
        plates = [f"NE-BH {number}", f"GV-BH {number}"]
        for plate in plates:
            RegisteredVehicle.objects.create(
                plate=plate,
                vin=f"AWB{number:06d}{plate[:2]}000000"[:17],
                district_prefix=plate[:2],
                holder_family_name="Citizen",
                holder_given_names="Clara Maria",
                holder_birth_date=datetime.date(1990, 4, 1),
                holder_street="Kölner Straße 10",
                holder_postcode="41539",
                holder_city="Dormagen",
            )
        submission = counter_submit(
            authority=world.neuss,
            service=move,
            applicant=CounterApplicant(existing=True, email=world.citizen.email),
            answers=move_answers(plates=plates),
            files={},
            entry_id=uuid.uuid4(),
            actor=world.caseworker_neuss,
        )
        case_ids.append(submission.case.pk)
    return case_ids


def kreis_task_exists(town_case_id: int) -> bool:
    from amtsweg.processes.models import Handover, ProcessTask

    received = Handover.objects.filter(case_id=town_case_id).values("receiving_case")
    return ProcessTask.objects.filter(case__in=received, name=KREIS_TASK, state="open").exists()


def confirm(town_case_id: int) -> None:
    from amtsweg.identity.models import User
    from amtsweg.processes.models import ProcessTask
    from amtsweg.processes.services import process_task_complete

    clerk = User.objects.get(email="nora@neuss.example")
    task = ProcessTask.objects.get(case_id=town_case_id, state="open", bpmn_id="Activity_Anmeldung_pruefen")
    process_task_complete(task=task, data={"vollstaendig": True}, actor=clerk, channel="web")


def wait_for(case_ids: list[int], started: dict[int, float]) -> dict[int, float]:
    """Seconds from ``started[case]`` until each case's Kreis task exists (polled every 10 ms)."""
    pending = set(case_ids)
    latency: dict[int, float] = {}
    deadline = time.perf_counter() + TIMEOUT_SECONDS
    while pending:
        for case_id in sorted(pending):
            if kreis_task_exists(case_id):
                latency[case_id] = time.perf_counter() - started[case_id]
                pending.discard(case_id)
        if time.perf_counter() > deadline:
            raise SystemExit(f"{len(pending)} hand-overs did not arrive within {TIMEOUT_SECONDS:.0f} s")
        if pending:
            time.sleep(0.01)
    return latency


def start_worker(database_url: str, interval: float) -> subprocess.Popen[bytes]:
    command = [
        str(REPO / ".venv" / "bin" / "amtsweg"),
        "worker",
        "--no-startup-delay",
        "--interval",
        str(interval),
        "--verbosity",
        "0",
    ]
    return subprocess.Popen(command, env=environment(database_url), cwd=REPO)


def report(label: str, values: list[float]) -> str:
    return (
        f"{label}: n={len(values)} median {statistics.median(values):.2f} s, "
        f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=40, help="measured one at a time")
    parser.add_argument("--burst", type=int, default=20, help="confirmed back to back")
    parser.add_argument("--interval", type=float, default=1.0, help="the worker's idle polling interval")
    args = parser.parse_args()
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    Path(DATA_DIR).mkdir(parents=True, exist_ok=True)
    with postgres_database(args.database_url) as url:
        setup_django(url)
        from django.db import connections

        case_ids = prepare(1 + args.cases + args.burst)
        connections.close_all()
        worker = start_worker(url, args.interval)
        try:
            time.sleep(2.0)  # the worker's start-up sweep
            # One unmeasured hand-over warms the worker up (imports, first queries, PDF fonts).
            warm_up, case_ids = case_ids[0], case_ids[1:]
            confirm(warm_up)
            wait_for([warm_up], {warm_up: time.perf_counter()})
            sequential: list[float] = []
            for case_id in case_ids[: args.cases]:
                started = {case_id: time.perf_counter()}
                confirm(case_id)
                sequential.extend(wait_for([case_id], started).values())
                time.sleep(0.05)
            burst_ids = case_ids[args.cases :]
            started = {}
            for case_id in burst_ids:
                started[case_id] = time.perf_counter()
                confirm(case_id)
            burst = list(wait_for(burst_ids, started).values()) if burst_ids else []
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
            connections.close_all()
    print(f"worker idle polling interval {args.interval:g} s, PostgreSQL")
    print(report("sequential (one confirmation at a time)", sequential))
    if burst:
        print(report(f"burst ({len(burst)} confirmations back to back)", burst))
    print("target: median <= 2 s:", "met" if statistics.median(sequential) <= 2.0 else "NOT met")


if __name__ == "__main__":
    main()
