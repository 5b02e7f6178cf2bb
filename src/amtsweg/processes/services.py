"""Writes of the processes module: importing and publishing process models, and every step of a case's
process (start, task completed, message, timer, hand-over answered).

Every step is one transaction: the process instance row is locked, the engine state is loaded, the step
runs (platform actions write through the cases services inside the same transaction), the tasks are
synchronised into :class:`ProcessTask` rows, and the new state is saved. A failure anywhere rolls all of
it back, so a case is never left between two states; side effects leave only through the outbox.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from amtsweg.cases.models import Case, CaseEvent
from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority, Team

from . import actions, engine
from .models import (
    Handover,
    LaneTeam,
    ProcessDefinition,
    ProcessInstance,
    ProcessTask,
    ProcessTimer,
    ProcessVersion,
)
from .structure import Node, ProcessStructure, StructureError, read_structure

MAX_BPMN_BYTES = 5 * 1024 * 1024


class ProcessImportError(Problem):
    """The uploaded file is not a BPMN model the platform can take; ``extra`` names the element."""

    status_code = 422
    code = "invalid-bpmn"


class ProcessStepFailed(Problem):
    status_code = 409
    code = "process-step-failed"


class TaskNotOpen(Problem):
    status_code = 409
    code = "task-not-open"


class InvalidTaskData(Problem):
    status_code = 422
    code = "invalid-task-data"


# --- models: import and publish ------------------------------------------------------------------


def _read(data: bytes, filename: str) -> tuple[etree._Element, ProcessStructure]:
    if len(data) > MAX_BPMN_BYTES:
        raise ProcessImportError(
            f"{filename}: Die Datei ist größer als {MAX_BPMN_BYTES // 1024 // 1024} MB.",
            f"{filename}: The file is larger than {MAX_BPMN_BYTES // 1024 // 1024} MB.",
            code="file-too-large",
        )
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ProcessImportError(
            f"{filename}: Kein gültiges XML (Zeile {exc.lineno or 0}): {exc.msg}",
            f"{filename}: Not well-formed XML (line {exc.lineno or 0}): {exc.msg}",
            extra={"line": exc.lineno or 0},
        ) from exc
    try:
        structure = read_structure(root)
    except StructureError as exc:
        raise ProcessImportError(
            f"{filename}: {exc.message_de}", f"{filename}: {exc.message_en}", extra={"element": exc.element}
        ) from exc
    if not structure.has_diagram:
        raise ProcessImportError(
            f"{filename}: Die Datei enthält kein Diagramm (BPMNDI). Speichern Sie das Modell mit einem "
            "Modellierungswerkzeug wie dem Camunda Modeler.",
            f"{filename}: The file contains no diagram (BPMNDI). Save the model with a modelling "
            "tool such as "
            "Camunda Modeler.",
            code="no-diagram",
        )
    for node in structure.nodes:
        if node.action and actions.get(node.action) is None:
            raise ProcessImportError(
                f"{filename}: Element {node.id}: unbekannte Plattform-Aktion „{node.action}“. Bekannt: "
                f"{', '.join(sorted(actions.registered()))}.",
                f"{filename}: Element {node.id}: unknown platform action '{node.action}'. Known: "
                f"{', '.join(sorted(actions.registered()))}.",
                code="unknown-action",
                extra={"element": node.id},
            )
    return root, structure


def process_version_import(
    *,
    service: Service,
    authority: Authority | None,
    xml: bytes,
    filename: str,
    actor: User | None,
    supporting: Sequence[tuple[str, bytes]] = (),
    channel: str = "web",
) -> ProcessVersion:
    """Store an uploaded BPMN file (and the files of processes it calls) as a new draft version.

    A model the platform cannot show is rejected with a message naming the element; a model it can
    show but not run is stored as a documentation-only version with the reasons element by element.
    """
    _, structure = _read(xml, filename)
    supporting_structures = [_read(data, name)[1] for name, data in supporting]
    files = [(filename, xml), *supporting]
    problems = engine.check_executable(structure=structure, files=files, supporting=supporting_structures)
    digest = hashlib.sha256(b"".join(data for _, data in files)).hexdigest()
    with transaction.atomic():
        definition, _ = ProcessDefinition.objects.get_or_create(
            service=service, authority=authority, defaults={"name": (structure.name or service.name)[:300]}
        )
        # Numbers are drawn under a lock of the definition row: two uploads at once get two numbers.
        ProcessDefinition.objects.select_for_update().get(pk=definition.pk)
        number = (definition.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        version = ProcessVersion.objects.create(
            definition=definition,
            number=number,
            process_id=structure.process_id,
            bpmn_xml=xml.decode("utf-8"),
            supporting_files=[{"filename": name, "xml": data.decode("utf-8")} for name, data in supporting],
            sha256=digest,
            structure=structure.model_dump(mode="json"),
            executable=not problems,
            execution_problems=[p.as_dict() for p in problems],
            source=filename[:255],
            created_by=actor,
        )
        if actor is not None:
            access.audit(
                actor=actor,
                action=AuditEvent.Action.CREATE,
                obj=version,
                authority_id=authority.pk if authority else None,
                channel=channel,
                changes={"file": filename, "executable": version.executable},
            )
    return version


def process_version_publish(
    *, version: ProcessVersion, actor: User | None, channel: str = "web"
) -> ProcessVersion:
    """Make ``version`` the one new cases start on; the previous published version is retired (its
    running cases stay on it)."""
    if not version.executable:
        raise Problem(
            "Diese Version kann nicht ausgeführt werden und daher nicht veröffentlicht werden.",
            "This version cannot be run and therefore cannot be published.",
            status_code=409,
            code="not-executable",
            extra={"problems": version.execution_problems},
        )
    with transaction.atomic():
        locked = ProcessVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status == ProcessVersion.Status.PUBLISHED:
            return locked
        ProcessVersion.objects.filter(
            definition_id=locked.definition_id, status=ProcessVersion.Status.PUBLISHED
        ).update(status=ProcessVersion.Status.RETIRED)
        locked.status = ProcessVersion.Status.PUBLISHED
        locked.published_at = timezone.now()
        locked.save(update_fields=["status", "published_at"])
        if actor is not None:
            access.audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.definition.authority_id,
                channel=channel,
                changes={"status": "published"},
            )
    return locked


def process_version_for(*, service_id: int, authority_id: int) -> ProcessVersion | None:
    """The published version new cases of ``service_id`` at ``authority_id`` run on: the authority's
    variant, else the alliance's reference model."""
    return (
        ProcessVersion.objects.filter(
            status=ProcessVersion.Status.PUBLISHED, definition__service_id=service_id
        )
        .filter(Q(definition__authority_id=authority_id) | Q(definition__authority__isnull=True))
        .select_related("definition")
        .order_by(F("definition__authority_id").desc(nulls_last=True))
        .first()
    )


