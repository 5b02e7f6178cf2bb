# ruff: noqa: E501  (the generated BPMN is easier to read on one line per element)
"""Workflow steps per second through the service layer, and the ratio to bare SpiffWorkflow.

Run::

    .venv/bin/python bench/workflow_steps.py [--database-url postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_wf]
        [--cases 400] [--tasks 10] [--workers 2] [--rounds 3]

What it does (bounded; it drops the database it created):

1. creates a fresh PostgreSQL database (the name must contain ``bench``), migrates it, and creates an
   alliance with one town, a caseworker and a service;
2. imports and publishes a linear process model of ``--tasks`` user tasks (a generated BPMN file with
   diagram, so it passes the same import checks as any upload) and starts ``--cases`` cases on it;
3. **measured**: ``--workers`` processes complete every open task of their share of the cases through
   ``processes.services.process_task_complete`` — each step locks the process instance, loads the
   engine state, completes the task, runs the engine to the next task, writes the task rows, a case
   event and an audit entry, and saves the state, in one transaction — and reports steps/s;
4. **baseline**: the same model and number of steps with bare SpiffWorkflow in memory (no database, no
   serialisation), in one process; the report gives both and the ratio (median over rounds).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from http_load import REPO, postgres_database

DEFAULT_URL = "postgres://amtsweg@127.0.0.1:5433/amtsweg_bench_wf"


def linear_model(tasks: int) -> bytes:
    """A process of ``tasks`` user tasks in a row, with a diagram."""
    ids = ["start", *[f"t{i}" for i in range(1, tasks + 1)], "end"]
    elements, shapes, flows, edges = [], [], [], []
    for index, element_id in enumerate(ids):
        x = 100 + index * 150
        if element_id == "start":
            elements.append('<bpmn:startEvent id="start" name="Start" />')
            shapes.append(
                f'<bpmndi:BPMNShape id="start_di" bpmnElement="start"><dc:Bounds x="{x}" y="102" width="36" height="36" /></bpmndi:BPMNShape>'
            )
        elif element_id == "end":
            elements.append('<bpmn:endEvent id="end" name="Ende" />')
            shapes.append(
                f'<bpmndi:BPMNShape id="end_di" bpmnElement="end"><dc:Bounds x="{x}" y="102" width="36" height="36" /></bpmndi:BPMNShape>'
            )
        else:
            elements.append(
                f'<bpmn:userTask id="{element_id}" name="Schritt {element_id[1:]}"><bpmn:extensionElements>'
                f'<camunda:formData><camunda:formField id="ok_{element_id}" label="OK?" type="boolean" />'
                "</camunda:formData></bpmn:extensionElements></bpmn:userTask>"
            )
            shapes.append(
                f'<bpmndi:BPMNShape id="{element_id}_di" bpmnElement="{element_id}"><dc:Bounds x="{x}" y="80" width="100" height="80" /></bpmndi:BPMNShape>'
            )
        if index:
            source = ids[index - 1]
            flows.append(f'<bpmn:sequenceFlow id="f{index}" sourceRef="{source}" targetRef="{element_id}" />')
            edges.append(
                f'<bpmndi:BPMNEdge id="f{index}_di" bpmnElement="f{index}"><di:waypoint x="{x - 50}" y="120" />'
                f'<di:waypoint x="{x}" y="120" /></bpmndi:BPMNEdge>'
            )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC" '
        'xmlns:di="http://www.omg.org/spec/DD/20100524/DI" xmlns:camunda="http://camunda.org/schema/1.0/bpmn" '
        'id="bench" targetNamespace="http://bpmn.io/schema/bpmn">'
        f'<bpmn:process id="linear" name="Linear" isExecutable="true">{"".join(elements)}{"".join(flows)}</bpmn:process>'
        f'<bpmndi:BPMNDiagram id="d"><bpmndi:BPMNPlane id="p" bpmnElement="linear">{"".join(shapes)}{"".join(edges)}'
        "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
    ).encode()


def setup_django(database_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "amtsweg.settings",
            "DATABASE_URL": database_url,
            "AMTSWEG_DEBUG": "false",
            "AMTSWEG_LOG_LEVEL": "WARNING",
            "AMTSWEG_DATA_DIR": "/tmp/amtsweg_bench_wf",
        }
    )
    sys.path.insert(0, str(REPO / "src"))
    import django

    django.setup()


def prepare(cases: int, tasks: int) -> list[int]:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from amtsweg.cases.models import Case
    from amtsweg.cases.services import ensure_default_status_model
    from amtsweg.processes.services import process_start, process_version_import, process_version_publish
    from amtsweg.testing import make_world

    call_command("migrate", verbosity=0)
    ensure_default_status_model()
    world = make_world()
    version = process_version_import(
        service=world.town_service,
        authority=None,
        xml=linear_model(tasks),
        filename="linear.bpmn",
        actor=None,
    )
    process_version_publish(version=version, actor=None)
    ids = []
    now = timezone.now()
    for number in range(1, cases + 1):
        with transaction.atomic():
            case = Case.objects.create(
                authority=world.neuss,
                service=world.town_service,
                applicant=world.citizen,
                reference=f"bench-{number}",
                year=now.year,
                number=number,
                title="Bench",
                status="eingegangen",
                submitted_at=now,
            )
            process_start(case=case, actor=None, channel="api")
            ids.append(case.pk)
    return ids


def work(case_ids: list[int], queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    from django.db import connections

    from amtsweg.identity.models import User
    from amtsweg.processes.models import ProcessTask
    from amtsweg.processes.services import process_task_complete

    connections.close_all()  # a forked child opens its own connection
    actor = User.objects.get(email="nora@neuss.example")  # the caseworker of amtsweg.testing.make_world
    steps = 0
    started = time.perf_counter()
    for case_id in case_ids:
        while True:
            task = ProcessTask.objects.filter(case_id=case_id, state="open").first()
            if task is None:
                break
            process_task_complete(task=task, data={f"ok_{task.bpmn_id}": "true"}, actor=actor, channel="api")
            steps += 1
    queue.put((steps, time.perf_counter() - started))


def measured(case_ids: list[int], workers: int) -> float:
    from django.db import connections

    connections.close_all()
    queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
    shares = [case_ids[i::workers] for i in range(workers)]
    started = time.perf_counter()
    processes = [multiprocessing.Process(target=work, args=(share, queue)) for share in shares]
    for process in processes:
        process.start()
    results = [queue.get(timeout=1800) for _ in processes]
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - started
    return float(sum(steps for steps, _ in results) / elapsed)


def bare(cases: int, tasks: int) -> float:
    """The same steps with SpiffWorkflow alone: no database, no saving of state."""
    from SpiffWorkflow.util.task import TaskState

    from amtsweg.processes import engine

    parsed = engine.parse(process_id="linear", files=[("linear.bpmn", linear_model(tasks))])
    steps = 0
    started = time.perf_counter()
    for _ in range(cases):
        workflow = engine.new_workflow(parsed)
        workflow.do_engine_steps()
        while not workflow.completed:
            task = workflow.get_tasks(state=TaskState.READY)[0]
            task.data[f"ok_{task.task_spec.bpmn_id}"] = True
            task.run()
            workflow.do_engine_steps()
            steps += 1
    return float(steps / (time.perf_counter() - started))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--tasks", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    multiprocessing.set_start_method("fork")
    print(f"{platform.node()} · {os.cpu_count()} cores · Python {platform.python_version()}")
    service_rates, bare_rates = [], []
    for round_number in range(1, args.rounds + 1):
        with postgres_database(args.database_url) as url:
            setup_django(url) if round_number == 1 else None
            from django.db import connections

            connections.close_all()
            case_ids = prepare(args.cases, args.tasks)
            rate = measured(case_ids, args.workers)
            connections.close_all()
        baseline = bare(args.cases, args.tasks)
        service_rates.append(rate)
        bare_rates.append(baseline)
        print(
            f"round {round_number}: service layer {rate:.0f} steps/s, bare SpiffWorkflow {baseline:.0f} steps/s"
        )
    service, baseline = statistics.median(service_rates), statistics.median(bare_rates)
    print(
        f"median: service layer {service:.0f} steps/s ({args.workers} workers, PostgreSQL), "
        f"bare SpiffWorkflow {baseline:.0f} steps/s (1 process), ratio {service / baseline:.2f}"
    )


if __name__ == "__main__":
    main()
