"""Figures from the event log (ProcessTask rows) per authority: how long the steps of a service take.

Definitions (the same everywhere in the processes module):

* **waiting time** of an activity: ``claimed_at - created_at`` when someone claimed it, else
  ``completed_at - created_at``, for the steps that lie in an inbox (user, manual, external task,
  hand-over); 0 for automatic steps (service tasks, sub-processes).
* **lead time** (Durchlaufzeit) of an activity: ``completed_at - created_at``.
* **lead time of a case**: the last ``completed_at`` of its tasks (else ``case.decided_at``) minus
  ``case.submitted_at``, for finished cases (process completed, or the case decided or closed).

Only completed executions of activities count (events and gateways are not activities; cancelled or
still open tasks have no lead time). Medians are of all executions, so a step that ran twice in one
case counts twice.

PostgreSQL aggregates in the database (``percentile_cont``), which keeps the comparison of 100,000
cases within a few seconds; other databases (SQLite) fetch only the duration columns and compute the
medians in Python. Both paths work on whole microseconds, so their results are identical.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Max, Q

from amtsweg.cases.models import Case, Phase
from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority

from .models import ProcessInstance, ProcessTask

# Steps that lie in a team inbox until someone takes them; every other activity runs on its own.
INBOX_KINDS = (
    ProcessTask.Kind.USER,
    ProcessTask.Kind.MANUAL,
    ProcessTask.Kind.EXTERNAL,
    ProcessTask.Kind.HANDOVER,
)
NOT_ACTIVITIES = (ProcessTask.Kind.EVENT, ProcessTask.Kind.GATEWAY)
FINISHED_PHASES = (Phase.DECIDED, Phase.CLOSED)
_MICRO = timedelta(microseconds=1)


@dataclass(frozen=True)
class ActivityMetric:
    """How one activity (BPMN element) of a service ran at one authority."""

    bpmn_id: str
    count: int
    median_waiting: float | None  # seconds
    median_lead: float | None  # seconds


@dataclass(frozen=True)
class CaseMetric:
    """The cases of a service at one authority: how many, how many finished, their median lead time."""

    authority_id: int
    cases: int
    finished: int
    median_lead: float | None  # seconds, over the finished cases


AuthorityRef = Authority | int


def _ids(authorities: Iterable[AuthorityRef]) -> list[int]:
    return sorted({a if isinstance(a, int) else a.pk for a in authorities})


def _seconds(microseconds: float | None) -> float | None:
    return None if microseconds is None else microseconds / 1_000_000


def _median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _postgres() -> bool:
    return connection.vendor == "postgresql"


def activity_metrics(
    *, service: Service | int, authorities: Iterable[AuthorityRef]
) -> dict[int, dict[str, ActivityMetric]]:
    """Per authority id and ``bpmn_id``: count, median waiting and lead time of the completed
    executions of each activity of ``service`` (every authority asked for has an entry)."""
    service_id = service if isinstance(service, int) else service.pk
    ids = _ids(authorities)
    result: dict[int, dict[str, ActivityMetric]] = {pk: {} for pk in ids}
    if not ids:
        return result
    rows = _activity_rows_postgres(service_id, ids) if _postgres() else _activity_rows_python(service_id, ids)
    for authority_id, bpmn_id, count, waiting, lead in rows:
        result[authority_id][bpmn_id] = ActivityMetric(
            bpmn_id=bpmn_id,
            count=count,
            median_waiting=_seconds(waiting),
            median_lead=_seconds(lead),
        )
    return result


ActivityRow = tuple[int, str, int, float | None, float | None]


def _activity_rows_postgres(service_id: int, ids: list[int]) -> list[ActivityRow]:
    table = ProcessTask._meta.db_table
    # Whole microseconds (round) so that the medians equal the Python path's to the last bit; date_part
    # (double precision) rather than EXTRACT (numeric since PostgreSQL 14), which sorts far slower.
    sql = f"""
        SELECT authority_id, bpmn_id, COUNT(*),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY round(date_part('epoch',
                CASE WHEN NOT kind = ANY(%s) THEN interval '0'
                     WHEN claimed_at IS NOT NULL THEN claimed_at - created_at
                     ELSE completed_at - created_at END) * 1000000)),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY round(date_part('epoch',
                completed_at - created_at) * 1000000))
        FROM {table}
        WHERE service_id = %s AND authority_id = ANY(%s) AND state = %s
            AND completed_at IS NOT NULL AND NOT kind = ANY(%s)
        GROUP BY authority_id, bpmn_id
    """  # noqa: S608  (the table name comes from the model, every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                [str(k) for k in INBOX_KINDS],
                service_id,
                ids,
                ProcessTask.State.COMPLETED.value,
                [str(k) for k in NOT_ACTIVITIES],
            ],
        )
        return [(a, b, c, w, lead) for a, b, c, w, lead in cursor.fetchall()]


def _activity_rows_python(service_id: int, ids: list[int]) -> list[ActivityRow]:
    waiting: dict[tuple[int, str], list[int]] = defaultdict(list)
    lead: dict[tuple[int, str], list[int]] = defaultdict(list)
    rows = (
        ProcessTask.objects.filter(
            service_id=service_id,
            authority_id__in=ids,
            state=ProcessTask.State.COMPLETED,
            completed_at__isnull=False,
        )
        .exclude(kind__in=NOT_ACTIVITIES)
        .values_list("authority_id", "bpmn_id", "kind", "created_at", "claimed_at", "completed_at")
        .order_by()
    )
    for authority_id, bpmn_id, kind, created, claimed, completed in rows.iterator(chunk_size=10_000):
        if completed is None:  # excluded by the query; for the type checker
            continue
        key = (authority_id, bpmn_id)
        if kind not in INBOX_KINDS:
            waiting[key].append(0)
        else:
            waiting[key].append(((claimed or completed) - created) // _MICRO)
        lead[key].append((completed - created) // _MICRO)
    return [(a, b, len(lead[(a, b)]), _median(waiting[(a, b)]), _median(lead[(a, b)])) for a, b in lead]


def case_metrics(*, service: Service | int, authorities: Iterable[AuthorityRef]) -> dict[int, CaseMetric]:
    """Per authority id: the number of cases of ``service``, how many are finished, and the median
    lead time of the finished ones (every authority asked for has an entry)."""
    service_id = service if isinstance(service, int) else service.pk
    ids = _ids(authorities)
    found = (
        _case_rows_postgres(service_id, ids) if ids and _postgres() else _case_rows_python(service_id, ids)
    )
    result = {pk: CaseMetric(authority_id=pk, cases=0, finished=0, median_lead=None) for pk in ids}
    for authority_id, cases, finished, lead in found:
        result[authority_id] = CaseMetric(
            authority_id=authority_id, cases=cases, finished=finished, median_lead=_seconds(lead)
        )
    return result


CaseRow = tuple[int, int, int, float | None]


def _case_rows_postgres(service_id: int, ids: list[int]) -> list[CaseRow]:
    cases = Case._meta.db_table
    instances = ProcessInstance._meta.db_table
    tasks = ProcessTask._meta.db_table
    sql = f"""
        WITH ends AS (
            SELECT case_id, MAX(completed_at) AS ended FROM {tasks}
            WHERE service_id = %s AND authority_id = ANY(%s) GROUP BY case_id
        )
        SELECT c.authority_id, COUNT(*), COUNT(x.lead),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY x.lead)
        FROM {cases} c
        LEFT JOIN {instances} p ON p.case_id = c.id
        LEFT JOIN ends e ON e.case_id = c.id
        CROSS JOIN LATERAL (SELECT CASE WHEN c.phase = ANY(%s) OR p.status = %s
            THEN round(date_part('epoch', COALESCE(e.ended, c.decided_at) - c.submitted_at) * 1000000)
            END AS lead) x
        WHERE c.service_id = %s AND c.authority_id = ANY(%s)
        GROUP BY c.authority_id
    """  # noqa: S608  (table names come from the models, every value is a parameter)
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                service_id,
                ids,
                [str(p) for p in FINISHED_PHASES],
                ProcessInstance.Status.COMPLETED.value,
                service_id,
                ids,
            ],
        )
        return [(a, c, f, lead) for a, c, f, lead in cursor.fetchall()]


def _case_rows_python(service_id: int, ids: list[int]) -> list[CaseRow]:
    if not ids:
        return []
    ends: dict[int, datetime | None] = dict(
        ProcessTask.objects.filter(service_id=service_id, authority_id__in=ids)
        .order_by()
        .values("case_id")
        .annotate(ended=Max("completed_at"))
        .values_list("case_id", "ended")
    )
    counts: dict[int, int] = defaultdict(int)
    leads: dict[int, list[int]] = defaultdict(list)
    finished = Q(phase__in=FINISHED_PHASES) | Q(process__status=ProcessInstance.Status.COMPLETED)
    rows = (
        Case.objects.filter(service_id=service_id, authority_id__in=ids)
        .annotate(finished=ExpressionWrapper(finished, output_field=BooleanField()))
        .values_list("pk", "authority_id", "submitted_at", "decided_at", "finished")
        .order_by()
    )
    for pk, authority_id, submitted, decided, is_finished in rows.iterator(chunk_size=10_000):
        counts[authority_id] += 1
        end = ends.get(pk) or decided
        if is_finished and end is not None:
            leads[authority_id].append((end - submitted) // _MICRO)
    return [(a, counts[a], len(leads[a]), _median(leads[a])) for a in counts]
