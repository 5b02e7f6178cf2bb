"""Directly-follows graph, variants and conformance replay on hand-made models with every construct the
replay knows (exclusive, parallel, inclusive and event-based gateways, loops, boundary events, expanded
and event sub-processes, terminate end events) and on the real BPMN files of the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from amtsweg.processes.mining import (
    ConformanceSummary,
    Replayer,
    directly_follows,
    variants,
)
from amtsweg.processes.structure import (
    EVENTS,
    GATEWAYS,
    SUBPROCESSES,
    Flow,
    Node,
    ProcessStructure,
    read_structure,
)
from amtsweg.testing import shared_data

from .factories_analytics import MODEL


def node(id: str, type: str, **extra: object) -> Node:
    category = (
        "event"
        if type in EVENTS
        else "gateway"
        if type in GATEWAYS
        else "subprocess"
        if type in SUBPROCESSES
        else "task"
    )
    return Node(id=id, type=type, category=category, **extra)  # type: ignore[arg-type]


def model(
    nodes: list[Node], flows: list[tuple[str, str]], conditional: set[tuple[str, str]] | None = None
) -> Replayer:
    return Replayer(
        ProcessStructure(
            process_id="p",
            nodes=nodes,
            flows=[
                Flow(
                    id=f"{a}->{b}",
                    source=a,
                    target=b,
                    condition="x" if (a, b) in (conditional or set()) else "",
                )
                for a, b in flows
            ],
        )
    )


def fits(replayer: Replayer, trace: str, *, finished: bool = True) -> bool:
    return replayer.replay(trace.split() if trace else [], finished=finished).fits


# --- directly-follows graph and variants --------------------------------------------------------


def test_directly_follows_counts_edges_starts_and_ends() -> None:
    dfg = directly_follows([["a", "b", "c"], ["a", "c"], ["a", "b", "b", "c"], []])
    assert dfg.cases == 4
    assert dict(dfg.edges) == {("a", "b"): 2, ("b", "c"): 2, ("a", "c"): 1, ("b", "b"): 1}
    assert dict(dfg.starts) == {"a": 3} and dict(dfg.ends) == {"c": 3}
    assert dict(dfg.activities) == {"a": 3, "b": 3, "c": 3}
    assert dfg.sorted_edges()[0] == ("a", "b", 2)


def test_variants_sorted_by_frequency_with_share_and_examples() -> None:
    result = variants(
        [("1", ["a", "b"]), ("2", ["a", "c"]), ("3", ["a", "b"]), ("4", ["a", "b"]), ("5", ["a", "c"])],
        examples=2,
    )
    assert [(v.activities, v.count, v.examples) for v in result] == [
        (("a", "b"), 3, ("1", "3")),
        (("a", "c"), 2, ("2", "5")),
    ]
    assert [v.share for v in result] == [0.6, 0.4]
    assert sum(v.count for v in result) == 5


# --- conformance ----------------------------------------------------------------------------------


def test_exclusive_choice_and_loop() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    assert fits(r, "Pruefen Ausstellen Versenden")
    assert fits(r, "Pruefen Nachfordern Pruefen Nachfordern Pruefen Ausstellen Versenden")
    assert not fits(r, "Pruefen Nachfordern Ausstellen Versenden")
    assert not fits(r, "Pruefen Ausstellen Nachfordern Versenden")


def test_deviation_says_where() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    skipped = r.replay(["Pruefen", "Versenden"]).deviation
    assert skipped is not None
    assert (skipped.kind, skipped.activity, skipped.missing, skipped.position, skipped.at) == (
        "skipped",
        "Versenden",
        "Ausstellen",
        1,
        "Ausstellen",
    )
    unexpected = r.replay(["Pruefen", "Ausstellen", "Versenden", "Ausstellen"]).deviation
    assert unexpected is not None and (unexpected.kind, unexpected.position) == ("unexpected", 3)
    early = r.replay(["Pruefen", "Ausstellen"]).deviation
    assert early is not None and (early.kind, early.activity) == ("ends_early", "Ausstellen")
    assert "Versenden" in early.expected
    unknown = r.replay(["Pruefen", "Kaffee"]).deviation
    assert unknown is not None and (unknown.kind, unknown.activity) == ("unknown", "Kaffee")
    nothing = r.replay([]).deviation
    assert nothing is not None and (nothing.kind, nothing.activity, nothing.expected) == (
        "ends_early",
        "",
        ("Erinnern", "Pruefen"),
    )


def test_running_cases_fit_while_their_path_is_possible() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    assert fits(r, "", finished=False)
    assert fits(r, "Pruefen Ausstellen", finished=False)
    assert not fits(r, "Pruefen Ausstellen", finished=True)
    assert not fits(r, "Ausstellen", finished=False)


def test_non_interrupting_boundary_event_runs_alongside() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    assert fits(r, "Erinnern Pruefen Ausstellen Versenden")
    assert fits(r, "Pruefen Ausstellen Erinnern Versenden")  # the reminder's task finished later
    assert not fits(r, "Pruefen Ausstellen Versenden Erinnern Erinnern Erinnern")


PARALLEL = [
    node("s", "startEvent"),
    node("split", "parallelGateway"),
    node("a", "userTask"),
    node("b", "userTask"),
    node("c", "serviceTask"),
    node("join", "parallelGateway"),
    node("d", "userTask"),
    node("e", "endEvent"),
]
PARALLEL_FLOWS = [
    ("s", "split"),
    ("split", "a"),
    ("split", "b"),
    ("b", "c"),
    ("a", "join"),
    ("c", "join"),
    ("join", "d"),
    ("d", "e"),
]


def test_parallel_branches_interleave_and_join() -> None:
    r = model(PARALLEL, PARALLEL_FLOWS)
    for trace in ("a b c d", "b a c d", "b c a d"):
        assert fits(r, trace), trace
    assert not fits(r, "a b d")  # c missing before the join
    deviation = r.replay(["a", "b", "d"]).deviation
    assert deviation is not None and (deviation.kind, deviation.missing) == ("skipped", "c")
    assert not fits(r, "a a b c d")
    assert not fits(r, "c b a d")


def test_inclusive_gateway_takes_any_non_empty_subset() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("or", "inclusiveGateway"),
            node("a", "userTask"),
            node("b", "userTask"),
            node("join", "inclusiveGateway"),
            node("z", "userTask"),
            node("e", "endEvent"),
        ],
        [("s", "or"), ("or", "a"), ("or", "b"), ("a", "join"), ("b", "join"), ("join", "z"), ("z", "e")],
    )
    for trace in ("a z", "b z", "a b z", "b a z"):
        assert fits(r, trace), trace
    assert not fits(r, "z")


def test_conditional_flows_from_an_activity_are_an_inclusive_split() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("a", "userTask"),
            node("b", "userTask"),
            node("c", "userTask"),
            node("e", "endEvent"),
        ],
        [("s", "a"), ("a", "b"), ("a", "c"), ("b", "e"), ("c", "e")],
        conditional={("a", "b"), ("a", "c")},
    )
    assert fits(r, "a b") and fits(r, "a c") and fits(r, "a c b")
    plain = model(
        [
            node("s", "startEvent"),
            node("a", "userTask"),
            node("b", "userTask"),
            node("c", "userTask"),
            node("e", "endEvent"),
        ],
        [("s", "a"), ("a", "b"), ("a", "c"), ("b", "e"), ("c", "e")],
    )
    assert not fits(plain, "a b")  # without conditions both flows get a token
    assert fits(plain, "a c b")


def test_event_based_gateway_waits_for_one_event() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("a", "userTask"),
            node("eb", "eventBasedGateway"),
            node("msg", "intermediateCatchEvent", events=["message"]),
            node("timer", "intermediateCatchEvent", events=["timer"]),
            node("ok", "userTask"),
            node("remind", "serviceTask"),
            node("e", "endEvent"),
        ],
        [
            ("s", "a"),
            ("a", "eb"),
            ("eb", "msg"),
            ("eb", "timer"),
            ("msg", "ok"),
            ("timer", "remind"),
            ("remind", "a"),
            ("ok", "e"),
        ],
    )
    assert fits(r, "a ok") and fits(r, "a remind a remind a ok")
    assert not fits(r, "a remind ok")


def test_interrupting_boundary_event_leaves_its_activity() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("a", "userTask"),
            node("late", "boundaryEvent", attached_to="a", events=["timer"]),
            node("escalate", "userTask"),
            node("b", "userTask"),
            node("e", "endEvent"),
        ],
        [("s", "a"), ("a", "b"), ("late", "escalate"), ("escalate", "b"), ("b", "e")],
    )
    assert fits(r, "a b") and fits(r, "escalate b")
    assert not fits(r, "a escalate b")  # once a is done, its timer cannot fire
    assert not fits(r, "escalate a b")  # the timer took a's token


def test_expanded_subprocess_is_replayed_inside_and_its_own_row_ignored() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("sub", "subProcess"),
            node("sub_s", "startEvent", parent="sub"),
            node("x", "userTask", parent="sub"),
            node("y", "userTask", parent="sub"),
            node("sub_e", "endEvent", parent="sub"),
            node("cancel", "boundaryEvent", attached_to="sub", events=["error"]),
            node("fix", "userTask"),
            node("z", "userTask"),
            node("e", "endEvent"),
        ],
        [
            ("s", "sub"),
            ("sub_s", "x"),
            ("x", "y"),
            ("y", "sub_e"),
            ("sub", "z"),
            ("cancel", "fix"),
            ("z", "e"),
        ],
    )
    assert fits(r, "x y z")
    assert fits(r, "x y sub z")  # the engine's row of the sub-process itself
    assert fits(r, "x fix")  # the error boundary event cancels the sub-process
    assert not fits(r, "x z")
    assert not fits(r, "z")


def test_event_subprocess_may_start_while_the_case_runs() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("a", "userTask"),
            node("b", "userTask"),
            node("e", "endEvent"),
            node("evsub", "subProcess"),
            node("ev_s", "startEvent", parent="evsub", events=["message"], interrupting=False),
            node("note", "userTask", parent="evsub"),
            node("ev_e", "endEvent", parent="evsub"),
        ],
        [("s", "a"), ("a", "b"), ("b", "e"), ("ev_s", "note"), ("note", "ev_e")],
    )
    assert fits(r, "a b") and fits(r, "a note b")
    assert not fits(r, "note b")


def test_terminate_end_event_ends_every_branch() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("split", "parallelGateway"),
            node("a", "userTask"),
            node("b", "userTask"),
            node("stop", "endEvent", events=["terminate"]),
            node("e", "endEvent"),
        ],
        [("s", "split"), ("split", "a"), ("split", "b"), ("a", "stop"), ("b", "e")],
    )
    assert fits(r, "a") and fits(r, "b a")


def test_call_activity_steps_of_the_called_process_are_not_deviations() -> None:
    structure = ProcessStructure(
        process_id="p",
        nodes=[node("s", "startEvent"), node("call", "callActivity"), node("e", "endEvent")],
        flows=[Flow(id="1", source="s", target="call"), Flow(id="2", source="call", target="e")],
        called_processes=["other"],
    )
    r = Replayer(structure)
    assert r.replay(["inner_1", "inner_2", "call"]).fits
    assert not r.replay([]).fits


def test_silent_loops_terminate() -> None:
    r = model(
        [
            node("s", "startEvent"),
            node("g1", "exclusiveGateway"),
            node("g2", "parallelGateway"),
            node("a", "userTask"),
            node("e", "endEvent"),
        ],
        [("s", "g1"), ("g1", "g2"), ("g2", "g1"), ("g2", "a"), ("a", "e")],
    )
    result = r.replay(["a", "a", "a"])
    assert isinstance(result.fits, bool)


def test_summary_counts_deviations_per_activity() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    summary = ConformanceSummary(keep=1)
    for reference, trace in (
        ("A", ["Pruefen", "Ausstellen", "Versenden"]),
        ("B", ["Pruefen", "Versenden"]),
        ("C", ["Pruefen", "Versenden"]),
        ("D", ["Pruefen", "Ausstellen"]),
    ):
        summary.add(reference, r.replay(trace))
    assert (summary.checked, summary.fitting, summary.deviating_total) == (4, 1, 3)
    assert [ref for ref, _ in summary.deviating] == ["B"]  # keep=1
    assert dict(summary.per_activity) == {("Ausstellen", "skipped"): 2, ("Ausstellen", "ends_early"): 1}
    assert summary.fitness == 0.25


def test_replay_results_are_cached_per_trace() -> None:
    r = Replayer(read_structure(etree.fromstring(MODEL.encode())))
    first = r.replay(["Pruefen", "Versenden"])
    assert r.replay(("Pruefen", "Versenden")) is first


# --- the real models of the shared data --------------------------------------------------------


def _walk(r: Replayer, choices: list[int], limit: int = 40) -> tuple[list[str], bool]:
    """A path through the model: at every step one of the enabled activities, picked by ``choices``;
    done when the replay can end (or ``limit`` steps)."""
    trace: list[str] = []
    for choice in choices[:limit]:
        state = r._close(r.initial)[0]
        for activity in trace:
            state = r._close(r._fire(state, activity))[0]
        if () in state and choice % 3 == 0:
            return trace, True
        enabled = r.enabled(state)
        enabled = tuple(a for a in enabled if r._close(r._fire(state, a))[0])
        if not enabled:
            return trace, () in state
        trace.append(enabled[choice % len(enabled)])
    return trace, False


@pytest.mark.parametrize(
    "filename",
    [
        "camunda_job-announcement.bpmn",
        "camunda_job-announcement-publication.bpmn",
        "camunda_loan-granting.bpmn",
        "muenchen_AntragDVMoHo.bpmn",
        "muenchen_VorgangAnlegenV02.bpmn",
        "muenchen_usertask-process.bpmn",
        "bpmn-moddle_yaoqiang-event-definitions.bpmn",
    ],
)
def test_paths_through_the_shared_models_fit_and_unknown_steps_do_not(filename: str) -> None:
    path: Path = shared_data(f"bpmn/{filename}")
    r = Replayer(read_structure(etree.parse(str(path)).getroot()))
    assert r.initial
    for seed in range(6):
        choices = [(seed * 7 + i * 3 + i * i) for i in range(40)]
        trace, complete = _walk(r, choices)
        assert r.replay(trace, finished=False).fits, trace
        if complete:
            assert r.replay(trace).fits, trace
        if trace and not r.structure.called_processes:  # else: a step of the called process
            assert r.replay([*trace, "no-such-task"]).deviation is not None
