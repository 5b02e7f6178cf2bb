"""Factories for the process analytics tests: a small model with a loop and a reminder (non-interrupting
boundary timer), its published version, and cases with event-log rows, written directly as the demo's
simulated history is (a submission would start the published model in the engine)."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.utils import timezone
from lxml import etree

from amtsweg.cases.models import Case, Phase
from amtsweg.processes.models import ProcessDefinition, ProcessInstance, ProcessTask, ProcessVersion
from amtsweg.processes.structure import read_structure
from amtsweg.tenancy.models import Authority, Team
from amtsweg.testing import World

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.get_fixed_timezone(60))

# Start → Antrag prüfen → vollständig? → ja: Bescheinigung ausstellen → versenden → Ende
#                                     → nein: Unterlagen nachfordern → Antwort (message) → Antrag prüfen
# A reminder timer on "Antrag prüfen" (non-interrupting) lets a supervisor be reminded.
MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn"
  exporter="Camunda Modeler" exporterVersion="5.31.0">
  <bpmn:message id="Msg_Antwort" name="information_received" />
  <bpmn:process id="Meldebescheinigung" name="Meldebescheinigung" isExecutable="true">
    <bpmn:laneSet id="LaneSet_1">
      <bpmn:lane id="Lane_1" name="Bürgerservice">
        <bpmn:flowNodeRef>Start</bpmn:flowNodeRef><bpmn:flowNodeRef>Pruefen</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Vollstaendig</bpmn:flowNodeRef><bpmn:flowNodeRef>Ausstellen</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Versenden</bpmn:flowNodeRef><bpmn:flowNodeRef>Nachfordern</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Antwort</bpmn:flowNodeRef><bpmn:flowNodeRef>Ende</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Erinnerung</bpmn:flowNodeRef><bpmn:flowNodeRef>Erinnern</bpmn:flowNodeRef>
        <bpmn:flowNodeRef>Ende_Erinnert</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="Start" name="Antrag eingegangen" />
    <bpmn:userTask id="Pruefen" name="Antrag prüfen" />
    <bpmn:exclusiveGateway id="Vollstaendig" name="vollständig?" default="F_ja" />
    <bpmn:userTask id="Ausstellen" name="Bescheinigung ausstellen" />
    <bpmn:serviceTask id="Versenden" name="Bescheinigung versenden" camunda:type="external"
      camunda:topic="amtsweg:postbox.send" />
    <bpmn:serviceTask id="Nachfordern" name="Unterlagen nachfordern" camunda:type="external"
      camunda:topic="amtsweg:information.request" />
    <bpmn:intermediateCatchEvent id="Antwort" name="Antwort eingegangen">
      <bpmn:messageEventDefinition messageRef="Msg_Antwort" />
    </bpmn:intermediateCatchEvent>
    <bpmn:endEvent id="Ende" name="erledigt" />
    <bpmn:boundaryEvent id="Erinnerung" name="5 Tage" attachedToRef="Pruefen" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeDuration>P5D</bpmn:timeDuration></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:manualTask id="Erinnern" name="Leitung erinnern" />
    <bpmn:endEvent id="Ende_Erinnert" />
    <bpmn:sequenceFlow id="F_start" sourceRef="Start" targetRef="Pruefen" />
    <bpmn:sequenceFlow id="F_pruefen" sourceRef="Pruefen" targetRef="Vollstaendig" />
    <bpmn:sequenceFlow id="F_ja" sourceRef="Vollstaendig" targetRef="Ausstellen" />
    <bpmn:sequenceFlow id="F_nein" sourceRef="Vollstaendig" targetRef="Nachfordern">
      <bpmn:conditionExpression>vollstaendig == False</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="F_ausstellen" sourceRef="Ausstellen" targetRef="Versenden" />
    <bpmn:sequenceFlow id="F_versenden" sourceRef="Versenden" targetRef="Ende" />
    <bpmn:sequenceFlow id="F_nachfordern" sourceRef="Nachfordern" targetRef="Antwort" />
    <bpmn:sequenceFlow id="F_antwort" sourceRef="Antwort" targetRef="Pruefen" />
    <bpmn:sequenceFlow id="F_erinnerung" sourceRef="Erinnerung" targetRef="Erinnern" />
    <bpmn:sequenceFlow id="F_erinnert" sourceRef="Erinnern" targetRef="Ende_Erinnert" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="Diagram"><bpmndi:BPMNPlane id="Plane" bpmnElement="Meldebescheinigung">
    <bpmndi:BPMNShape id="Start_di" bpmnElement="Start"><dc:Bounds x="100" y="100" width="36" height="36" />
    </bpmndi:BPMNShape>
  </bpmndi:BPMNPlane></bpmndi:BPMNDiagram>
</bpmn:definitions>
"""
KINDS = {
    "Pruefen": ProcessTask.Kind.USER,
    "Ausstellen": ProcessTask.Kind.USER,
    "Versenden": ProcessTask.Kind.SERVICE,
    "Nachfordern": ProcessTask.Kind.SERVICE,
    "Erinnern": ProcessTask.Kind.MANUAL,
    "Antwort": ProcessTask.Kind.EVENT,
    "Vollstaendig": ProcessTask.Kind.GATEWAY,
    "Start": ProcessTask.Kind.EVENT,
    "Ende": ProcessTask.Kind.EVENT,
}
NAMES = {
    "Pruefen": "Antrag prüfen",
    "Ausstellen": "Bescheinigung ausstellen",
    "Versenden": "Bescheinigung versenden",
    "Nachfordern": "Unterlagen nachfordern",
    "Erinnern": "Leitung erinnern",
    "Antwort": "Antwort eingegangen",
    "Vollstaendig": "vollständig?",
    "Start": "Antrag eingegangen",
    "Ende": "erledigt",
}
HAPPY = ["Start", "Pruefen", "Vollstaendig", "Ausstellen", "Versenden", "Ende"]
WITH_REQUEST = [
    "Start",
    "Pruefen",
    "Vollstaendig",
    "Nachfordern",
    "Antwort",
    "Pruefen",
    "Vollstaendig",
    "Ausstellen",
    "Versenden",
    "Ende",
]
SKIPS_ISSUE = ["Start", "Pruefen", "Vollstaendig", "Versenden", "Ende"]


