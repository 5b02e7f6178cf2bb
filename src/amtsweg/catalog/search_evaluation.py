"""Search quality measurement: a set of everyday queries with the services they must find.

Used by the quality test and by ``bench/search_quality.py``.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from .models import Service
from .search import rank, search_index

QUERIES_FILE = Path(__file__).resolve().parent / "tests" / "search_queries.csv"


@dataclass(frozen=True)
class QualityQuery:
    query: str
    expected: frozenset[str]
    note: str


@dataclass(frozen=True)
class QueryOutcome:
    query: QualityQuery
    rank: int | None  # 1-based rank of the first expected service, None if not in the results
    top: tuple[str, ...]  # LeiKa keys and names of the first results, for reports


@dataclass(frozen=True)
class QualityReport:
    outcomes: tuple[QueryOutcome, ...]

    def hit_rate(self, k: int) -> float:
        hits = sum(1 for outcome in self.outcomes if outcome.rank is not None and outcome.rank <= k)
        return hits / len(self.outcomes) if self.outcomes else 0.0

    @property
    def mrr(self) -> float:
        total = sum(1 / outcome.rank for outcome in self.outcomes if outcome.rank)
        return total / len(self.outcomes) if self.outcomes else 0.0

    def misses(self, k: int) -> list[QueryOutcome]:
        return [outcome for outcome in self.outcomes if outcome.rank is None or outcome.rank > k]


def load_queries(path: Path = QUERIES_FILE) -> list[QualityQuery]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            QualityQuery(row["query"], frozenset(row["expected_leika_keys"].split("|")), row["note"])
            for row in csv.DictReader(handle)
        ]


def evaluate(queries: list[QualityQuery], *, show: int = 3) -> QualityReport:
    """Run each query through the ranking and record where the first expected service appears."""
    index = search_index()
    keys = dict(Service.objects.values_list("pk", "leika_key"))
    names = dict(Service.objects.values_list("pk", "name"))
    outcomes = []
    for item in queries:
        ranked = rank(index, item.query)
        position = next(
            (number for number, pk in enumerate(ranked, start=1) if keys[pk] in item.expected), None
        )
        top = tuple(f"{keys[pk]} {names[pk]}" for pk in ranked[:show])
        outcomes.append(QueryOutcome(item, position, top))
    return QualityReport(tuple(outcomes))
