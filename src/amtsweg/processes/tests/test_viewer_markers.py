"""A case's markers from its event log: done, open, and the sequence flows it took."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from lxml import etree

from amtsweg.processes.models import ProcessTask
from amtsweg.processes.selectors_viewer import case_markers, empty_markers, markers_from_tasks
from amtsweg.processes.structure import Flow, Node, ProcessStructure, read_structure
from amtsweg.testing import World

from .factories_viewer import case_with_process, sample_xml

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DONE, OPEN = ProcessTask.State.COMPLETED, ProcessTask.State.OPEN


def _row(bpmn_id: str, state: str, ready: float, done: float | None = None) -> ProcessTask:
    return ProcessTask(
        bpmn_id=bpmn_id,
        state=state,
        kind=ProcessTask.Kind.USER,
        created_at=T0 + timedelta(minutes=ready),
        completed_at=T0 + timedelta(minutes=done) if done is not None else None,
    )


def _node(node_id: str, node_type: str, category: str) -> Node:
    return Node.model_validate({"id": node_id, "type": node_type, "category": category})


def _sample() -> ProcessStructure:
    return read_structure(etree.fromstring(sample_xml().encode("utf-8")))


def test_loop_back_marks_every_flow_taken_and_the_open_task_current() -> None:
    rows = [
        _row("StartEvent_1", DONE, 0, 0),
        _row("Task_Pruefen", DONE, 0, 60),
        _row("Gateway_Vollstaendig", DONE, 60, 60),
        _row("Task_Nachfordern", DONE, 60, 61),
        _row("Event_Antwort", DONE, 61, 600),
        _row("Task_Pruefen", OPEN, 600),
    ]
    markers = markers_from_tasks(_sample(), rows)
    assert markers["current"] == ["Task_Pruefen"]
    # Task_Pruefen is open again: shown as current, not as done.
    assert markers["completed"] == [
        "StartEvent_1",
        "Gateway_Vollstaendig",
        "Task_Nachfordern",
        "Event_Antwort",
    ]
    assert markers["flows"] == ["Flow_1", "Flow_2", "Flow_4", "Flow_5", "Flow_6"]


def test_branch_not_taken_is_not_marked_even_when_its_target_ran_another_way() -> None:
    # Two ways into "c": a → c and gateway g → c. The case went a → g → b, and only later
    # reached c from g: the flow a → c must not count, g → c must.
    structure = ProcessStructure(
        process_id="p",
        nodes=[
            _node("a", "userTask", "task"),
            _node("g", "exclusiveGateway", "gateway"),
            _node("b", "userTask", "task"),
            _node("c", "userTask", "task"),
        ],
        flows=[
            Flow(id="a_c", source="a", target="c"),
            Flow(id="a_g", source="a", target="g"),
            Flow(id="g_b", source="g", target="b"),
            Flow(id="b_g", source="b", target="g"),
            Flow(id="g_c", source="g", target="c"),
        ],
    )
    rows = [
        _row("a", DONE, 0, 10),
        _row("g", DONE, 10, 10),
        _row("b", DONE, 10, 20),
        _row("g", DONE, 20, 20),
        _row("c", OPEN, 20),
    ]
    assert markers_from_tasks(structure, rows)["flows"] == ["a_g", "g_b", "b_g", "g_c"]


def test_parallel_join_marks_all_incoming_flows() -> None:
    structure = ProcessStructure(
        process_id="p",
        nodes=[
            _node("split", "parallelGateway", "gateway"),
            _node("x", "userTask", "task"),
            _node("y", "userTask", "task"),
            _node("join", "parallelGateway", "gateway"),
        ],
        flows=[
            Flow(id="s_x", source="split", target="x"),
            Flow(id="s_y", source="split", target="y"),
            Flow(id="x_j", source="x", target="join"),
            Flow(id="y_j", source="y", target="join"),
        ],
    )
    rows = [
        _row("split", DONE, 0, 0),
        _row("x", DONE, 0, 30),
        _row("y", DONE, 0, 45),
        _row("join", DONE, 45, 45),
    ]
    assert sorted(markers_from_tasks(structure, rows)["flows"]) == ["s_x", "s_y", "x_j", "y_j"]


def test_next_step_stamped_a_moment_before_the_previous_one_completed() -> None:
    # Engine clocks: the next task's "ready" may be taken microseconds before "completed".
    structure = _sample()
    rows = [
        _row("StartEvent_1", DONE, 0, 0.001),
        _row("Task_Pruefen", OPEN, 0.0005),
    ]
    rows[0].pk  # noqa: B018  (unsaved rows have no pk; ordering then uses created_at)
    assert markers_from_tasks(structure, rows)["flows"] == ["Flow_1"]


def test_cancelled_steps_are_neither_done_nor_current() -> None:
    rows = [_row("StartEvent_1", DONE, 0, 0), _row("Task_Pruefen", ProcessTask.State.CANCELLED, 0, None)]
    markers = markers_from_tasks(_sample(), rows)
    assert markers["completed"] == ["StartEvent_1"] and markers["current"] == []


@pytest.mark.django_db
def test_case_markers_from_the_database(world: World) -> None:
    case = case_with_process(world)
    markers = case_markers(case)
    assert markers["current"] == ["Task_Pruefen"]
    assert "Flow_6" in markers["flows"] and "Flow_3" not in markers["flows"]


@pytest.mark.django_db
def test_case_without_process_has_no_markers(world: World) -> None:
    from amtsweg.cases.tests.factories import submit_case
    from amtsweg.processes.models import ProcessInstance

    case = submit_case(world)
    ProcessInstance.objects.filter(case=case).delete()
    assert case_markers(case) == empty_markers()
