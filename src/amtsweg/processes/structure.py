"""What the platform reads from a BPMN 2.0 file, independent of whether it can run it: the elements of
the process, its lanes and sequence flows, and the marks the comparison needs (media breaks,
hand-overs). Stored with every process version, so the viewer, the comparison and the analytics never
parse XML again.

Conventions a model uses to tell the platform more (all settable in Camunda Modeler):

* ``camunda:type="external"`` and ``camunda:topic="amtsweg:<action>"`` on a service task: the task runs
  a platform action (see :mod:`amtsweg.processes.actions`); its ``camunda:inputParameter`` elements
  are the action's parameters. Any other service task waits to be completed from outside (API).
* an extension property ``medium`` (``camunda:properties``) with the value ``paper``, ``post``,
  ``fax`` or ``in_person`` marks a step done outside the online process (a media break, Medienbruch).
"""

from __future__ import annotations

from typing import Literal

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
ACTION_PREFIX = "amtsweg:"

Category = Literal["task", "subprocess", "event", "gateway"]
Medium = Literal["", "paper", "post", "fax", "in_person"]

MEDIA = {
    "paper": "paper",
    "papier": "paper",
    "post": "post",
    "postal": "post",
    "brief": "post",
    "fax": "fax",
    "in_person": "in_person",
    "persönlich": "in_person",
    "persoenlich": "in_person",
    "vor_ort": "in_person",
}

TASKS = {
    "task",
    "userTask",
    "manualTask",
    "serviceTask",
    "sendTask",
    "receiveTask",
    "scriptTask",
    "businessRuleTask",
}
SUBPROCESSES = {"subProcess", "callActivity", "transaction", "adHocSubProcess"}
EVENTS = {
    "startEvent",
    "endEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
}
GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}
EVENT_DEFINITIONS = {
    "timerEventDefinition": "timer",
    "messageEventDefinition": "message",
    "signalEventDefinition": "signal",
    "errorEventDefinition": "error",
    "escalationEventDefinition": "escalation",
    "terminateEventDefinition": "terminate",
    "conditionalEventDefinition": "conditional",
    "compensateEventDefinition": "compensate",
    "cancelEventDefinition": "cancel",
    "linkEventDefinition": "link",
}


class StructureError(Exception):
    """The file is not a BPMN model the platform can show; ``element`` names the element at fault."""

    def __init__(self, message_de: str, message_en: str, *, element: str = "", line: int = 0) -> None:
        super().__init__(message_en)
        self.message_de = message_de
        self.message_en = message_en
        self.element = element
        self.line = line

    def as_dict(self) -> dict[str, str | int]:
        return {"element": self.element, "line": self.line, "de": self.message_de, "en": self.message_en}


