"""Reads for the process viewer: which process versions a staff member may see, and where a case stands
in its process (the markers the diagram and the step list show).

Process models are not case data: any staff member of an authority of the alliance may read every
variant of the alliance and the reference models (``authority`` empty), so that towns can learn from
each other. Cases are read only through ``cases.selectors`` (scoped and audited).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import NotRequired, TypedDict

from django.db.models import Q, QuerySet
from django.http import Http404

from amtsweg.cases.models import Case
from amtsweg.tenancy import access
from amtsweg.tenancy.access import Actor
from amtsweg.tenancy.models import Authority

from .models import ProcessInstance, ProcessTask, ProcessVersion
from .structure import ProcessStructure

OPEN_STATES = (ProcessTask.State.OPEN, ProcessTask.State.WAITING)
JOIN_TYPES = frozenset({"parallelGateway", "inclusiveGateway", "complexGateway"})
# How far "completed" of one step may lie after "ready" of the next and still count as before it.
CLOCK_SKEW = timedelta(seconds=1)


class HeatMarker(TypedDict):
    level: int  # 0 (shortest) … 4 (longest)
    label: str  # e.g. "2,5 Tage"


class Markers(TypedDict):
    """What the viewer highlights (ids of BPMN elements and sequence flows)."""

    completed: list[str]
    current: list[str]
    flows: list[str]
    heat: NotRequired[dict[str, HeatMarker]]


def empty_markers() -> Markers:
    return {"completed": [], "current": [], "flows": []}


def process_versions_for_user(user: Actor) -> QuerySet[ProcessVersion]:
    """The process versions ``user`` may read: the reference models and every variant of the
    alliances of the authorities the user works for (all of them for superusers)."""
    authority_ids = access.visible_authority_ids(user)
    if not authority_ids:
        return ProcessVersion.objects.none()
    alliances = set(Authority.objects.filter(pk__in=authority_ids).values_list("alliance_id", flat=True))
    return ProcessVersion.objects.filter(
        Q(definition__authority__isnull=True) | Q(definition__authority__alliance_id__in=alliances)
    )


def process_version_get_for_user(user: Actor, pk: int) -> ProcessVersion:
    """One process version ``user`` may read (see :func:`process_versions_for_user`), else 404."""
    version = (
        process_versions_for_user(user)
        .select_related("definition__service", "definition__authority")
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise Http404
    return version


def _trace_key(task: ProcessTask) -> tuple[object, ...]:
    """The order of a case's trace: by completion (open steps by readiness), then readiness."""
    return (task.completed_at or task.created_at, task.created_at, task.completed_at is None)


def _ready_key(task: ProcessTask) -> tuple[object, ...]:
    """The order in which steps became ready; of two ready at once, the one finished first (an
    automatic step is completed in the instant it becomes ready), open ones last."""
    return (task.created_at, task.completed_at is None, task.completed_at or task.created_at)


def case_markers(case: Case) -> Markers:
    """The case's position and path in its process, from its event log (ProcessTask rows).

    ``completed``: elements executed and not open again; ``current``: open or waiting elements;
    ``flows``: the sequence flows the case took, i.e. each executed element's incoming flow from the
    element executed last before it (for a parallel or inclusive join, every incoming flow executed
    since the join's previous execution).
    """
    return case_process(case).markers


def markers_from_tasks(structure: ProcessStructure, tasks: list[ProcessTask]) -> Markers:
    """The markers of one case's ``tasks`` on ``structure`` (see :func:`case_markers`)."""
    rows = sorted(tasks, key=_ready_key)
    current = _unique(t.bpmn_id for t in rows if t.state in OPEN_STATES)
    completed = _unique(
        t.bpmn_id for t in sorted(rows, key=_trace_key) if t.state == ProcessTask.State.COMPLETED
    )
    open_ids = set(current)
    flows: list[str] = []
    by_id = structure.by_id()
    incoming: dict[str, list[tuple[str, str]]] = {}
    for flow in structure.flows:
        incoming.setdefault(flow.target, []).append((flow.id, flow.source))
    executed: dict[str, list[ProcessTask]] = {}
    for row in rows:
        if row.state == ProcessTask.State.COMPLETED and row.completed_at is not None:
            executed.setdefault(row.bpmn_id, []).append(row)
    previous_run: dict[str, ProcessTask] = {}
    for row in rows:
        candidates = incoming.get(row.bpmn_id, [])
        if not candidates:
            continue
        node = by_id.get(row.bpmn_id)
        since = previous_run.get(row.bpmn_id)
        previous_run[row.bpmn_id] = row
        if node is not None and node.type in JOIN_TYPES and len(candidates) > 1:
            for flow_id, source in candidates:
                if any(
                    _before(done, row) and (since is None or not _before(done, since))
                    for done in executed.get(source, [])
                ):
                    flows.append(flow_id)
            continue
        best: tuple[tuple[object, ...], str] | None = None
        for flow_id, source in candidates:
            for done in executed.get(source, []):
                if _before(done, row) and (best is None or _trace_key(done) > best[0]):
                    best = (_trace_key(done), flow_id)
        if best is not None:
            flows.append(best[1])
    result = empty_markers()
    result["completed"] = [i for i in completed if i not in open_ids]
    result["current"] = current
    result["flows"] = _unique(flows)
    return result


def _before(done: ProcessTask, row: ProcessTask) -> bool:
    """Whether ``done`` (a completed row) finished before ``row`` became ready.

    The engine stamps both in one transaction, so "became ready" may equal, or by clock granularity
    even precede, "completed": then the order in which the rows were created decides.
    """
    assert done.completed_at is not None
    if done.pk == row.pk:
        return False
    if done.completed_at <= row.created_at:
        return True
    return done.created_at < row.created_at and done.completed_at - row.created_at < CLOCK_SKEW


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


@dataclass
class CaseProcess:
    """A case's process for the viewer: the version it runs on, its markers and its event log."""

    instance: ProcessInstance | None
    markers: Markers
    tasks: list[ProcessTask] = field(default_factory=list)  # the event log, in trace order

    @property
    def version(self) -> ProcessVersion | None:
        return self.instance.version if self.instance else None

    @property
    def open_tasks(self) -> list[ProcessTask]:
        return [t for t in self.tasks if t.state in OPEN_STATES]

    @property
    def steps(self) -> list[ProcessTask]:
        """The trace: executed activities (no events and gateways)."""
        hidden = (ProcessTask.Kind.EVENT, ProcessTask.Kind.GATEWAY)
        return [t for t in self.tasks if t.kind not in hidden]


def case_process(case: Case) -> CaseProcess:
    """The process of ``case`` (read with ``cases.selectors.case_get_for_user`` before)."""
    instance = (
        ProcessInstance.objects.filter(case=case)
        .select_related("version__definition__service", "version__definition__authority")
        .first()
    )
    if instance is None:
        return CaseProcess(instance=None, markers=empty_markers())
    tasks = sorted(ProcessTask.objects.filter(case=case).select_related("team"), key=_trace_key)
    return CaseProcess(
        instance=instance, markers=markers_from_tasks(instance.version.parsed, tasks), tasks=tasks
    )