# --- running: one step ---------------------------------------------------------------------------


@dataclass
class Run:
    """One step of one case's process: what platform actions act on."""

    instance: ProcessInstance
    case: Case
    version: ProcessVersion
    actor: User | None
    channel: str
    now: datetime
    nodes: dict[str, Node] = field(default_factory=dict)
    handovers: list[Handover] = field(default_factory=list)


def _nodes(version: ProcessVersion) -> dict[str, Node]:
    cached: dict[str, Node] | None = version.__dict__.get("_nodes")
    if cached is None:
        cached = dict(version.parsed.by_id())
        for supporting in version.supporting_files:
            try:
                root = etree.fromstring(supporting["xml"].encode(), etree.XMLParser(resolve_entities=False))
                cached.update(read_structure(root).by_id())
            except (etree.XMLSyntaxError, StructureError):
                continue
        version.__dict__["_nodes"] = cached
    return cached


@contextmanager
def _running(run: Run) -> Iterator[None]:
    token = engine.current_run.set(engine.RunContext(run=run))
    try:
        yield
    finally:
        engine.current_run.reset(token)


def process_start(
    *, case: Case, actor: User | None, channel: str, data: Mapping[str, Any] | None = None
) -> ProcessInstance | None:
    """Start the process of a new case, in the caller's transaction (the submission's). Cases of a
    service without a published process model have none and are worked by hand. The process
    variables start with ``data``, by default the applicant's answers."""
    version = process_version_for(service_id=case.service_id, authority_id=case.authority_id)
    if version is None:
        return None
    now = timezone.now()
    instance = ProcessInstance.objects.create(case=case, version=version, started_at=now, state="")
    run = Run(instance=instance, case=case, version=version, actor=actor, channel=channel, now=now)
    workflow = engine.new_workflow(engine.parsed_for(version))
    # Process variables start with the applicant's answers, so gateways can decide on them.
    if data is None:
        data = dict(case.submission.data) if case.submission_id and case.submission else {}
    else:
        data = dict(data)
    workflow.data.update(data)
    workflow.task_tree.data.update(data)
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    CaseEvent.objects.create(
        case=case,
        actor=actor,
        kind=CaseEvent.Kind.PROCESS,
        status=case.status,
        detail={"started": version.pk, "version": version.number},
    )
    try:
        # A savepoint: a model that fails at its first steps must not cost the citizen the submission.
        with transaction.atomic():
            _advance(run, workflow, open_rows={})
    except Problem as exc:
        instance.status = ProcessInstance.Status.FAILED
        instance.error = exc.detail_en[:2000]
        instance.revision = 0
        instance.save()
    return instance


