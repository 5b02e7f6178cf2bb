"""Factories for the viewer's tests: process versions made from BPMN files, and cases with a process
and an event log (ProcessInstance and ProcessTask rows written directly, as the engine would)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

from django.utils import timezone
from lxml import etree

from amtsweg.cases.models import Case
from amtsweg.cases.tests import factories as case_factories
from amtsweg.catalog.models import Service
from amtsweg.processes.models import ProcessDefinition, ProcessInstance, ProcessTask, ProcessVersion
from amtsweg.processes.structure import Node, read_structure
from amtsweg.tenancy.models import Authority, Team
from amtsweg.testing import World

SAMPLE = Path(__file__).with_name("viewer_sample.bpmn")
# The sample's path of a case that was incomplete, got a request for documents, was answered and is
# now back in "Antrag prüfen" (the loop), with the reminder timer's task still open beside it.
LOOP_PATH: tuple[tuple[str, str], ...] = (
    ("StartEvent_1", ProcessTask.State.COMPLETED),
    ("Task_Pruefen", ProcessTask.State.COMPLETED),
    ("Gateway_Vollstaendig", ProcessTask.State.COMPLETED),
    ("Task_Nachfordern", ProcessTask.State.COMPLETED),
    ("Event_Antwort", ProcessTask.State.COMPLETED),
    ("Task_Pruefen", ProcessTask.State.OPEN),
)


def sample_xml() -> str:
    return SAMPLE.read_text(encoding="utf-8")


def process_version(
    world: World,
    *,
    authority: Authority | None = None,
    xml: str | None = None,
    service: Service | None = None,
    status: str = ProcessVersion.Status.PUBLISHED,
    source: str = "viewer_sample.bpmn",
) -> ProcessVersion:
    """A version of the process of ``service`` (default: the town service) at ``authority`` (None: the
    alliance's reference model), made from ``xml`` (default: the viewer's sample)."""
    xml = xml if xml is not None else sample_xml()
    structure = read_structure(etree.fromstring(xml.encode("utf-8")))
    service = service or world.town_service
    definition, _ = ProcessDefinition.objects.get_or_create(
        service=service,
        authority=authority,
        defaults={"name": structure.name or structure.process_id},
    )
    if status == ProcessVersion.Status.PUBLISHED:
        definition.versions.filter(status=status).update(status=ProcessVersion.Status.RETIRED)
    return ProcessVersion.objects.create(
        definition=definition,
        number=definition.versions.count() + 1,
        status=status,
        process_id=structure.process_id,
        bpmn_xml=xml,
        sha256=hashlib.sha256(xml.encode("utf-8")).hexdigest(),
        structure=structure.model_dump(mode="json"),
        source=source,
        published_at=timezone.now() if status == ProcessVersion.Status.PUBLISHED else None,
    )


def task_kind(node: Node | None) -> str:
    if node is None:
        return ProcessTask.Kind.EVENT
    if node.category in ("event", "gateway", "subprocess"):
        return node.category
    if node.is_handover:
        return ProcessTask.Kind.HANDOVER
    if node.type == "userTask":
        return ProcessTask.Kind.USER
    if node.type == "manualTask":
        return ProcessTask.Kind.MANUAL
    if node.topic:
        return ProcessTask.Kind.EXTERNAL
    return ProcessTask.Kind.SERVICE


def case_with_process(
    world: World,
    *,
    authority: Authority | None = None,
    version: ProcessVersion | None = None,
    path: Sequence[tuple[str, str]] = LOOP_PATH,
    start: datetime | None = None,
) -> Case:
    """A submitted case at ``authority`` (default Neuss) running on ``version`` (default: a new Neuss
    variant of the sample) that went along ``path`` ((element id, state) pairs, one hour a step)."""
    authority = authority or world.neuss
    published = list(
        ProcessVersion.objects.filter(
            definition__service=world.town_service, status=ProcessVersion.Status.PUBLISHED
        ).values_list("pk", flat=True)
    )
    # The engine starts the published process on submission; this event log is written by hand instead.
    ProcessVersion.objects.filter(pk__in=published).update(status=ProcessVersion.Status.DRAFT)
    try:
        case = case_factories.submit_case(world, authority=authority)
    finally:
        ProcessVersion.objects.filter(pk__in=published).update(status=ProcessVersion.Status.PUBLISHED)
    version = version or process_version(world, authority=authority)
    structure = version.parsed
    start = start or case.submitted_at
    ProcessTask.objects.filter(case=case).delete()
    ProcessInstance.objects.filter(case=case).delete()
    instance = ProcessInstance.objects.create(
        case=case, version=version, status=ProcessInstance.Status.RUNNING, started_at=start
    )
    teams = {team.name: team for team in Team.objects.filter(authority=authority)}
    for index, (bpmn_id, state) in enumerate(path):
        node = structure.node(bpmn_id)
        ready = start + timedelta(hours=index)
        done = state == ProcessTask.State.COMPLETED
        lane = node.lane if node else ""
        ProcessTask.objects.create(
            instance=instance,
            case=case,
            authority=authority,
            service=version.definition.service,
            bpmn_id=bpmn_id,
            name=node.name if node else "",
            kind=task_kind(node),
            lane=lane,
            state=state,
            team=teams.get(lane)
            or (teams.get("Bürgerservice") if node and node.category == "task" else None),
            created_at=ready,
            claimed_at=ready + timedelta(minutes=10) if done else None,
            completed_at=ready + timedelta(hours=1) if done else None,
        )
    return case
