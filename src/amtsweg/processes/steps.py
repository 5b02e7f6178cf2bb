"""The steps of a process model as a readable list: the viewer's text alternative (and what works
without JavaScript). Steps are in flow order — breadth-first from the start event along the sequence
flows — grouped by lane, each with its type, where it leads (with the conditions), media breaks,
hand-overs, and, for a case, whether it is done or current."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .structure import Node, ProcessStructure

TYPE_LABELS = {
    "task": gettext_lazy("Aufgabe"),
    "userTask": gettext_lazy("Aufgabe im Posteingang"),
    "manualTask": gettext_lazy("Manuelle Aufgabe"),
    "serviceTask": gettext_lazy("Automatische Aufgabe"),
    "sendTask": gettext_lazy("Senden"),
    "receiveTask": gettext_lazy("Empfangen"),
    "scriptTask": gettext_lazy("Skript"),
    "businessRuleTask": gettext_lazy("Geschäftsregel"),
    "subProcess": gettext_lazy("Teilprozess"),
    "callActivity": gettext_lazy("Aufgerufener Prozess"),
    "transaction": gettext_lazy("Transaktion"),
    "adHocSubProcess": gettext_lazy("Ad-hoc-Teilprozess"),
    "startEvent": gettext_lazy("Start"),
    "endEvent": gettext_lazy("Ende"),
    "intermediateCatchEvent": gettext_lazy("Warten auf Ereignis"),
    "intermediateThrowEvent": gettext_lazy("Ereignis auslösen"),
    "boundaryEvent": gettext_lazy("Randereignis"),
    "exclusiveGateway": gettext_lazy("Entscheidung (genau ein Weg)"),
    "inclusiveGateway": gettext_lazy("Entscheidung (ein oder mehrere Wege)"),
    "parallelGateway": gettext_lazy("Parallele Verzweigung"),
    "eventBasedGateway": gettext_lazy("Verzweigung nach Ereignis"),
    "complexGateway": gettext_lazy("Komplexe Verzweigung"),
}
EVENT_LABELS = {
    "timer": gettext_lazy("Frist"),
    "message": gettext_lazy("Nachricht"),
    "signal": gettext_lazy("Signal"),
    "error": gettext_lazy("Fehler"),
    "escalation": gettext_lazy("Eskalation"),
    "terminate": gettext_lazy("Abbruch"),
    "conditional": gettext_lazy("Bedingung"),
    "compensate": gettext_lazy("Kompensation"),
    "cancel": gettext_lazy("Abbruch der Transaktion"),
    "link": gettext_lazy("Verknüpfung"),
}
MEDIUM_LABELS = {
    "paper": gettext_lazy("Papier"),
    "post": gettext_lazy("Post"),
    "fax": gettext_lazy("Fax"),
    "in_person": gettext_lazy("persönlich vor Ort"),
}


def ordered_steps(structure: ProcessStructure) -> list[Node]:
    """Every element of the process once, in flow order.

    Breadth-first from the top-level start events along the sequence flows (in the file's order);
    loops are followed once. A sub-process's own elements come right after it, boundary events after
    their activity's successors, and elements no flow reaches (event sub-processes, loose ends)
    last, each again followed along its flows.
    """
    children: dict[str, list[Node]] = defaultdict(list)
    boundary: dict[str, list[Node]] = defaultdict(list)
    for node in structure.nodes:
        if node.attached_to:
            boundary[node.attached_to].append(node)
        children[node.parent].append(node)
    outgoing: dict[str, list[str]] = defaultdict(list)
    for flow in structure.flows:
        outgoing[flow.source].append(flow.target)
    by_id = structure.by_id()

    ordered: list[Node] = []
    seen: set[str] = set()

    def walk(roots: Iterable[Node]) -> None:
        queue = deque(roots)
        while queue:
            node = queue.popleft()
            if node.id in seen:
                continue
            seen.add(node.id)
            ordered.append(node)
            if node.category == "subprocess":
                visit(node.id)
            queue.extend(by_id[target] for target in outgoing[node.id] if target in by_id)
            queue.extend(boundary[node.id])

    def visit(parent: str) -> None:
        members = children[parent]
        walk(n for n in members if n.type == "startEvent" and not n.attached_to)
        for node in members:
            if node.id not in seen and not (node.attached_to and node.attached_to not in seen):
                walk([node])
        # Boundary events of activities reached only now (or never reached) still belong here.
        for node in members:
            if node.id not in seen:
                walk([node])

    visit("")
    # Elements whose parent is not in the model (should not happen; never drop a step silently).
    walk(n for n in structure.nodes if n.id not in seen)
    return ordered


@dataclass(frozen=True)
class NextStep:
    """Where a step leads: the target and, for a branch, when this way is taken."""

    target_id: str
    target_label: str
    condition: str = ""  # the condition as written in the model
    label: str = ""  # the flow's name, e.g. "ja"
    default: bool = False


@dataclass(frozen=True)
class Step:
    number: int
    node: Node
    type_label: str
    details: list[str]
    next: list[NextStep]
    state: str = ""  # "", "completed" or "current"
    heat: str = ""  # the heat label, e.g. the median waiting time
    within: str = ""  # the label of the enclosing sub-process
    medium: str = ""  # the medium of a media break, e.g. "Post"


@dataclass(frozen=True)
class LaneSteps:
    lane: str
    steps: list[Step] = field(default_factory=list)


def node_type_label(node: Node) -> str:
    label = str(TYPE_LABELS.get(node.type, node.type))
    kinds = [str(EVENT_LABELS[kind]) for kind in node.events if kind in EVENT_LABELS]
    if kinds:
        label = f"{label}: {', '.join(kinds)}"
    return label


def _details(node: Node) -> list[str]:
    details: list[str] = []
    if node.timer:
        details.append(_("Frist: %(timer)s") % {"timer": node.timer})
    if node.message:
        details.append(_("Nachricht: %(message)s") % {"message": node.message})
    if node.action and not node.is_handover:
        details.append(_("Plattformaktion: %(action)s") % {"action": node.action})
    if node.topic:
        details.append(_("wird von außen erledigt (%(topic)s)") % {"topic": node.topic})
    if node.attached_to and not node.interrupting:
        details.append(_("unterbricht die Aufgabe nicht"))
    return details


def step_list(structure: ProcessStructure, markers: Mapping[str, Any] | None = None) -> list[LaneSteps]:
    """The steps in flow order, grouped by lane (lanes in the order their first step appears).

    ``markers`` is the viewer's marker dict: ``completed`` and ``current`` element ids, and ``heat``
    (id → ``{"level", "label"}``). A model without lanes gives one group with an empty lane name.
    """
    markers = markers or {}
    completed = set(markers.get("completed") or ())
    current = set(markers.get("current") or ())
    heat: Mapping[str, Any] = markers.get("heat") or {}
    by_id = structure.by_id()
    outgoing: dict[str, list[NextStep]] = defaultdict(list)
    for flow in structure.flows:
        target = by_id.get(flow.target)
        outgoing[flow.source].append(
            NextStep(
                target_id=flow.target,
                target_label=target.label if target else flow.target,
                condition=flow.condition,
                label=flow.name,
                default=flow.default,
            )
        )
    groups: dict[str, LaneSteps] = {}
    for number, node in enumerate(ordered_steps(structure), start=1):
        state = "current" if node.id in current else "completed" if node.id in completed else ""
        heat_entry = heat.get(node.id)
        parent = by_id.get(node.parent) if node.parent else None
        lane = node.lane or (parent.lane if parent else "")
        host = by_id.get(node.attached_to) if node.attached_to else None
        details = _details(node)
        if host is not None:
            details.insert(0, _("an: %(activity)s") % {"activity": host.label})
        step = Step(
            number=number,
            node=node,
            type_label=node_type_label(node),
            details=details,
            next=outgoing[node.id],
            state=state,
            heat=str(heat_entry.get("label", "")) if isinstance(heat_entry, Mapping) else "",
            within=parent.label if parent else "",
            medium=str(MEDIUM_LABELS[node.medium]) if node.medium else "",
        )
        groups.setdefault(lane, LaneSteps(lane=lane)).steps.append(step)
    return list(groups.values())
