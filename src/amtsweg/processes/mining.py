"""Small process-mining algorithms on case traces (sequences of BPMN activity ids): the
directly-follows graph, variants, and conformance of a trace to its process model by token replay.

Kept dependency-free on purpose (pm4py is AGPL and pulls in cvxopt, matplotlib and graphviz).

Replay semantics (on :class:`~amtsweg.processes.structure.ProcessStructure`): tokens lie on sequence
flows; tasks and call activities are the visible steps; events, gateways and the borders of expanded
sub-processes are silent. An exclusive or event-based gateway passes a token to one outgoing flow, a
parallel gateway waits for a token on every incoming flow and feeds every outgoing one, an inclusive
gateway feeds any non-empty subset. An activity takes a token from any one incoming flow and feeds
every outgoing flow (any non-empty subset when they carry conditions). A boundary event may leave
its activity while the activity is enabled: interrupting ones take the activity's token. Event
sub-processes may start whenever the case runs. A finished case fits when the replay can end with no
token left; a running case fits when its trace is a valid beginning of the process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, combinations, pairwise
from typing import Literal

from .structure import Node, ProcessStructure

# Bounds that keep the replay finite on models with silent loops or unbounded parallelism.
MAX_TOKENS_PER_PLACE = 2
MAX_TOKENS = 24
MAX_MARKINGS = 4000
MAX_SUBSET_FLOWS = 5  # outgoing flows of an inclusive split enumerated as subsets; beyond: one or all

Marking = tuple[str, ...]  # sorted multiset of places (sequence flow ids, "done:<sub-process id>")


# --- directly-follows graph and variants ---------------------------------------------------------


@dataclass
class DirectlyFollowsGraph:
    """How often each activity occurs, follows another directly, starts or ends a case."""

    cases: int = 0
    activities: Counter[str] = field(default_factory=Counter)
    edges: Counter[tuple[str, str]] = field(default_factory=Counter)
    starts: Counter[str] = field(default_factory=Counter)
    ends: Counter[str] = field(default_factory=Counter)

    def add(self, trace: Sequence[str]) -> None:
        self.cases += 1
        if not trace:
            return
        self.activities.update(trace)
        self.edges.update(pairwise(trace))
        self.starts[trace[0]] += 1
        self.ends[trace[-1]] += 1

    def sorted_edges(self) -> list[tuple[str, str, int]]:
        """Edges by frequency (most frequent first), ties by name: a stable order for tables."""
        return sorted(((a, b, n) for (a, b), n in self.edges.items()), key=lambda e: (-e[2], e[0], e[1]))


def directly_follows(traces: Iterable[Sequence[str]]) -> DirectlyFollowsGraph:
    graph = DirectlyFollowsGraph()
    for trace in traces:
        graph.add(trace)
    return graph


@dataclass(frozen=True)
class Variant:
    """One distinct path through the process (Prozessvariante) and the cases that took it."""

    activities: tuple[str, ...]
    count: int
    share: float
    examples: tuple[str, ...]


@dataclass
class VariantCounter:
    """Counts variants while traces stream past; keeps a few example case references per variant."""

    examples_per_variant: int = 3
    total: int = 0
    counts: Counter[tuple[str, ...]] = field(default_factory=Counter)
    examples: dict[tuple[str, ...], list[str]] = field(default_factory=dict)

    def add(self, case: str, trace: Sequence[str]) -> None:
        key = tuple(trace)
        self.total += 1
        self.counts[key] += 1
        kept = self.examples.setdefault(key, [])
        if len(kept) < self.examples_per_variant:
            kept.append(case)

    def result(self) -> list[Variant]:
        """Variants, most frequent first (ties: shorter, then alphabetical)."""
        ordered = sorted(self.counts.items(), key=lambda item: (-item[1], len(item[0]), item[0]))
        return [
            Variant(
                activities=key,
                count=count,
                share=count / self.total if self.total else 0.0,
                examples=tuple(self.examples[key]),
            )
            for key, count in ordered
        ]


def variants(cases: Iterable[tuple[str, Sequence[str]]], *, examples: int = 3) -> list[Variant]:
    """Variants of ``(case reference, trace)`` pairs, most frequent first."""
    counter = VariantCounter(examples_per_variant=examples)
    for case, trace in cases:
        counter.add(case, trace)
    return counter.result()


# --- conformance -----------------------------------------------------------------------------------

DeviationKind = Literal["unknown", "unexpected", "skipped", "ends_early"]


@dataclass(frozen=True)
class Deviation:
    """Where a trace leaves the model, the first time it does.

    * ``unknown``: ``activity`` is not an activity of the model;
    * ``unexpected``: ``activity`` could not happen here;
    * ``skipped``: ``activity`` could happen here only after ``missing``, which is not in the trace;
    * ``ends_early``: the case finished after ``activity`` (empty: without any activity) although the
      model still expected one of ``expected``.
    """

    kind: DeviationKind
    activity: str
    position: int
    missing: str = ""
    expected: tuple[str, ...] = ()

    @property
    def at(self) -> str:
        """The activity this deviation is counted at in "deviations per activity"."""
        return self.missing if self.kind == "skipped" else self.activity


@dataclass(frozen=True)
class Conformance:
    fits: bool
    deviation: Deviation | None = None
    approximate: bool = False  # the replay hit a bound; "fits" may be optimistic


FITS = Conformance(fits=True)


class Replayer:
    """Replays traces on one process model; results are cached per (trace, finished)."""

    def __init__(self, structure: ProcessStructure) -> None:
        self.structure = structure
        self.nodes = structure.by_id()
        self._in: dict[str, list[str]] = {n.id: [] for n in structure.nodes}
        self._out: dict[str, list[str]] = {n.id: [] for n in structure.nodes}
        self._conditional: set[str] = set()
        for flow in structure.flows:
            self._out[flow.source].append(flow.id)
            self._in[flow.target].append(flow.id)
            if flow.condition and not flow.default:
                self._conditional.add(flow.source)
        children: dict[str, list[Node]] = {}
        for node in structure.nodes:
            if node.parent:
                children.setdefault(node.parent, []).append(node)
        # Expanded sub-processes: their borders are silent, their content is replayed.
        self.expanded = {n.id for n in structure.nodes if n.category == "subprocess" and n.id in children}
        self.visible = {
            n.id
            for n in structure.nodes
            if n.category in ("task", "subprocess") and n.id not in self.expanded
        }
        self._inner: dict[str, frozenset[str]] = {
            sp: frozenset(self._places_inside(sp)) for sp in self.expanded
        }
        self._starts: dict[str, list[str]] = {
            sp: [
                c.id
                for c in children[sp]
                if c.type == "startEvent" and not self._in[c.id] and not c.attached_to
            ]
            for sp in self.expanded
        }
        self._boundaries = [n for n in structure.nodes if n.attached_to]
        self._silent = [
            n
            for n in structure.nodes
            if n.id not in self.visible
            and not n.attached_to
            and not (n.type == "startEvent" and not self._in[n.id])
        ]
        self._cache: dict[tuple[tuple[str, ...], bool], Conformance] = {}
        self.initial: list[Marking] = [
            _marking(self._out[n.id])
            for n in structure.nodes
            if n.type == "startEvent" and not n.parent and not self._in[n.id]
        ]

    # The places inside sub-process ``sp``, including those of nested sub-processes.
    def _places_inside(self, sp: str) -> set[str]:
        inside = {n.id for n in self.structure.nodes if self._is_within(n, sp)}
        places = {f.id for f in self.structure.flows if f.source in inside}
        places |= {f"done:{n}" for n in inside if n in self.nodes and self.nodes[n].category == "subprocess"}
        places.add(f"done:{sp}")
        return places

    def _is_within(self, node: Node, sp: str) -> bool:
        parent = node.parent
        seen: set[str] = set()
        while parent and parent not in seen:
            if parent == sp:
                return True
            seen.add(parent)
            parent = self.nodes[parent].parent if parent in self.nodes else ""
        return False

    # -- the token game --------------------------------------------------------------------------

    def _produce(self, node: Node) -> list[list[str]]:
        """The alternatives of tokens ``node`` puts on its outgoing flows when it completes."""
        out = self._out[node.id]
        if node.type == "endEvent" or not out:
            return [[f"done:{node.parent}"]] if node.parent in self.expanded else [[]]
        if node.category == "gateway":
            if node.type == "parallelGateway":
                return [out]
            if node.type == "inclusiveGateway":
                return _subsets(out)
            return [[flow] for flow in out]
        if node.id in self._conditional:
            return _subsets(out)
        return [out]

    def _silent_moves(self, marking: Marking) -> Iterator[Marking]:
        tokens = Counter(marking)
        for node in self._silent:
            incoming = [f for f in self._in[node.id] if tokens[f]]
            if node.id in self.expanded:
                yield from self._subprocess_moves(node, tokens, incoming)
                continue
            if not incoming:
                continue
            if node.type == "parallelGateway":
                if len(incoming) < len(self._in[node.id]):
                    continue
                options = [incoming]
            elif node.type == "inclusiveGateway" and len(incoming) > 1:
                options = [[f] for f in incoming] + [incoming]
            else:
                options = [[f] for f in incoming]
            terminate = node.type == "endEvent" and "terminate" in node.events
            for consumed in options:
                after = tokens - Counter(consumed)
                if terminate:
                    after = self._terminate(after, node.parent)
                for produced in self._produce(node):
                    yield _marking(after.elements(), produced)
        for boundary in self._boundaries:
            host = boundary.attached_to
            if host in self.expanded:
                inner = self._inner[host]
                if not any(tokens[p] for p in inner):
                    continue
                after = (
                    Counter({p: n for p, n in tokens.items() if p not in inner})
                    if boundary.interrupting
                    else tokens
                )
                for produced in self._produce(boundary):
                    yield _marking(after.elements(), produced)
                continue
            for flow in self._in.get(host, []):
                if tokens[flow]:
                    after = tokens - Counter([flow]) if boundary.interrupting else tokens
                    for produced in self._produce(boundary):
                        yield _marking(after.elements(), produced)

    def _subprocess_moves(self, node: Node, tokens: Counter[str], incoming: list[str]) -> Iterator[Marking]:
        inner = self._inner[node.id]
        starts = list(chain.from_iterable(self._out[s] for s in self._starts[node.id]))
        entry = starts or [f"done:{node.id}"]
        for flow in incoming:  # enter
            yield _marking((tokens - Counter([flow])).elements(), entry)
        if not self._in[node.id] and tokens and not any(tokens[p] for p in inner):
            yield _marking(tokens.elements(), entry)  # an event sub-process starts
        done = f"done:{node.id}"
        if tokens[done] and not any(tokens[p] for p in inner if p != done):  # leave
            after = Counter({p: n for p, n in tokens.items() if p != done})
            for produced in self._produce(node) if self._in[node.id] else [[]]:
                yield _marking(after.elements(), produced)

    def _terminate(self, tokens: Counter[str], scope: str) -> Counter[str]:
        if scope in self.expanded:
            inner = self._inner[scope]
            return Counter({p: n for p, n in tokens.items() if p not in inner})
        return Counter()

    def _close(self, markings: Iterable[Marking]) -> tuple[set[Marking], bool]:
        """All markings reachable through silent moves (and whether a bound cut the search)."""
        seen = set(markings)
        queue = list(seen)
        capped = False
        while queue:
            marking = queue.pop()
            for following in self._silent_moves(marking):
                if following in seen or not _bounded(following):
                    continue
                if len(seen) >= MAX_MARKINGS:
                    capped = True
                    break
                seen.add(following)
                queue.append(following)
        return seen, capped

    def _fire(self, markings: Iterable[Marking], activity: str) -> set[Marking]:
        node = self.nodes[activity]
        result: set[Marking] = set()
        for marking in markings:
            tokens = Counter(marking)
            for flow in self._in[activity]:
                if not tokens[flow]:
                    continue
                after = tokens - Counter([flow])
                for produced in self._produce(node):
                    following = _marking(after.elements(), produced)
                    if _bounded(following):
                        result.add(following)
        return result

    def enabled(self, markings: Iterable[Marking]) -> tuple[str, ...]:
        """The visible activities that could happen next."""
        places = set(chain.from_iterable(markings))
        return tuple(sorted(a for a in self.visible if any(f in places for f in self._in[a])))

    # -- public --------------------------------------------------------------------------------------

    def relevant(self, trace: Sequence[str]) -> tuple[str, ...]:
        """The trace without what the model replays silently: rows of expanded sub-processes, and
        steps of called processes (ids not in this model when the model calls other processes)."""
        skip_unknown = bool(self.structure.called_processes)
        return tuple(a for a in trace if a not in self.expanded and (a in self.nodes or not skip_unknown))

    def replay(self, trace: Sequence[str], *, finished: bool = True) -> Conformance:
        key = (self.relevant(trace), finished)
        cached = self._cache.get(key)
        if cached is None:
            cached = self._replay(*key)
            self._cache[key] = cached
        return cached

    def _replay(self, trace: tuple[str, ...], finished: bool) -> Conformance:
        current, approximate = self._close(self.initial)
        for position, activity in enumerate(trace):
            if activity not in self.visible:
                kind: DeviationKind = "unknown" if activity not in self.nodes else "unexpected"
                return Conformance(False, Deviation(kind, activity, position, expected=self.enabled(current)))
            following, capped = self._close(self._fire(current, activity))
            approximate |= capped
            if not following:
                return Conformance(False, self._diagnose(current, activity, position), approximate)
            current = following
        if finished and () not in current:
            last = trace[-1] if trace else ""
            deviation = Deviation("ends_early", last, max(len(trace) - 1, 0), expected=self.enabled(current))
            return Conformance(False, deviation, approximate)
        return Conformance(True, None, approximate)

    def _diagnose(self, current: set[Marking], activity: str, position: int) -> Deviation:
        expected = self.enabled(current)
        for candidate in expected:
            after, _ = self._close(self._fire(current, candidate))
            if self._fire(after, activity):
                return Deviation("skipped", activity, position, missing=candidate, expected=expected)
        return Deviation("unexpected", activity, position, expected=expected)


def _marking(*parts: Iterable[str]) -> Marking:
    return tuple(sorted(chain.from_iterable(parts)))


def _bounded(marking: Marking) -> bool:
    if len(marking) > MAX_TOKENS:
        return False
    counts = Counter(marking)
    return not counts or max(counts.values()) <= MAX_TOKENS_PER_PLACE


def _subsets(flows: list[str]) -> list[list[str]]:
    if len(flows) > MAX_SUBSET_FLOWS:
        return [[f] for f in flows] + [flows]
    return [list(c) for size in range(1, len(flows) + 1) for c in combinations(flows, size)]


@dataclass
class ConformanceSummary:
    """Conformance of many cases: how many fit, the deviating ones (up to ``keep``) and where they
    deviate (counts per activity and kind)."""

    keep: int = 100
    checked: int = 0
    fitting: int = 0
    without_model: int = 0
    deviating: list[tuple[str, Deviation]] = field(default_factory=list)
    deviating_total: int = 0
    per_activity: Counter[tuple[str, str]] = field(default_factory=Counter)
    approximate: int = 0

    def add(self, case: str, result: Conformance) -> None:
        self.checked += 1
        self.approximate += int(result.approximate)
        if result.fits or result.deviation is None:
            self.fitting += 1
            return
        self.deviating_total += 1
        self.per_activity[(result.deviation.at, result.deviation.kind)] += 1
        if len(self.deviating) < self.keep:
            self.deviating.append((case, result.deviation))

    @property
    def fitness(self) -> float:
        """Share of checked cases that fit the model."""
        return self.fitting / self.checked if self.checked else 0.0
