"""Search quality on the real catalogue: everyday queries must find the service citizens mean."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from amtsweg.catalog.models import Service
from amtsweg.catalog.search import clear_search_index
from amtsweg.catalog.search_evaluation import evaluate, load_queries
from amtsweg.testing import shared_data

pytestmark = [pytest.mark.django_db, pytest.mark.fixture_data]

MIN_HIT_RATE_AT_3 = 0.9


def test_query_set_is_well_formed() -> None:
    queries = load_queries()
    assert len(queries) >= 35
    assert len({item.query for item in queries}) == len(queries)
    assert all(
        item.expected and all(len(key) == 14 and key.isdigit() for key in item.expected) for item in queries
    )


def test_hit_rate_at_3() -> None:
    call_command(
        "import_catalog",
        "--ozg",
        str(shared_data("ozg/ozg_leistungen.csv")),
        "--leika",
        str(shared_data("ozg/leika_leistungen.csv")),
        stdout=StringIO(),
    )
    clear_search_index()
    queries = load_queries()
    known = set(Service.objects.values_list("leika_key", flat=True))
    assert all(item.expected <= known for item in queries), (
        "search_queries.csv names keys the catalogue lacks"
    )

    report = evaluate(queries)

    for outcome in report.misses(3):
        print(
            f"miss (rank {outcome.rank}): {outcome.query.query!r} expected {sorted(outcome.query.expected)}; "
            f"got {list(outcome.top)}"
        )
    print(f"hit@1 {report.hit_rate(1):.3f}  hit@3 {report.hit_rate(3):.3f}  MRR {report.mrr:.3f}")
    assert report.hit_rate(3) >= MIN_HIT_RATE_AT_3
