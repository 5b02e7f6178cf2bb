"""The step list: flow order (breadth-first from the start event, loops once), lanes, conditions,
marks and states."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from amtsweg.processes.steps import ordered_steps, step_list
from amtsweg.processes.structure import Flow, Node, ProcessStructure, read_structure
from amtsweg.testing import shared_data

from .factories_viewer import sample_xml


def _sample() -> ProcessStructure:
    return read_structure(etree.fromstring(sample_xml().encode("utf-8")))


def _node(node_id: str, category: str = "task", **extra: object) -> Node:
    types = {
        "task": "userTask",
        "event": "endEvent",
        "gateway": "exclusiveGateway",
        "subprocess": "subProcess",
    }
    return Node.model_validate(
        {"id": node_id, "name": node_id, "type": types[category], "category": category, **extra}
    )


def _structure(nodes: list[Node], edges: list[tuple[str, str]]) -> ProcessStructure:
    flows = [Flow(id=f"f{i}", source=s, target=t) for i, (s, t) in enumerate(edges)]
    return ProcessStructure(process_id="p", nodes=nodes, flows=flows)


def test_sample_in_flow_order_with_loop_followed_once() -> None:
    ids = [node.id for node in ordered_steps(_sample())]
    assert ids == [
        "StartEvent_1",
        "Task_Pruefen",
        "Gateway_Vollstaendig",
        "Boundary_Frist",  # after its activity's successors are queued
        "Task_Uebergabe",
        "Task_Nachfordern",
        "Task_Erinnern",
        "Task_Versand",
        "Event_Antwort",  # leads back to Task_Pruefen, which is not listed again
        "EndEvent_2",
        "EndEvent_1",
    ]


def test_breadth_first_not_depth_first() -> None:
    structure = _structure(
        [
            _node("start", "event", type="startEvent"),
            _node("g", "gateway"),
            _node("a"),
            _node("a2"),
            _node("b"),
        ],
        [("start", "g"), ("g", "a"), ("a", "a2"), ("g", "b")],
    )
    assert [n.id for n in ordered_steps(structure)] == ["start", "g", "a", "b", "a2"]


def test_unreached_elements_come_last_and_are_followed() -> None:
    structure = _structure(
        [
            _node("orphan"),
            _node("start", "event", type="startEvent"),
            _node("end", "event"),
            _node("orphan_next"),
        ],
        [("start", "end"), ("orphan", "orphan_next")],
    )
    assert [n.id for n in ordered_steps(structure)] == ["start", "end", "orphan", "orphan_next"]


def test_sub_process_elements_follow_the_sub_process() -> None:
    structure = _structure(
        [
            _node("start", "event", type="startEvent"),
            _node("sub", "subprocess"),
            _node("sub_start", "event", type="startEvent", parent="sub"),
            _node("inner", parent="sub"),
            _node("after"),
        ],
        [("start", "sub"), ("sub_start", "inner"), ("sub", "after")],
    )
    assert [n.id for n in ordered_steps(structure)] == ["start", "sub", "sub_start", "inner", "after"]


@st.composite
def _graphs(draw: st.DrawFn) -> ProcessStructure:
    count = draw(st.integers(min_value=1, max_value=12))
    ids = [f"n{i}" for i in range(count)]
    nodes = [_node(ids[0], "event", type="startEvent")] + [_node(i) for i in ids[1:]]
    edges = draw(st.lists(st.tuples(st.sampled_from(ids), st.sampled_from(ids)), max_size=30))
    return _structure(nodes, edges)


@settings(max_examples=200, deadline=None)
@given(_graphs())
def test_every_element_exactly_once_whatever_the_graph(structure: ProcessStructure) -> None:
    ordered = [n.id for n in ordered_steps(structure)]
    assert sorted(ordered) == sorted(n.id for n in structure.nodes)
    assert ordered[0] == "n0"


def test_every_shared_model_lists_every_element_once() -> None:
    folder = shared_data("bpmn")
    checked = 0
    for path in sorted(folder.glob("*.bpmn")):
        structure = read_structure(etree.parse(str(path)).getroot())
        ordered = [n.id for n in ordered_steps(structure)]
        assert sorted(ordered) == sorted(n.id for n in structure.nodes), path.name
        assert structure.node(ordered[0]) is not None and structure.node(ordered[0]).type == "startEvent"  # type: ignore[union-attr]
        checked += 1
    assert checked >= 7


def test_step_list_groups_by_lane_with_conditions_marks_and_states() -> None:
    markers = {
        "completed": ["StartEvent_1", "Gateway_Vollstaendig"],
        "current": ["Task_Pruefen"],
        "heat": {"Task_Versand": {"level": 3, "label": "2,5 Tage"}},
    }
    groups = step_list(_sample(), markers)
    assert [g.lane for g in groups] == ["Bürgerbüro", "Straßenverkehrsamt"]
    steps = {s.node.id: s for g in groups for s in g.steps}
    assert [s.number for s in groups[0].steps] == sorted(s.number for s in groups[0].steps)
    assert steps["Task_Uebergabe"].number == 5 and steps["Task_Uebergabe"].node.is_handover

    gateway = steps["Gateway_Vollstaendig"]
    assert gateway.state == "completed"
    assert {(n.target_id, n.condition, n.label, n.default) for n in gateway.next} == {
        ("Task_Uebergabe", "${vollstaendig}", "ja", False),
        ("Task_Nachfordern", "", "nein", True),
    }
    assert steps["Task_Pruefen"].state == "current"
    assert steps["Task_Versand"].medium == "Post"
    assert steps["Task_Versand"].heat == "2,5 Tage"
    assert "Frist: P14D" in steps["Boundary_Frist"].details
    assert any("Antrag prüfen" in d for d in steps["Boundary_Frist"].details)
    assert "Nachricht: information_received" in steps["Event_Antwort"].details
    assert steps["EndEvent_1"].state == "" and steps["EndEvent_1"].next == []


def test_model_without_lanes_is_one_group() -> None:
    structure = _structure([_node("start", "event", type="startEvent"), _node("a")], [("start", "a")])
    groups = step_list(structure)
    assert len(groups) == 1 and groups[0].lane == ""