class Node(BaseModel):
    """One flow element of the process."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str = ""
    type: str = Field(description="the BPMN element name, e.g. userTask or exclusiveGateway")
    category: Category
    lane: str = ""
    parent: str = Field("", description="id of the enclosing sub-process, empty at the top level")
    medium: Medium = ""
    action: str = Field("", description="platform action of a service task (without the amtsweg: prefix)")
    topic: str = Field("", description="external-task topic of a service task that is not a platform action")
    events: list[str] = Field(default_factory=list, description="event definitions: timer, message, …")
    timer: str = Field("", description="the timer expression (ISO 8601 duration, date or cycle)")
    message: str = Field("", description="the name of the message a message event waits for or sends")
    attached_to: str = ""
    interrupting: bool = True
    documentation: str = ""

    @property
    def label(self) -> str:
        return self.name or self.id

    @property
    def is_activity(self) -> bool:
        return self.category in ("task", "subprocess")

    @property
    def is_handover(self) -> bool:
        return self.action == "handover"

    @property
    def is_media_break(self) -> bool:
        return self.medium != ""


class Flow(BaseModel):
    """A sequence flow between two elements."""

    model_config = ConfigDict(frozen=True)

    id: str
    source: str
    target: str
    name: str = ""
    condition: str = ""
    default: bool = False


class ProcessStructure(BaseModel):
    """The readable structure of a process model."""

    process_id: str
    name: str = ""
    processes: list[str] = Field(default_factory=list, description="all process ids in the file")
    lanes: list[str] = Field(default_factory=list)
    nodes: list[Node] = Field(default_factory=list)
    flows: list[Flow] = Field(default_factory=list)
    called_processes: list[str] = Field(default_factory=list)
    has_diagram: bool = False
    exporter: str = ""

    def node(self, node_id: str) -> Node | None:
        return self.by_id().get(node_id)

    def by_id(self) -> dict[str, Node]:
        cached: dict[str, Node] | None = self.__dict__.get("_by_id")
        if cached is None:
            cached = {n.id: n for n in self.nodes}
            self.__dict__["_by_id"] = cached
        return cached

    @property
    def activities(self) -> list[Node]:
        return [n for n in self.nodes if n.is_activity]

    @property
    def media_breaks(self) -> list[Node]:
        return [n for n in self.nodes if n.is_media_break]

    @property
    def handovers(self) -> list[Node]:
        return [n for n in self.nodes if n.is_handover]

    def outgoing(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows if f.source == node_id]

    def incoming(self, node_id: str) -> list[Flow]:
        return [f for f in self.flows if f.target == node_id]


def _line(element: etree._Element) -> int:
    line: object = getattr(element, "sourceline", 0)
    return line if isinstance(line, int) else 0


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(element: etree._Element | None) -> str:
    return " ".join((element.text or "").split()) if element is not None else ""


def _camunda(element: etree._Element, name: str) -> str:
    return (element.get(f"{{{CAMUNDA_NS}}}{name}") or "").strip()


def _property(element: etree._Element, name: str) -> str:
    for prop in element.iterfind(
        f"{{{BPMN_NS}}}extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property"
    ):
        if (prop.get("name") or "").strip().lower() == name:
            return (prop.get("value") or "").strip()
    return ""


def executable_process(root: etree._Element) -> etree._Element:
    """The process of the file that runs: the one marked executable, else the only one, else the
    one the collaboration's first participant refers to."""
    processes = root.findall(f"{{{BPMN_NS}}}process")
    if not processes:
        raise StructureError(
            "Die Datei enthält keinen Prozess (bpmn:process).",
            "The file contains no process (bpmn:process).",
        )
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) >= 1:
        return executable[0]
    if len(processes) == 1:
        return processes[0]
    for participant in root.iter(f"{{{BPMN_NS}}}participant"):
        ref = participant.get("processRef")
        for process in processes:
            if process.get("id") == ref:
                return process
    return processes[0]


def read_structure(root: etree._Element) -> ProcessStructure:
    """Read the structure of the executable process of a parsed BPMN file (``bpmn:definitions``)."""
    if root.tag != f"{{{BPMN_NS}}}definitions":
        raise StructureError(
            "Das ist keine BPMN-2.0-Datei: das Wurzelelement muss bpmn:definitions sein.",
            "This is not a BPMN 2.0 file: the root element must be bpmn:definitions.",
            element=_local(root.tag),
        )
    process = executable_process(root)
    process_id = process.get("id") or ""
    if not process_id:
        raise StructureError("Der Prozess hat keine id.", "The process has no id.", line=_line(process))

    lanes: list[str] = []
    lane_of: dict[str, str] = {}
    for lane in process.iter(f"{{{BPMN_NS}}}lane"):
        lane_name = (lane.get("name") or lane.get("id") or "").strip()
        # Nested lanes: the innermost lane wins, because iter() visits parents first.
        if lane.find(f"{{{BPMN_NS}}}childLaneSet") is None:
            lanes.append(lane_name)
        for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
            lane_of[_text(ref)] = lane_name

    nodes: list[Node] = []
    flows: list[Flow] = []
    called: list[str] = []
    _read_container(process, parent="", lane_of=lane_of, nodes=nodes, flows=flows, called=called)

    ids = [n.id for n in nodes]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise StructureError(
            f"Die id {duplicates[0]} kommt mehrfach vor.",
            f"The id {duplicates[0]} occurs more than once.",
            element=duplicates[0],
        )
    known = set(ids)
    for flow in flows:
        for end in (flow.source, flow.target):
            if end not in known:
                raise StructureError(
                    f"Der Sequenzfluss {flow.id} verweist auf ein unbekanntes Element {end!r}.",
                    f"The sequence flow {flow.id} refers to an unknown element {end!r}.",
                    element=flow.id,
                )
    for node in nodes:
        if node.attached_to and node.attached_to not in known:
            raise StructureError(
                f"Das Randereignis {node.id} hängt an einem unbekannten Element {node.attached_to!r}.",
                f"The boundary event {node.id} is attached to an unknown element {node.attached_to!r}.",
                element=node.id,
            )
    if not any(n.type == "startEvent" and not n.parent for n in nodes):
        raise StructureError(
            f"Der Prozess {process_id} hat kein Startereignis.",
            f"The process {process_id} has no start event.",
            element=process_id,
        )

    has_diagram = any(True for _ in root.iter(f"{{{BPMNDI_NS}}}BPMNShape"))
    messages = {m.get("id"): (m.get("name") or m.get("id") or "") for m in root.iter(f"{{{BPMN_NS}}}message")}
    nodes = [
        n.model_copy(update={"message": messages[n.message]}) if n.message in messages else n for n in nodes
    ]
    return ProcessStructure(
        process_id=process_id,
        name=(process.get("name") or "").strip(),
        processes=[p.get("id") or "" for p in root.findall(f"{{{BPMN_NS}}}process")],
        lanes=lanes,
        nodes=nodes,
        flows=flows,
        called_processes=called,
        has_diagram=has_diagram,
        exporter=" ".join(filter(None, [root.get("exporter"), root.get("exporterVersion")])),
    )


