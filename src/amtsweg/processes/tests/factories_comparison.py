"""Factories for the comparison tests: small linear BPMN models (with lanes, media breaks and hand-overs,
saved with a diagram as Camunda Modeler does), their versions, and event-log rows of cases."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from xml.sax.saxutils import quoteattr

from django.utils import timezone
from lxml import etree

from amtsweg.cases.models import Case, Phase
from amtsweg.catalog.models import Service
from amtsweg.processes.models import ProcessDefinition, ProcessInstance, ProcessTask, ProcessVersion
from amtsweg.processes.structure import read_structure
from amtsweg.tenancy.models import Authority
from amtsweg.testing import World

_counter = 0
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.get_fixed_timezone(60))


@dataclass(frozen=True)
class StepSpec:
    id: str
    name: str
    type: str = "userTask"
    lane: str = "Bürgerbüro"
    medium: str = ""
    action: str = ""


def bpmn_xml(process_id: str, steps: list[StepSpec]) -> str:
    """A linear process start → steps → end, lanes from the steps, and a diagram."""
    lanes: dict[str, list[str]] = {}
    for step in steps:
        lanes.setdefault(step.lane, []).append(step.id)
    lane_xml = "".join(
        f'<bpmn:lane id="Lane_{i}" name={quoteattr(name)}>'
        + "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in refs)
        + "</bpmn:lane>"
        for i, (name, refs) in enumerate(lanes.items())
    )
    elements = ['<bpmn:startEvent id="Start" />']
    order = ["Start", *(s.id for s in steps), "End"]
    for step in steps:
        attributes = f"id={quoteattr(step.id)} name={quoteattr(step.name)}"
        extensions = ""
        if step.action:
            attributes += f' camunda:type="external" camunda:topic="amtsweg:{step.action}"'
        if step.medium:
            extensions = (
                "<bpmn:extensionElements><camunda:properties>"
                f'<camunda:property name="medium" value="{step.medium}" />'
                "</camunda:properties></bpmn:extensionElements>"
            )
        elements.append(f"<bpmn:{step.type} {attributes}>{extensions}</bpmn:{step.type}>")
    elements.append('<bpmn:endEvent id="End" />')
    flows = [
        f'<bpmn:sequenceFlow id="Flow_{i}" sourceRef="{a}" targetRef="{b}" />'
        for i, (a, b) in enumerate(pairwise(order))
    ]
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{ref}_di" bpmnElement="{ref}">'
        f'<dc:Bounds x="{100 + 150 * i}" y="100" width="100" height="80" /></bpmndi:BPMNShape>'
        for i, ref in enumerate(order)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"'
        ' xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"'
        ' xmlns:camunda="http://camunda.org/schema/1.0/bpmn"'
        ' id="Definitions_1" targetNamespace="http://bpmn.io/schema/bpmn"'
        ' exporter="Camunda Modeler" exporterVersion="5.31.0">'
        f'<bpmn:process id="{process_id}" isExecutable="true">'
        f'<bpmn:laneSet id="LaneSet_1">{lane_xml}</bpmn:laneSet>'
        + "".join(elements)
        + "".join(flows)
        + "</bpmn:process>"
        f'<bpmndi:BPMNDiagram id="Diagram_1"><bpmndi:BPMNPlane id="Plane_1" bpmnElement="{process_id}">'
        + shapes
        + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram></bpmn:definitions>"
    )


def make_version(
    service: Service,
    authority: Authority | None,
    steps: list[StepSpec],
    *,
    status: str = ProcessVersion.Status.PUBLISHED,
    process_id: str = "Meldebescheinigung",
) -> ProcessVersion:
    """A version of the reference model (``authority`` None) or of an authority's variant."""
    definition, _ = ProcessDefinition.objects.get_or_create(
        service=service, authority=authority, defaults={"name": f"Prozess {authority or 'Referenz'}"}
    )
    xml = bpmn_xml(process_id, steps)
    return ProcessVersion.objects.create(
        definition=definition,
        number=definition.versions.count() + 1,
        status=status,
        process_id=process_id,
        bpmn_xml=xml,
        sha256=hashlib.sha256(xml.encode()).hexdigest(),
        structure=read_structure(etree.fromstring(xml.encode())).model_dump(mode="json"),
        executable=False,
        published_at=timezone.now() if status == ProcessVersion.Status.PUBLISHED else None,
    )


REFERENCE = [
    StepSpec("Task_Pruefen", "Antrag prüfen"),
    StepSpec("Task_Ausstellen", "Bescheinigung ausstellen"),
    StepSpec("Task_Versenden", "Bescheinigung versenden", type="serviceTask", action="postbox.send"),
]
# Dormagen: renamed a step (same id), prints and posts the certificate, and hands over to the Kreis.
DORMAGEN = [
    StepSpec("Task_Pruefen", "Antrag  Pruefen"),
    StepSpec("Task_Ausstellen", "Meldebescheinigung erstellen"),
    StepSpec("Task_Drucken", "Ausdruck unterschreiben", medium="paper"),
    StepSpec("Task_Post", "Per Post versenden", lane="Poststelle", medium="post"),
    StepSpec(
        "Task_Kreis", "An den Kreis übergeben", type="serviceTask", lane="Poststelle", action="handover"
    ),
]


def event_case(
    world: World,
    authority: Authority,
    *,
    submitted: datetime,
    tasks: list[tuple[str, str, timedelta, timedelta | None, timedelta | None]],
    version: ProcessVersion | None = None,
    finished: bool = True,
    state: str = ProcessTask.State.COMPLETED,
) -> Case:
    """A case of the town service at ``authority`` with event-log rows ``(bpmn_id, kind, created,
    claimed, completed)`` given as offsets from ``submitted``."""
    # Historical cases, as the demo and an import create them: no submission, so no engine run.
    global _counter
    _counter += 1
    case = Case.objects.create(
        authority=authority,
        service=world.town_service,
        applicant=world.citizen,
        reference=f"T-{_counter:06d}",
        year=submitted.year,
        number=_counter,
        title="Meldebescheinigung",
        status="abgeschlossen" if finished else "in_bearbeitung",
        phase=Phase.CLOSED if finished else Phase.IN_PROGRESS,
        submitted_at=submitted,
    )
    instance = None
    if version is not None:
        instance = ProcessInstance.objects.create(
            case=case,
            version=version,
            status=ProcessInstance.Status.COMPLETED if finished else ProcessInstance.Status.RUNNING,
            started_at=submitted,
        )
    ProcessTask.objects.bulk_create(
        ProcessTask(
            instance=instance,
            case=case,
            authority=authority,
            service=case.service,
            bpmn_id=bpmn_id,
            name=bpmn_id,
            kind=kind,
            state=state if completed is not None else ProcessTask.State.OPEN,
            created_at=submitted + created,
            claimed_at=None if claimed is None else submitted + claimed,
            completed_at=None if completed is None else submitted + completed,
        )
        for bpmn_id, kind, created, claimed, completed in tasks
    )
    case.refresh_from_db()
    return case