def _advance(run: Run, workflow: BpmnWorkflow, *, open_rows: dict[UUID, ProcessTask]) -> None:
    with _running(run):
        try:
            workflow.do_engine_steps()
        except engine.ScriptsNotAllowed as exc:
            raise _failed(str(exc), "") from exc
        except engine.WorkflowError as exc:
            raise _failed(str(exc), exc.element) from exc
        except Problem:
            raise
        except Exception as exc:
            element = getattr(getattr(getattr(exc, "task", None), "task_spec", None), "bpmn_id", "") or ""
            raise _failed(f"{type(exc).__name__}: {exc}", element) from exc
    _sync(run, workflow, open_rows)
    instance = run.instance
    instance.state = engine.dump(workflow)
    instance.revision += 1
    fields = ["state", "revision", "updated_at"]
    if workflow.completed:
        instance.status = ProcessInstance.Status.COMPLETED
        instance.completed_at = run.now
        fields += ["status", "completed_at"]
        CaseEvent.objects.create(
            case=run.case,
            actor=None,
            kind=CaseEvent.Kind.PROCESS,
            status=run.case.status,
            detail={"completed": True},
        )
    if instance.pk and instance.revision > 1:
        instance.save(update_fields=fields)
    else:
        instance.save()


def _failed(message: str, element: str) -> ProcessStepFailed:
    return ProcessStepFailed(
        f"Der Prozessschritt ist fehlgeschlagen ({element or 'Prozess'}): {message[:300]}. Es wurde "
        "nichts geändert.",
        f"The process step failed ({element or 'process'}): {message[:300]}. Nothing was changed.",
        extra={"element": element},
    )


_OPEN_STATES = TaskState.READY | TaskState.STARTED | TaskState.WAITING


def task_kind(node: Node) -> str:
    """The kind of task row an element of the model becomes (also used for simulated history)."""
    if node.category == "gateway":
        return ProcessTask.Kind.GATEWAY
    if node.category == "event":
        return ProcessTask.Kind.EVENT
    if node.category == "subprocess":
        return ProcessTask.Kind.SUBPROCESS
    if node.type == "userTask":
        return ProcessTask.Kind.USER
    if node.type in ("manualTask", "task"):
        return ProcessTask.Kind.MANUAL
    if node.is_handover:
        return ProcessTask.Kind.HANDOVER
    if node.action:
        return ProcessTask.Kind.SERVICE
    if node.type in ("serviceTask", "sendTask"):
        return ProcessTask.Kind.EXTERNAL
    return ProcessTask.Kind.EVENT  # receive tasks wait for a message like an event


_INBOX_KINDS = {ProcessTask.Kind.USER, ProcessTask.Kind.MANUAL, ProcessTask.Kind.EXTERNAL}


