"""Property-based tests of the conformance replay against an independent oracle.

Random block-structured process models (process trees: sequence, exclusive choice, parallel, loop)
are turned into BPMN structures (gateways, start and end event). The language of a tree is known
without any token game: traces sampled from the tree must fit the BPMN model; for loop-free trees
the whole language is enumerated, and a swapped, dropped, duplicated or inserted activity must be
reported as a deviation exactly when the mutated trace is not in that language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from itertools import count, pairwise
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsweg.processes.mining import Replayer
from amtsweg.processes.structure import Flow, Node, ProcessStructure

Draw = Callable[[st.SearchStrategy[Any]], Any]
Tree = tuple[Any, ...]  # ("act", id) | ("seq"|"xor"|"and", (children…)) | ("loop", do, redo)


def trees(*, loops: bool) -> st.SearchStrategy[Tree]:
    names = iter(count())

    def leaf() -> st.SearchStrategy[Tree]:
        return st.builds(lambda: ("act", f"t{next(names)}"))

    def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        operators: list[st.SearchStrategy[Tree]] = [
            st.tuples(
                st.sampled_from(["seq", "xor", "and"]), st.lists(children, min_size=2, max_size=3).map(tuple)
            )
        ]
        if loops:
            operators.append(st.tuples(st.just("loop"), children, children))
        return st.one_of(*operators)

    return st.recursive(leaf(), extend, max_leaves=6)


def activities(tree: Tree) -> list[str]:
    if tree[0] == "act":
        return [tree[1]]
    if tree[0] == "loop":
        return activities(tree[1]) + activities(tree[2])
    return [a for child in tree[1] for a in activities(child)]


# --- tree → BPMN structure ------------------------------------------------------------------------


@dataclass
class _Builder:
    nodes: list[Node]
    flows: list[Flow]
    ids: Iterator[int]

    def add(self, type_: str, category: str, id_: str = "") -> str:
        node_id = id_ or f"{type_}_{next(self.ids)}"
        self.nodes.append(Node.model_validate({"id": node_id, "type": type_, "category": category}))
        return node_id

    def flow(self, source: str, target: str) -> None:
        self.flows.append(Flow(id=f"f{next(self.ids)}", source=source, target=target))

    def block(self, tree: Tree) -> tuple[str, str]:
        """Add the nodes of ``tree``; return its entry and exit node."""
        kind = tree[0]
        if kind == "act":
            node_id = self.add("userTask", "task", tree[1])
            return node_id, node_id
        if kind == "seq":
            parts = [self.block(child) for child in tree[1]]
            for (_, exit_), (entry, _) in pairwise(parts):
                self.flow(exit_, entry)
            return parts[0][0], parts[-1][1]
        if kind == "loop":
            join = self.add("exclusiveGateway", "gateway")
            split = self.add("exclusiveGateway", "gateway")
            do_in, do_out = self.block(tree[1])
            redo_in, redo_out = self.block(tree[2])
            self.flow(join, do_in)
            self.flow(do_out, split)
            self.flow(split, redo_in)
            self.flow(redo_out, join)
            return join, split
        gateway = "exclusiveGateway" if kind == "xor" else "parallelGateway"
        split = self.add(gateway, "gateway")
        join = self.add(gateway, "gateway")
        for child in tree[1]:
            entry, exit_ = self.block(child)
            self.flow(split, entry)
            self.flow(exit_, join)
        return split, join


def to_structure(tree: Tree) -> ProcessStructure:
    builder = _Builder(nodes=[], flows=[], ids=count())
    start = builder.add("startEvent", "event", "start")
    end = builder.add("endEvent", "event", "end")
    entry, exit_ = builder.block(tree)
    builder.flow(start, entry)
    builder.flow(exit_, end)
    return ProcessStructure(process_id="p", nodes=builder.nodes, flows=builder.flows)


# --- the oracle: the tree's language -------------------------------------------------------------


def sample(tree: Tree, draw: Draw) -> list[str]:
    kind = tree[0]
    if kind == "act":
        return [tree[1]]
    if kind == "seq":
        return [a for child in tree[1] for a in sample(child, draw)]
    if kind == "xor":
        return sample(draw(st.sampled_from(tree[1])), draw)
    if kind == "loop":
        trace = sample(tree[1], draw)
        for _ in range(draw(st.integers(0, 2))):
            trace += sample(tree[2], draw) + sample(tree[1], draw)
        return trace
    result: list[str] = []
    for child in tree[1]:  # parallel: a random interleaving
        result = interleave(result, sample(child, draw), draw)
    return result


def interleave(left: list[str], right: list[str], draw: Draw) -> list[str]:
    merged, i, j = [], 0, 0
    while i < len(left) or j < len(right):
        if j == len(right) or (i < len(left) and draw(st.booleans())):
            merged.append(left[i])
            i += 1
        else:
            merged.append(right[j])
            j += 1
    return merged


@cache
def shuffles(left: tuple[str, ...], right: tuple[str, ...]) -> frozenset[tuple[str, ...]]:
    if not left or not right:
        return frozenset({left + right})
    return frozenset(
        {(left[0], *rest) for rest in shuffles(left[1:], right)}
        | {(right[0], *rest) for rest in shuffles(left, right[1:])}
    )


def language(tree: Tree) -> frozenset[tuple[str, ...]]:
    """Every trace of a loop-free tree."""
    kind = tree[0]
    if kind == "act":
        return frozenset({(tree[1],)})
    parts = [language(child) for child in tree[1]]
    if kind == "xor":
        return frozenset().union(*parts)
    result: frozenset[tuple[str, ...]] = frozenset({()})
    for part in parts:
        if kind == "seq":
            result = frozenset(a + b for a in result for b in part)
        else:
            result = frozenset(s for a in result for b in part for s in shuffles(a, b))
    return result


MUTATIONS = st.sampled_from(["swap", "drop", "duplicate", "insert"])


def mutate(trace: list[str], alphabet: list[str], draw: Draw) -> list[str]:
    mutated = list(trace)
    kind = draw(MUTATIONS)
    if kind == "swap" and len(mutated) >= 2:
        i, j = draw(st.lists(st.integers(0, len(mutated) - 1), min_size=2, max_size=2, unique=True))
        mutated[i], mutated[j] = mutated[j], mutated[i]
    elif kind == "drop" and mutated:
        del mutated[draw(st.integers(0, len(mutated) - 1))]
    elif kind == "duplicate" and mutated:
        i = draw(st.integers(0, len(mutated) - 1))
        mutated.insert(i, mutated[i])
    else:
        mutated.insert(draw(st.integers(0, len(mutated))), draw(st.sampled_from([*alphabet, "fremd"])))
    return mutated


PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY_SETTINGS
@given(data=st.data(), tree=trees(loops=True))
def test_every_path_generated_from_the_model_fits(data: st.DataObject, tree: Tree) -> None:
    replayer = Replayer(to_structure(tree))
    trace = sample(tree, data.draw)
    result = replayer.replay(trace)
    assert result.fits, (tree, trace, result)
    for end in range(len(trace)):  # every beginning of it is a valid running case
        assert replayer.replay(trace[:end], finished=False).fits


@PROPERTY_SETTINGS
@given(data=st.data(), tree=trees(loops=False))
def test_mutated_paths_are_detected_exactly_when_invalid(data: st.DataObject, tree: Tree) -> None:
    replayer = Replayer(to_structure(tree))
    valid = language(tree)
    trace = sample(tree, data.draw)
    assert tuple(trace) in valid  # the sampler and the oracle agree
    mutated = mutate(trace, activities(tree), data.draw)
    result = replayer.replay(mutated)
    assert result.fits == (tuple(mutated) in valid), (tree, mutated, result)
    if not result.fits:
        deviation = result.deviation
        assert deviation is not None
        assert 0 <= deviation.position <= max(len(mutated) - 1, 0)
        if deviation.kind != "ends_early":
            assert mutated[deviation.position] == deviation.activity
            # everything before the reported position is a valid beginning
            assert replayer.replay(mutated[: deviation.position], finished=False).fits
        if "fremd" in mutated and deviation.kind == "unknown":
            assert deviation.activity == "fremd"


@PROPERTY_SETTINGS
@given(data=st.data(), tree=trees(loops=False))
def test_running_cases_fit_exactly_when_they_begin_a_valid_path(data: st.DataObject, tree: Tree) -> None:
    replayer = Replayer(to_structure(tree))
    valid = language(tree)
    prefixes = {t[:i] for t in valid for i in range(len(t) + 1)}
    mutated = mutate(sample(tree, data.draw), activities(tree), data.draw)
    cut = mutated[: data.draw(st.integers(0, len(mutated)))]
    assert replayer.replay(cut, finished=False).fits == (tuple(cut) in prefixes)