def model_version(world: World, authority: Authority | None = None, *, number: int = 1) -> ProcessVersion:
    """A published version of the model as the reference model (or ``authority``'s variant)."""
    definition, _ = ProcessDefinition.objects.get_or_create(
        service=world.town_service, authority=authority, defaults={"name": "Meldebescheinigung"}
    )
    return ProcessVersion.objects.create(
        definition=definition,
        number=number,
        status=ProcessVersion.Status.PUBLISHED if number == 1 else ProcessVersion.Status.RETIRED,
        process_id="Meldebescheinigung",
        bpmn_xml=MODEL,
        sha256=hashlib.sha256(MODEL.encode()).hexdigest(),
        structure=read_structure(etree.fromstring(MODEL.encode())).model_dump(mode="json"),
        published_at=timezone.now(),
    )


def event_case(
    world: World,
    *,
    version: ProcessVersion | None,
    path: list[str],
    authority: Authority | None = None,
    submitted: datetime = T0,
    finished: bool = True,
    open_last: bool = False,
    step: timedelta = timedelta(hours=2),
) -> Case:
    """A historical case (as the demo simulates them: no submission, a completed process instance)
    submitted at ``submitted`` whose process went along ``path`` (BPMN ids, events and
    gateways included as the engine logs them): inbox tasks are claimed half an hour after they became
    ready and done an hour later; automatic steps take no time. With ``open_last`` the last step is
    still open."""
    authority = authority or world.neuss
    number = Case.objects.filter(authority=authority, year=submitted.year).count() + 1
    case = Case.objects.create(
        authority=authority,
        service=world.town_service,
        applicant=world.citizen,
        applicant_name="Clara Citizen",
        reference=f"{authority.ags[-3:]}-{submitted.year}-{number:06d}",
        year=submitted.year,
        number=number,
        title="Meldebescheinigung",
        status="closed" if finished else "in_progress",
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
    team = Team.objects.filter(authority=authority).first()
    rows = []
    moment = submitted
    for index, bpmn_id in enumerate(path):
        kind = KINDS[bpmn_id]
        inbox = kind in (ProcessTask.Kind.USER, ProcessTask.Kind.MANUAL)
        still_open = open_last and index == len(path) - 1
        done = moment + (timedelta(hours=1, minutes=30) if inbox else timedelta(0))
        rows.append(
            ProcessTask(
                instance=instance,
                case=case,
                authority=authority,
                service=case.service,
                bpmn_id=bpmn_id,
                name=NAMES[bpmn_id],
                kind=kind,
                lane="Bürgerservice",
                team=team if inbox else None,
                state=ProcessTask.State.OPEN if still_open else ProcessTask.State.COMPLETED,
                created_at=moment,
                claimed_at=moment + timedelta(minutes=30) if inbox and not still_open else None,
                completed_at=None if still_open else done,
            )
        )
        moment = done + (step if inbox else timedelta(0))
    ProcessTask.objects.bulk_create(rows)
    case.refresh_from_db()
    return case