def _sync(run: Run, workflow: BpmnWorkflow, open_rows: dict[UUID, ProcessTask]) -> None:
    """Write what the step changed: new open tasks, finished ones, timers, the case's inbox team."""
    nodes = run.nodes or _nodes(run.version)
    run.nodes = nodes
    now = run.now
    new_rows: list[ProcessTask] = []
    finished: list[ProcessTask] = []
    timers: list[ProcessTimer] = []
    seen: set[UUID] = set()
    lane_teams: dict[str, Team | None] = {}
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        node = nodes.get(bpmn_id) if bpmn_id else None
        if node is None:
            continue
        row = open_rows.get(task.id)
        if task.has_state(_OPEN_STATES):
            seen.add(task.id)
            if row is not None:
                continue
            kind = task_kind(node)
            in_inbox = kind in _INBOX_KINDS and (
                task.state == TaskState.READY or kind == ProcessTask.Kind.EXTERNAL
            )
            team = None
            if kind in _INBOX_KINDS:
                if node.lane not in lane_teams:
                    lane_teams[node.lane] = _team_for_lane(run, node.lane)
                team = lane_teams[node.lane]
            new_rows.append(
                ProcessTask(
                    id=task.id,
                    instance=run.instance,
                    case=run.case,
                    authority_id=run.case.authority_id,
                    service_id=run.case.service_id,
                    bpmn_id=node.id,
                    name=node.name[:300],
                    kind=kind,
                    lane=node.lane[:200],
                    state=ProcessTask.State.OPEN if in_inbox else ProcessTask.State.WAITING,
                    team=team,
                    created_at=now,
                )
            )
            timer = _timer_due(task)
            if timer is not None:
                timers.append(
                    ProcessTimer(
                        instance=run.instance,
                        task_id=task.id,
                        bpmn_id=node.id,
                        name=node.name[:300],
                        due_at=timer,
                    )
                )
        elif task.has_state(TaskState.COMPLETED | TaskState.CANCELLED | TaskState.ERROR):
            state = (
                ProcessTask.State.COMPLETED
                if task.has_state(TaskState.COMPLETED)
                else ProcessTask.State.CANCELLED
            )
            if row is not None:
                row.state = state
                row.completed_at = now
                if state == ProcessTask.State.COMPLETED and row.kind in _INBOX_KINDS:
                    row.completed_by = run.actor if row.completed_by_id is None else row.completed_by
                finished.append(row)
            elif task.last_state_change >= run.now.timestamp() - 1 and state == ProcessTask.State.COMPLETED:
                # An automatic step of this run (gateway, event, platform action); written once (the
                # primary key is the engine's task id, so a repeat is ignored).
                new_rows.append(
                    ProcessTask(
                        id=task.id,
                        instance=run.instance,
                        case=run.case,
                        authority_id=run.case.authority_id,
                        service_id=run.case.service_id,
                        bpmn_id=node.id,
                        name=node.name[:300],
                        kind=task_kind(node),
                        lane=node.lane[:200],
                        state=state,
                        created_at=now,
                        completed_at=now,
                    )
                )
    for task_id, row in open_rows.items():
        if task_id not in seen and row not in finished:
            row.state = ProcessTask.State.CANCELLED
            row.completed_at = now
            finished.append(row)
    if finished:
        written = ["state", "completed_at", "completed_by", "assignee", "claimed_at", "result"]
        if len(finished) == 1:
            finished[0].save(update_fields=written)
        else:
            ProcessTask.objects.bulk_update(finished, written)
        # Only events and tasks with a deadline can have timers; most steps need no query here.
        timed = [
            r.id for r in finished if r.kind in (ProcessTask.Kind.EVENT, ProcessTask.Kind.GATEWAY) or r.due_at
        ]
        if timed:
            ProcessTimer.objects.filter(
                instance=run.instance, task_id__in=timed, fired_at__isnull=True
            ).update(fired_at=now)
    if timers:
        # A user task's deadline is the first timer attached to it.
        due = {t.bpmn_id: t.due_at for t in timers}
        deadline: dict[str, datetime] = {}
        for node in nodes.values():
            if node.attached_to and node.id in due:
                deadline[node.attached_to] = min(due[node.id], deadline.get(node.attached_to, due[node.id]))
        for row in new_rows:
            row.due_at = row.due_at or deadline.get(row.bpmn_id)
        ProcessTimer.objects.bulk_create(timers, ignore_conflicts=True)
    if new_rows:
        ProcessTask.objects.bulk_create(new_rows, ignore_conflicts=True)
    for handover in run.handovers:  # their task rows exist now
        handover.save(force_insert=True)
    run.handovers.clear()
    inbox = [r for r in new_rows if r.state == ProcessTask.State.OPEN and r.team_id]
    if inbox and run.case.team_id != inbox[0].team_id:
        Case.objects.filter(pk=run.case.pk).update(team_id=inbox[0].team_id, updated_at=now)
        run.case.team_id = inbox[0].team_id


def _timer_due(task: Task) -> datetime | None:
    definition = getattr(task.task_spec, "event_definition", None)
    if isinstance(definition, MultipleEventDefinition):  # an event-based gateway waits for its events
        if not any(isinstance(d, TimerEventDefinition) for d in definition.event_definitions):
            return None
    elif not isinstance(definition, TimerEventDefinition):
        return None
    if task.state != TaskState.WAITING:
        return None
    value = task._get_internal_data("event_value")
    if isinstance(value, dict):
        value = value.get("next")
    if not isinstance(value, str):
        return None
    try:
        due: datetime = TimerEventDefinition.get_datetime(value)
        return due
    except ValueError:
        return None


def _team_for_lane(run: Run, lane: str) -> Team | None:
    if lane:
        mapped = (
            LaneTeam.objects.filter(
                definition_id=run.version.definition_id, authority_id=run.case.authority_id, lane=lane
            )
            .select_related("team")
            .first()
        )
        if mapped is not None:
            return mapped.team
        named = Team.objects.filter(authority_id=run.case.authority_id, name=lane).first()
        if named is not None:
            return named
    return run.case.team


def _not_running() -> ProcessStepFailed:
    return ProcessStepFailed(
        "Der Prozess dieses Vorgangs läuft nicht mehr.",
        "The process of this case is no longer running.",
        code="process-not-running",
    )


