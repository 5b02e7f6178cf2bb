"""Server-side search latency on the real catalogue: cold index build, then p50/p95/p99 per query.

Run: ``.venv/bin/python bench/search_latency.py [--repeat N]``. Each measurement is one call of
``service_search`` (ranking plus the query that loads the page of services), index warm; the
version-stamp check runs on every call as in production.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_quality import setup_django


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20, help="how often the query set is run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        setup_django(directory)
        from amtsweg.catalog.models import Service
        from amtsweg.catalog.search import clear_search_index, search_index
        from amtsweg.catalog.search_evaluation import load_queries
        from amtsweg.catalog.selectors import service_search

        clear_search_index()
        started = time.perf_counter()
        index = search_index()
        cold = time.perf_counter() - started
        stamp_times = []
        for _ in range(200):
            started = time.perf_counter()
            search_index()
            stamp_times.append(time.perf_counter() - started)
        queries = [item.query for item in load_queries()]
        # Typing: every prefix of each query as well, the way a search-as-you-type box sends them.
        typed = [query[:end] for query in queries for end in range(3, len(query), 3)]
        for query in queries:
            service_search(query=query)
        timings: list[float] = []
        for _ in range(args.repeat):
            for query in queries + typed:
                started = time.perf_counter()
                service_search(query=query)
                timings.append((time.perf_counter() - started) * 1000)
        print(
            f"machine: {platform.machine()} {platform.python_implementation()} {platform.python_version()}, "
            f"services: {Service.objects.count()}, index terms: {len(index.postings)}"
        )
        print(
            f"cold index build: {cold * 1000:.0f} ms (of which analysis {index.build_seconds * 1000:.0f} ms)"
        )
        print(f"version-stamp check: median {statistics.median(stamp_times) * 1000:.3f} ms")
        print(
            f"queries: {len(queries)} whole + {len(typed)} typed prefixes, "
            f"x{args.repeat} = {len(timings)} calls"
        )
        print(
            f"p50 {percentile(timings, 0.5):.2f} ms  p95 {percentile(timings, 0.95):.2f} ms  "
            f"p99 {percentile(timings, 0.99):.2f} ms  max {max(timings):.2f} ms"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