def _read_container(
    container: etree._Element,
    *,
    parent: str,
    lane_of: dict[str, str],
    nodes: list[Node],
    flows: list[Flow],
    called: list[str],
) -> None:
    defaults = {
        child.get("default") for child in container if isinstance(child.tag, str) and child.get("default")
    }
    for child in container:
        tag = _local(child.tag)
        if not tag or child.tag.split("}")[0][1:] != BPMN_NS:
            continue
        element_id = child.get("id") or ""
        if tag == "sequenceFlow":
            flows.append(
                Flow(
                    id=element_id,
                    source=child.get("sourceRef") or "",
                    target=child.get("targetRef") or "",
                    name=(child.get("name") or "").strip(),
                    condition=_text(child.find(f"{{{BPMN_NS}}}conditionExpression")),
                    default=element_id in defaults,
                )
            )
            continue
        category: Category
        if tag in TASKS:
            category = "task"
        elif tag in SUBPROCESSES:
            category = "subprocess"
        elif tag in EVENTS:
            category = "event"
        elif tag in GATEWAYS:
            category = "gateway"
        else:
            continue  # data objects, text annotations, associations …
        if not element_id:
            raise StructureError(
                f"Ein Element {tag} hat keine id.",
                f"An element {tag} has no id.",
                element=tag,
                line=_line(child),
            )
        events: list[str] = []
        timer = message = ""
        for definition in child:
            kind = EVENT_DEFINITIONS.get(_local(definition.tag))
            if kind is None:
                continue
            events.append(kind)
            if kind == "timer":
                for part in ("timeDuration", "timeDate", "timeCycle"):
                    expression = _text(definition.find(f"{{{BPMN_NS}}}{part}"))
                    if expression:
                        timer = expression
            elif kind == "message":
                message = definition.get("messageRef") or ""
        topic = _camunda(child, "topic")
        action = ""
        if tag in ("serviceTask", "sendTask") and topic.startswith(ACTION_PREFIX):
            action, topic = topic[len(ACTION_PREFIX) :], ""
        medium = MEDIA.get(_property(child, "medium").lower(), "")
        nodes.append(
            Node(
                id=element_id,
                name=(child.get("name") or "").strip(),
                type=tag,
                category=category,
                lane=lane_of.get(element_id, ""),
                parent=parent,
                medium=medium,  # type: ignore[arg-type]
                action=action,
                topic=topic,
                events=events,
                timer=timer,
                message=message,
                attached_to=child.get("attachedToRef") or "",
                interrupting=child.get("cancelActivity", "true") != "false",
                documentation=_text(child.find(f"{{{BPMN_NS}}}documentation"))[:2000],
            )
        )
        if tag == "callActivity" and child.get("calledElement"):
            called.append(child.get("calledElement") or "")
        if category == "subprocess" and tag != "callActivity":
            _read_container(
                child, parent=element_id, lane_of=lane_of, nodes=nodes, flows=flows, called=called
            )