def _locked(
    instance_id: int, *, running: bool = True
) -> tuple[ProcessInstance, BpmnWorkflow, dict[UUID, ProcessTask]]:
    """The instance row locked for this transaction, its workflow loaded, and its open task rows."""
    instance = (
        ProcessInstance.objects.select_for_update(of=("self",))
        .select_related("version", "case")
        .get(pk=instance_id)
    )
    if running and instance.status != ProcessInstance.Status.RUNNING:
        raise _not_running()
    workflow = engine.load(engine.parsed_for(instance.version), instance.state)
    open_rows = {
        row.id: row
        for row in ProcessTask.objects.filter(
            instance=instance, state__in=[ProcessTask.State.OPEN, ProcessTask.State.WAITING]
        )
    }
    return instance, workflow, open_rows


def _run_for(instance: ProcessInstance, actor: User | None, channel: str) -> Run:
    return Run(
        instance=instance,
        case=instance.case,
        version=instance.version,
        actor=actor,
        channel=channel,
        now=timezone.now(),
    )


# --- tasks -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskField:
    """One field of a user task's form (camunda:formField)."""

    id: str
    label: str
    type: str  # string, long, boolean, date, enum
    required: bool
    options: tuple[tuple[str, str], ...] = ()
    default: str = ""


def task_form(task: ProcessTask) -> list[TaskField]:
    """The fields a person fills in to complete ``task`` (empty for a task without a form)."""
    if task.instance_id is None:
        return []
    instance = task.instance
    assert instance is not None
    return _form_of(instance.version, task.bpmn_id)


def _form_of(version: ProcessVersion, bpmn_id: str) -> list[TaskField]:
    spec = engine.parsed_for(version)
    specs = [spec.spec, *spec.subprocess_specs.values()]
    for process_spec in specs:
        for task_spec in process_spec.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) == bpmn_id and getattr(task_spec, "form", None):
                return [
                    TaskField(
                        id=f.id,
                        label=f.label or f.id,
                        type=f.type or "string",
                        required=any(
                            v.name == "required" and str(v.config).lower() == "true" for v in f.validation
                        ),
                        options=tuple((o.id, o.name) for o in getattr(f, "options", [])),
                        default=str(f.default_value or ""),
                    )
                    for f in task_spec.form.fields
                ]
    return []


def clean_task_data(
    fields: Sequence[TaskField], raw: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Typed values for ``fields`` from ``raw`` (form or JSON input), and errors by field id."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        value = raw.get(f.id)
        if f.type == "boolean":
            if value in (True, "true", "on", "1", "yes", "ja"):
                data[f.id] = True
            elif value in (False, "false", "0", "no", "nein", "", None):
                # An unticked checkbox is absent from a form post; a JSON client must say false.
                if value is None and f.required and not _is_form(raw):
                    errors[f.id] = "Bitte ja oder nein angeben."
                    continue
                data[f.id] = False
            else:
                errors[f.id] = "Bitte ja oder nein angeben."
            continue
        if value in (None, ""):
            if f.required:
                errors[f.id] = "Bitte ausfüllen."
            continue
        if f.type == "long":
            try:
                data[f.id] = int(str(value))
            except ValueError:
                errors[f.id] = "Bitte eine ganze Zahl angeben."
        elif f.type == "date":
            try:
                data[f.id] = date.fromisoformat(str(value)).isoformat()
            except ValueError:
                errors[f.id] = "Bitte ein Datum im Format JJJJ-MM-TT angeben."
        elif f.type == "enum":
            if str(value) not in {o[0] for o in f.options}:
                errors[f.id] = "Bitte einen der angebotenen Werte wählen."
            else:
                data[f.id] = str(value)
        else:
            text = str(value).strip()
            if len(text) > 5000:
                errors[f.id] = "Höchstens 5000 Zeichen."
            else:
                data[f.id] = text
    return data, errors


_VARIABLE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,62}$")


