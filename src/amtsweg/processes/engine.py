"""Running process models with SpiffWorkflow.

* :class:`ProcessParser` reads Camunda-Modeler BPMN; a service task whose external-task topic is
  ``amtsweg:<action>`` becomes a :class:`PlatformServiceTask` that runs a registered platform action
  in-process; every other service task waits to be completed from outside (API), as in Camunda.
* :class:`SafeScriptEngine` evaluates conditions, timers and parameters with :mod:`.expressions` (never
  ``eval``) and refuses scripts. The engine holds no per-case state, so the one instance is attached to
  every workflow again after it is loaded.
* The saved state holds only the instance (tasks and data); the parsed specs are cached per process
  version, so loading a case's process costs no XML parsing.
* :func:`check_executable` tells, element by element, why a model cannot run.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.parser.BpmnParser import full_tag
from SpiffWorkflow.bpmn.parser.TaskParser import TaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter
from SpiffWorkflow.bpmn.specs.bpmn_process_spec import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.bpmn_spec_mixin import BpmnSpecMixin
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask as ServiceTaskMixin
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer import DEFAULT_CONFIG
from SpiffWorkflow.task import Task

from . import actions, expressions
from .structure import ACTION_PREFIX, BPMN_NS, CAMUNDA_NS, ProcessStructure


class PlatformServiceTask(ServiceTaskMixin, BpmnSpecMixin):  # type: ignore[misc]
    """A service task that runs a platform action; it waits when the action says so."""

    def __init__(self, wf_spec: Any, bpmn_id: str, *, action: str, parameters: dict[str, str], **kwargs: Any):
        super().__init__(wf_spec, bpmn_id, **kwargs)
        self.action = action
        self.parameters = parameters

    def _execute(self, task: Task) -> bool | None:
        engine: SafeScriptEngine = task.workflow.script_engine
        return engine.run_action(task, self.action, self.parameters)


class PlatformServiceTaskParser(TaskParser):  # type: ignore[misc]
    """Parses service and send tasks: platform actions, or tasks that wait to be completed from outside."""

    def create_task(self) -> Any:
        topic = (self.node.get(f"{{{CAMUNDA_NS}}}topic") or "").strip()
        if topic.startswith(ACTION_PREFIX):
            name = topic[len(ACTION_PREFIX) :]
            if actions.get(name) is None:
                self.raise_validation_exception(f"unknown platform action {name!r}")
            parameters = {
                (p.get("name") or ""): (p.text or "").strip()
                for p in self.node.iterfind(
                    f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}inputOutput/{{{CAMUNDA_NS}}}inputParameter"
                )
            }
            return PlatformServiceTask(
                self.spec, self.bpmn_id, action=name, parameters=parameters, **self.bpmn_attributes
            )
        return ServiceTask(self.spec, self.bpmn_id, **self.bpmn_attributes)


class ProcessParser(CamundaParser):  # type: ignore[misc]
    OVERRIDE_PARSER_CLASSES = {
        **CamundaParser.OVERRIDE_PARSER_CLASSES,
        full_tag("serviceTask"): (PlatformServiceTaskParser, ServiceTask),
        full_tag("sendTask"): (PlatformServiceTaskParser, ServiceTask),
    }


@dataclass
class RunContext:
    """What the actions of one engine run act on; set by the services around every run."""

    run: Any  # processes.services.Run (kept untyped here: the services import this module)


current_run: ContextVar[RunContext | None] = ContextVar("amtsweg_process_run", default=None)


class ScriptsNotAllowed(Exception):
    pass


class SafeScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """Evaluates expressions safely; refuses scripts; dispatches platform actions."""

    def validate(self, expression: str) -> None:
        expressions.compile_expression(expression)

    def evaluate(self, task: Task, expression: str, external_context: Mapping[str, Any] | None = None) -> Any:
        data = dict(task.data)
        if external_context:
            data.update(external_context)
        try:
            return expressions.evaluate(expression, data)
        except expressions.ExpressionError as exc:
            raise WorkflowError(task, f"{exc}") from exc

    def execute(self, task: Task, script: str, external_context: Mapping[str, Any] | None = None) -> Any:
        raise ScriptsNotAllowed("script tasks are not run by the platform")

    def run_action(self, task: Task, name: str, parameters: Mapping[str, str]) -> bool | None:
        context = current_run.get()
        if context is None:
            raise RuntimeError("a platform action ran outside a process run")
        registered = actions.get(name)
        if registered is None:
            raise WorkflowError(task, f"unknown platform action {name!r}")
        try:
            values = {key: expressions.parameter_value(text, task.data) for key, text in parameters.items()}
        except expressions.ExpressionError as exc:
            raise WorkflowError(task, str(exc)) from exc
        outcome = registered.function(run=context.run, task=task, params=values)
        task.data.update(outcome.data)
        return None if outcome.wait else True


class WorkflowError(Exception):
    """A step of a process failed (an expression, an action); ``element`` names the BPMN element."""

    def __init__(self, task: Task | None, message: str) -> None:
        super().__init__(message)
        self.element = getattr(getattr(task, "task_spec", None), "bpmn_id", None) or ""


ENGINE = SafeScriptEngine()


class _StateConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    """Saves a workflow without its specs; loads it onto specs handed in (from the version cache)."""

    def to_dict(self, workflow: BpmnWorkflow) -> dict[str, Any]:
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct  # type: ignore[no-any-return]

    def from_dict(self, dct: dict[str, Any]) -> BpmnWorkflow:
        spec, subprocess_specs = dct.pop("spec"), dct.pop("subprocess_specs")
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


def _serializer() -> BpmnWorkflowSerializer:
    config = dict(DEFAULT_CONFIG)
    config[BpmnWorkflow] = _StateConverter
    return BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(config))


SERIALIZER = _serializer()


@dataclass(frozen=True)
class ParsedProcess:
    spec: BpmnProcessSpec
    subprocess_specs: dict[str, BpmnProcessSpec]


_cache: OrderedDict[tuple[int, str], ParsedProcess] = OrderedDict()
_cache_lock = threading.Lock()
_CACHE_SIZE = 256


def parse(*, process_id: str, files: Sequence[tuple[str, bytes]]) -> ParsedProcess:
    """Parse BPMN ``files`` (main file first) into the specs of ``process_id``."""
    parser = ProcessParser()
    xml_parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    for filename, data in files:
        parser.add_bpmn_xml(etree.fromstring(data, xml_parser), filename=filename)
    return ParsedProcess(
        spec=parser.get_spec(process_id), subprocess_specs=parser.get_subprocess_specs(process_id)
    )


def parsed_for(version: Any) -> ParsedProcess:
    """The cached specs of a :class:`~amtsweg.processes.models.ProcessVersion` (published versions
    never change, so the cache key is the primary key and the checksum)."""
    key = (int(version.pk), str(version.sha256))
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    files = [(version.source or "process.bpmn", version.bpmn_xml.encode())]
    files += [(f["filename"], f["xml"].encode()) for f in version.supporting_files]
    parsed = parse(process_id=version.process_id, files=files)
    with _cache_lock:
        _cache[key] = parsed
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return parsed


def new_workflow(parsed: ParsedProcess) -> BpmnWorkflow:
    return BpmnWorkflow(parsed.spec, parsed.subprocess_specs, script_engine=ENGINE)


def dump(workflow: BpmnWorkflow) -> str:
    """The workflow's state as JSON text (objects in task data encoded by the engine's registry)."""
    SERIALIZER.registry._encoder_mode = True
    try:
        return json.dumps(SERIALIZER.to_dict(workflow), cls=SERIALIZER._encoder_cls, separators=(",", ":"))
    finally:
        SERIALIZER.registry._encoder_mode = False


def load(parsed: ParsedProcess, state: str) -> BpmnWorkflow:
    dct = json.loads(state)
    dct["spec"] = parsed.spec
    dct["subprocess_specs"] = parsed.subprocess_specs
    workflow: BpmnWorkflow = SERIALIZER.from_dict(dct)
    workflow.script_engine = ENGINE  # re-attached after every load: it is not part of the state
    return workflow


# --- can this model run? ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionProblem:
    element: str
    de: str
    en: str

    def as_dict(self) -> dict[str, str]:
        return {"element": self.element, "de": self.de, "en": self.en}


def check_executable(
    *,
    structure: ProcessStructure,
    files: Sequence[tuple[str, bytes]],
    supporting: Sequence[ProcessStructure] = (),
) -> list[ExecutionProblem]:
    """Why the model cannot run on the platform, element by element (empty: it can)."""
    problems: list[ExecutionProblem] = []
    all_nodes = [*structure.nodes, *(n for s in supporting for n in s.nodes)]
    for node in all_nodes:
        if node.type == "scriptTask":
            problems.append(
                ExecutionProblem(
                    node.id,
                    f"Skriptaufgabe „{node.label}“: Skripte werden aus Sicherheitsgründen nicht ausgeführt. "
                    'Verwenden Sie eine Plattform-Aktion (camunda:topic="amtsweg:…") oder eine '
                    "Benutzeraufgabe.",
                    f"Script task '{node.label}': scripts are not run, for security. Use a platform action "
                    '(camunda:topic="amtsweg:…") or a user task.',
                )
            )
        elif node.type == "businessRuleTask":
            problems.append(
                ExecutionProblem(
                    node.id,
                    f"Geschäftsregel-Aufgabe „{node.label}“: DMN-Entscheidungstabellen werden noch "
                    "nicht ausgeführt.",
                    f"Business rule task '{node.label}': DMN decision tables are not run yet.",
                )
            )
        if node.type == "startEvent" and not node.parent and node.events:
            problems.append(
                ExecutionProblem(
                    node.id,
                    f"Startereignis „{node.label}“ ({', '.join(node.events)}): ein Vorgang startet "
                    "seinen Prozess "
                    "mit dem Antrag; verwenden Sie ein einfaches Startereignis.",
                    f"Start event '{node.label}' ({', '.join(node.events)}): a case starts its "
                    "process when it is "
                    "submitted; use a plain start event.",
                )
            )
            continue
        if node.timer:
            try:
                expressions.compile_expression(node.timer)
                if not expressions.is_literal(node.timer):
                    raise expressions.ExpressionError("not ISO 8601")
            except expressions.ExpressionError:
                problems.append(
                    ExecutionProblem(
                        node.id,
                        f"Zeitereignis „{node.label}“: {node.timer!r} ist keine ISO-8601-Angabe (z. "
                        "B. P14D, PT1H, R3/P1D).",
                        f"Timer event '{node.label}': {node.timer!r} is not ISO 8601 (e.g. P14D, "
                        "PT1H, R3/P1D).",
                    )
                )
        for name in ("signal", "conditional", "compensate", "escalation", "link"):
            if name in node.events:
                problems.append(
                    ExecutionProblem(
                        node.id,
                        f"Ereignis „{node.label}“: {name}-Ereignisse werden nicht unterstützt.",
                        f"Event '{node.label}': {name} events are not supported.",
                    )
                )
    for flow in [*structure.flows, *(f for s in supporting for f in s.flows)]:
        if flow.condition:
            try:
                expressions.compile_expression(flow.condition)
            except expressions.ExpressionError as exc:
                problems.append(
                    ExecutionProblem(
                        flow.id,
                        f"Bedingung am Sequenzfluss {flow.id} kann nicht ausgewertet werden: {exc}",
                        f"The condition on sequence flow {flow.id} cannot be evaluated: {exc}",
                    )
                )
    if problems:
        return problems
    try:
        parsed = parse(process_id=structure.process_id, files=files)
        new_workflow(parsed)
    except ValidationException as exc:
        element = str(getattr(exc, "id", "") or "")
        problems.append(
            ExecutionProblem(
                element,
                f"Die Workflow-Engine kann das Modell nicht ausführen: {_first_line(exc)}",
                f"The workflow engine cannot run the model: {_first_line(exc)}",
            )
        )
    except Exception as exc:
        problems.append(
            ExecutionProblem(
                "",
                f"Die Workflow-Engine kann das Modell nicht lesen: {type(exc).__name__}: {_first_line(exc)}",
                f"The workflow engine cannot read the model: {type(exc).__name__}: {_first_line(exc)}",
            )
        )
    return problems


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]
