"""Layout of a directly-follows graph as a server-rendered SVG (no JavaScript, no graphviz): activities
in columns by their breadth-first distance from the start, edges as curves whose width grows with
their frequency. The template draws what :func:`dfg_layout` computes."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from .mining import DirectlyFollowsGraph

START = "__start__"
END = "__end__"
NODE_WIDTH = 170
NODE_HEIGHT = 46
COLUMN_GAP = 70
ROW_GAP = 26
MARGIN = 20
MAX_STROKE = 7.0
LABEL_CHARS = 24
BACK_EDGE_ROOM = 70  # below the lowest node, for edges that go backwards


@dataclass(frozen=True)
class SvgNode:
    id: str
    label: str
    short: str
    count: int
    x: int
    y: int
    terminal: bool  # the start or end marker

    @property
    def text_x(self) -> int:
        return self.x + NODE_WIDTH // 2

    @property
    def text_y(self) -> int:
        return self.y + 19

    @property
    def count_y(self) -> int:
        return self.y + 36


@dataclass(frozen=True)
class SvgEdge:
    source: str
    target: str
    count: int
    path: str
    width: float
    title: str


@dataclass(frozen=True)
class SvgGraph:
    width: int
    height: int
    nodes: list[SvgNode]
    edges: list[SvgEdge]
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1].rstrip() + "…"


def dfg_layout(
    dfg: DirectlyFollowsGraph, *, label: Callable[[str], str], start_label: str, end_label: str
) -> SvgGraph:
    """Place the graph's activities (plus a start and an end marker) and route its edges."""
    successors: dict[str, set[str]] = {START: set(dfg.starts)}
    for source, target in dfg.edges:
        successors.setdefault(source, set()).add(target)
    depth = {START: 0}
    queue = deque([START])
    while queue:
        current = queue.popleft()
        for following in sorted(successors.get(current, ())):
            if following not in depth:
                depth[following] = depth[current] + 1
                queue.append(following)
    deepest = max(depth.values(), default=0)
    for activity in sorted(dfg.activities):  # only reachable through cycles that skip the start
        if activity not in depth:
            deepest += 1
            depth[activity] = deepest
    depth[END] = deepest + 1

    columns: dict[int, list[str]] = {}
    for node, column in depth.items():
        columns.setdefault(column, []).append(node)
    counts = {START: dfg.cases, END: sum(dfg.ends.values()), **dfg.activities}
    tallest = max(len(c) for c in columns.values())
    height = MARGIN * 2 + tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    nodes: dict[str, SvgNode] = {}
    for column, members in columns.items():
        members.sort(key=lambda n: (-counts.get(n, 0), label(n)))
        block = len(members) * NODE_HEIGHT + (len(members) - 1) * ROW_GAP
        top = (height - block) // 2
        for row, node in enumerate(members):
            text = start_label if node == START else end_label if node == END else label(node)
            nodes[node] = SvgNode(
                id=node,
                label=text,
                short=_short(text),
                count=counts.get(node, 0),
                x=MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
                y=top + row * (NODE_HEIGHT + ROW_GAP),
                terminal=node in (START, END),
            )
    width = MARGIN * 2 + (depth[END] + 1) * NODE_WIDTH + depth[END] * COLUMN_GAP

    pairs = [(START, a, n) for a, n in dfg.starts.items()]
    pairs += [(a, b, n) for (a, b), n in dfg.edges.items()]
    pairs += [(a, END, n) for a, n in dfg.ends.items()]
    strongest = max((n for _, _, n in pairs), default=1)
    edges = [
        SvgEdge(
            source=a,
            target=b,
            count=n,
            path=_route(nodes[a], nodes[b], bottom=height + BACK_EDGE_ROOM - 10),
            width=round(1.0 + (MAX_STROKE - 1.0) * n / strongest, 1),
            title=f"{nodes[a].label} → {nodes[b].label}: {n}",
        )
        for a, b, n in sorted(pairs, key=lambda p: p[2])  # the strongest drawn last, on top
    ]
    return SvgGraph(width=width, height=height + BACK_EDGE_ROOM, nodes=list(nodes.values()), edges=edges)


def _route(source: SvgNode, target: SvgNode, *, bottom: int) -> str:
    """A forward edge leaves on the right and enters on the left, an edge within a column bends round
    its right-hand side, a loop and a backward edge arc below."""
    if target.x > source.x:
        x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT // 2
        x2, y2 = target.x, target.y + NODE_HEIGHT // 2
        bend = (x2 - x1) // 2
        return f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"
    if target.x == source.x and source.id != target.id:  # same column: around the right-hand side
        x = source.x + NODE_WIDTH
        y1, y2 = source.y + NODE_HEIGHT // 2, target.y + NODE_HEIGHT // 2
        return f"M{x},{y1} C{x + 45},{y1} {x + 45},{y2} {x},{y2}"
    if source.id == target.id:
        x, y = source.x + NODE_WIDTH - 30, source.y + NODE_HEIGHT
        return f"M{x},{y} C{x + 10},{y + 30} {x + 40},{y + 30} {x + 30},{y - 10}"
    x1, y1 = source.x + NODE_WIDTH // 2 + 12, source.y + NODE_HEIGHT
    x2, y2 = target.x + NODE_WIDTH // 2 - 12, target.y + NODE_HEIGHT
    drop = min(max(y1, y2) + ROW_GAP + abs(x1 - x2) // 8, bottom)
    return f"M{x1},{y1} C{x1},{drop} {x2},{drop} {x2},{y2}"