def clean_variables(raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Process variables from free input: identifier names, scalar values (at most 50)."""
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    items = [(k, v) for k, v in raw.items() if k != "csrfmiddlewaretoken"]
    if len(items) > 50:
        return {}, {"__all__": "Höchstens 50 Variablen."}
    for key, value in items:
        if not isinstance(key, str) or not _VARIABLE.match(key):
            errors[str(key)[:63]] = "Ungültiger Variablenname."
        elif not isinstance(value, str | int | float | bool) and value is not None:
            errors[key] = "Nur Text, Zahlen, Wahrheitswerte oder null."
        elif isinstance(value, str) and len(value) > 5000:
            errors[key] = "Höchstens 5000 Zeichen."
        else:
            data[key] = value
    return data, errors


def _is_form(raw: Mapping[str, Any]) -> bool:
    return hasattr(raw, "getlist")


def process_task_claim(*, task: ProcessTask, actor: User, channel: str) -> ProcessTask:
    """``actor`` takes the task: work on it has started (the end of its waiting time)."""
    _require_staff(actor, task)
    with transaction.atomic():
        locked = ProcessTask.objects.select_for_update().get(pk=task.pk)
        if locked.state != ProcessTask.State.OPEN:
            raise _not_open()
        locked.assignee = actor
        if locked.claimed_at is None:
            locked.claimed_at = timezone.now()
        locked.save(update_fields=["assignee", "claimed_at"])
    return locked


def process_task_complete(
    *, task: ProcessTask, data: Mapping[str, Any], actor: User, channel: str
) -> ProcessTask:
    """Complete an open task (user, manual or external) with ``data``; the process goes on to its next
    tasks in the same transaction. Completing a task twice, or one already completed by a colleague,
    is refused (409); invalid data is refused (422) and nothing changes."""
    _require_staff(actor, task)
    if task.instance_id is None:
        raise _not_open()
    with transaction.atomic():
        instance, workflow, open_rows = _locked(task.instance_id, running=False)
        row = open_rows.get(task.pk)
        if row is None or row.state != ProcessTask.State.OPEN:
            raise _not_open()
        if instance.status != ProcessInstance.Status.RUNNING:
            raise _not_running()
        spiff_task = workflow.get_task_from_id(task.pk)
        fields = _form_of(instance.version, row.bpmn_id)
        if fields:
            cleaned, errors = clean_task_data(fields, data)
        else:
            # A task without a declared form (external tasks, foreign models) reports its result as
            # process variables, like Camunda's complete-task call: names and plain values only.
            cleaned, errors = clean_variables(data)
        if errors:
            raise InvalidTaskData(
                "Bitte prüfen Sie die markierten Angaben.",
                "Please check the marked entries.",
                extra={"errors": errors},
            )
        run = _run_for(instance, actor, channel)
        spiff_task.data.update(cleaned)
        with _running(run):
            try:
                if spiff_task.state == TaskState.READY:
                    spiff_task.run()
                else:
                    spiff_task.complete()
            except engine.WorkflowError as exc:
                raise _failed(str(exc), exc.element) from exc
        # Written with the state change in _sync (one UPDATE for the row).
        row.completed_by = actor
        row.assignee = actor
        row.result = cleaned
        if row.claimed_at is None:
            row.claimed_at = run.now
        CaseEvent.objects.create(
            case=run.case,
            actor=actor,
            kind=CaseEvent.Kind.TASK,
            status=run.case.status,
            detail={"task": str(row.pk), "activity": row.bpmn_id, "name": row.name},
        )
        _advance(run, workflow, open_rows=open_rows)
        access.audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=run.case,
            authority_id=run.case.authority_id,
            channel=channel,
            changes={"task_completed": row.bpmn_id},
        )
    return row


def _not_open() -> TaskNotOpen:
    return TaskNotOpen(
        "Diese Aufgabe ist nicht mehr offen (bereits erledigt oder abgebrochen).",
        "This task is no longer open (already completed or cancelled).",
    )


def _require_staff(actor: User, task: ProcessTask) -> None:
    if not access.can_access(actor, task.authority_id):
        raise Problem("Keine Berechtigung.", "Not allowed.", status_code=403, code="forbidden")


# --- messages, timers, hand-overs ------------------------------------------------------------------


def process_message_deliver(
    *, case: Case, name: str, payload: Mapping[str, Any] | None = None, actor: User | None, channel: str
) -> bool:
    """Deliver message ``name`` (e.g. ``information_received``) to the process of ``case``, in the
    caller's transaction. Returns whether the process was waiting for it."""
    from SpiffWorkflow.bpmn.util.event import BpmnEvent
    from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

    instance_id = (
        ProcessInstance.objects.filter(case=case, status=ProcessInstance.Status.RUNNING)
        .values_list("pk", flat=True)
        .first()
    )
    if instance_id is None:
        return False
    with transaction.atomic():
        instance, workflow, open_rows = _locked(instance_id)
        event = BpmnEvent(MessageEventDefinition(name), {"payload": dict(payload or {}), "result_var": name})
        waiting = [
            t for t in workflow.event_manager.tasks.values() if t.task_spec.event_definition.catches(t, event)
        ]
        if not waiting:
            return False
        run = _run_for(instance, actor, channel)
        with _running(run):
            workflow.catch(event)
        _advance(run, workflow, open_rows=open_rows)
    return True


def process_timers_fire(*, now: datetime | None = None, limit: int = 200) -> int:
    """Let the processes go on whose timers are due (deadlines, reminders, escalations); run by the
    worker. Each process is one transaction; a failing one is marked and does not stop the others."""
    now = now or timezone.now()
    instance_ids = list(
        ProcessTimer.objects.filter(
            fired_at__isnull=True, due_at__lte=now, instance__status=ProcessInstance.Status.RUNNING
        )
        .order_by("due_at")
        .values_list("instance_id", flat=True)[:limit]
    )
    fired = 0
    for instance_id in dict.fromkeys(instance_ids):
        try:
            with transaction.atomic():
                instance, workflow, open_rows = _locked(instance_id)
                run = _run_for(instance, None, "worker")
                with _running(run):
                    workflow.refresh_timers()
                _advance(run, workflow, open_rows=open_rows)
                ProcessTimer.objects.filter(instance=instance, fired_at__isnull=True, due_at__lte=now).update(
                    fired_at=now
                )
            fired += 1
        except Problem as exc:
            ProcessInstance.objects.filter(pk=instance_id).update(
                status=ProcessInstance.Status.FAILED, error=exc.detail_en[:2000]
            )
    return fired


def handover_answer(*, handover: Handover, status: str, reply: str, actor: User, channel: str) -> Handover:
    """The receiving authority answers a hand-over (accepted, completed, declined); a final answer goes
    back to the sending case's process, which goes on. A hand-over worked as a case of its own is
    answered by that case when it is closed, not by hand."""
    if not access.can_access(actor, handover.to_authority_id):
        raise Problem("Keine Berechtigung.", "Not allowed.", status_code=403, code="forbidden")
    if status not in {Handover.Status.ACCEPTED, Handover.Status.COMPLETED, Handover.Status.DECLINED}:
        raise Problem("Unbekannter Status.", "Unknown status.", code="invalid-status")
    if handover.service_id is not None:
        raise Problem(
            "Diese Übergabe wird als eigener Vorgang bearbeitet; "
            "sie ist beantwortet, wenn er abgeschlossen ist.",
            "This hand-over is worked as a case of its own; closing that case answers it.",
            status_code=409,
            code="answered-by-case",
        )
    return _handover_answer(handover_id=handover.pk, status=status, reply=reply, actor=actor, channel=channel)


def _handover_answer(
    *, handover_id: UUID, status: str, reply: str, actor: User | None, channel: str
) -> Handover:
    with transaction.atomic():
        locked = Handover.objects.select_for_update(of=("self",)).select_related("task").get(pk=handover_id)
        if not locked.is_open:
            raise Problem(
                "Diese Übergabe ist bereits beantwortet.",
                "This hand-over has already been answered.",
                status_code=409,
                code="already-answered",
            )
        locked.status = status
        locked.reply = reply.strip()[:5000]
        locked.answered_by = actor
        locked.answered_at = timezone.now()
        locked.save(update_fields=["status", "reply", "answered_by", "answered_at"])
        CaseEvent.objects.create(
            case_id=locked.case_id,
            actor=None,
            kind=CaseEvent.Kind.HANDOVER,
            status=Case.objects.values_list("status", flat=True).get(pk=locked.case_id),
            detail={"handover": str(locked.pk), "status": status, "to": locked.to_authority_id},
            visible_to_applicant=locked.service_id is not None,
        )
        if actor is not None:
            access.audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.to_authority_id,
                channel=channel,
                changes={"status": status},
            )
        if status != Handover.Status.ACCEPTED and locked.task.instance_id is not None:
            instance, workflow, open_rows = _locked(locked.task.instance_id)
            spiff_task = workflow.get_task_from_id(locked.task_id)
            if spiff_task is not None and spiff_task.state == TaskState.STARTED:
                run = _run_for(instance, None, channel)
                # Gateway conditions read names only: each plain value of the reply data also
                # becomes a variable of its own (``handover_<key>``).
                spiff_task.data.update(
                    {
                        f"handover_{key}": value
                        for key, value in locked.reply_data.items()
                        if key.isidentifier() and isinstance(value, str | int | float | bool)
                    }
                )
                spiff_task.data.update(
                    {
                        "handover_status": status,
                        "handover_reply": locked.reply,
                        "handover_data": dict(locked.reply_data),
                    }
                )
                with _running(run):
                    spiff_task.complete()
                _advance(run, workflow, open_rows=open_rows)
    return locked


def handover_deliver(*, handover_id: UUID) -> Case | None:
    """Open the receiving authority's case for a hand-over worked as a case of its own (run by the
    worker for the outbox message ``processes.handover_deliver``).

    One transaction under the hand-over's row lock: the case, the link, both case histories and the
    start of the receiving process are written together or not at all, and a hand-over that already
    has its case is left alone, so a crash or a repeated delivery never loses or doubles the part.
    The receiving case gets only the handed-over answers (``handover.data``), never the sender's case.
    """
    from amtsweg.cases.services import case_open

    with transaction.atomic():
        handover = (
            Handover.objects.select_for_update(of=("self",))
            .select_related("case", "service", "to_authority", "from_authority")
            .filter(pk=handover_id)
            .first()
        )
        if (
            handover is None
            or handover.service is None
            or handover.receiving_case_id is not None
            or not handover.is_open
        ):
            return None
        origin = handover.case
        case = case_open(
            authority=handover.to_authority,
            service=handover.service,
            applicant=origin.applicant,
            applicant_name=origin.applicant_name,
            title=handover.subject,
            channel="handover",
            actor=None,
        )
        if handover.to_team_id is not None:
            Case.objects.filter(pk=case.pk).update(team_id=handover.to_team_id)
            case.team_id = handover.to_team_id
        handover.receiving_case = case
        handover.delivered_at = timezone.now()
        handover.status = Handover.Status.ACCEPTED
        handover.save(update_fields=["receiving_case", "delivered_at", "status"])
        CaseEvent.objects.create(
            case=origin,
            kind=CaseEvent.Kind.HANDOVER,
            status=origin.status,
            detail={
                "handover": str(handover.pk),
                "status": Handover.Status.ACCEPTED,
                "to": handover.to_authority_id,
                "to_name": handover.to_authority.name,
                "reference": case.reference,
            },
            visible_to_applicant=True,
        )
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.HANDOVER,
            status=case.status,
            detail={
                "handover": str(handover.pk),
                "from": handover.from_authority_id,
                "from_name": handover.from_authority.name,
                "reference": origin.reference,
            },
            visible_to_applicant=True,
        )
        process_start(case=case, actor=None, channel="handover", data=handover.data)
    return case


def handover_reply_set(*, case: Case, reply: str, data: Mapping[str, Any]) -> None:
    """What the receiving ``case`` answers its hand-over with once it is closed (e.g. the result per
    vehicle); set by the receiving service's process steps before the case is closed."""
    Handover.objects.filter(
        receiving_case=case, status__in=[Handover.Status.OPEN, Handover.Status.ACCEPTED]
    ).update(reply=reply.strip()[:5000], reply_data=dict(data))


def handover_return(*, handover_id: UUID) -> Handover | None:
    """Answer a hand-over whose receiving case was closed (outbox ``processes.handover_return``):
    ``completed`` when that case was granted (in full or in part), else ``declined``; the sending
    case's process goes on with the reply. Nothing happens twice: an answered hand-over stays as it is."""
    from amtsweg.cases.models import Phase

    handover = Handover.objects.select_related("receiving_case").filter(pk=handover_id).first()
    if handover is None or not handover.is_open or handover.receiving_case is None:
        return None
    case = handover.receiving_case
    if case.phase != Phase.CLOSED:
        return None
    granted = case.decision in ("granted", "partially")
    status = Handover.Status.COMPLETED if granted else Handover.Status.DECLINED
    reply = handover.reply or (
        f"{case.reference}: erledigt"
        if granted
        else f"{case.reference}: nicht erledigt (abgelehnt oder zurückgezogen)"
    )
    return _handover_answer(
        handover_id=handover.pk, status=status, reply=reply, actor=None, channel="handover"
    )


def process_cancel(*, case: Case, actor: User | None, channel: str) -> bool:
    """Stop the process of ``case`` (the case was closed by hand); open tasks are cancelled."""
    with transaction.atomic():
        instance = (
            ProcessInstance.objects.select_for_update()
            .filter(case=case, status=ProcessInstance.Status.RUNNING)
            .first()
        )
        if instance is None:
            return False
        now = timezone.now()
        ProcessTask.objects.filter(
            instance=instance, state__in=[ProcessTask.State.OPEN, ProcessTask.State.WAITING]
        ).update(state=ProcessTask.State.CANCELLED, completed_at=now)
        ProcessTimer.objects.filter(instance=instance, fired_at__isnull=True).update(fired_at=now)
        instance.status = ProcessInstance.Status.CANCELLED
        instance.completed_at = now
        instance.save(update_fields=["status", "completed_at", "updated_at"])
        CaseEvent.objects.create(
            case=case,
            actor=actor,
            kind=CaseEvent.Kind.PROCESS,
            status=case.status,
            detail={"cancelled": True},
        )
    return True
