"""PostgreSQL: the full-text search filters on the GIN-indexed tsvector columns of migration 0002, so
the planner answers from the indexes (checked with EXPLAIN on a seeded table); a word in nearly every
entry is capped, not counted and ranked in full."""

from __future__ import annotations

import pytest
from django.db import connection

from amtsweg.testing import World

from .. import selectors
from ..models import Baulast, BaulastKind, ScanBatch, ScanFile
from .factories import baulasten_setup

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text indexes are PostgreSQL only"
)


def test_search_uses_the_gin_indexes(world: World) -> None:
    setup = baulasten_setup(world)
    words = ["Abstandsfläche", "Stellplatz", "Zufahrt", "Leitung", "Garage", "Hofeinfahrt", "Wohnhaus"]
    Baulast.objects.bulk_create(
        Baulast(
            register=setup.neuss_register,
            authority=world.neuss,
            sheet=1000 + i,
            number=1,
            kind=BaulastKind.OTHER,
            text=f"Eintrag {i} {words[i % len(words)]}",
            entered_on="2020-01-01",
            search_text=f"Eintrag {i} {words[i % len(words)]} Nummer{i}",
        )
        for i in range(3000)
    )
    batch = ScanBatch.objects.create(
        register=setup.neuss_register, authority=world.neuss, uploaded_by=setup.bau_neuss
    )
    ScanFile.objects.bulk_create(
        ScanFile(
            batch=batch,
            authority=world.neuss,
            original_name=f"s{i}.pdf",
            content_type="application/pdf",
            size=1,
            sha256=f"{i:064d}",
            text=f"Seite {i} {words[i % len(words)]} Scan{i}",
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE baulasten_baulast")
        cursor.execute("ANALYZE baulasten_scanfile")
    qs = selectors.register_search(setup.bau_neuss, world.neuss, q="Nummer1234")
    assert [e.sheet for e in qs.entries] == [2234]
    # The statements the selector runs, explained: each side can answer from its GIN index. With
    # 3,000 rows a sequential scan is as cheap, so it is switched off: a condition that did not match
    # the index would still be a (penalised) sequential scan.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    probe = Baulast.objects.filter(authority=world.neuss).extra(  # noqa: S610
        where=[selectors.fulltext_condition("baulasten_baulast")], params=["Nummer1234"]
    )
    plan = probe.explain()
    assert "baulasten_entry_fulltext" in plan, plan
    assert "Seq Scan on baulasten_baulast" not in plan, plan
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN SELECT s.id FROM baulasten_scanfile s WHERE s.authority_id = %s AND "  # noqa: S608
            + selectors.fulltext_condition("baulasten_scanfile", "s"),
            [world.neuss.pk, "Scan1234"],
        )
        scan_plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "baulasten_scan_fulltext" in scan_plan, scan_plan
    # A word in every entry: counted up to the cap, listed in register order, not ranked.
    common = selectors.register_search(setup.bau_neuss, world.neuss, q="Eintrag", limit=5)
    assert (common.total, common.more) == (selectors.FULLTEXT_CAP, True)
    assert [e.sheet for e in common.entries] == [1000, 1001, 1002, 1003, 1004]
    rare = selectors.register_search(setup.bau_neuss, world.neuss, q="Hofeinfahrt Nummer5")
    assert (rare.total, rare.more) == (1, False)
    owner = Baulast.objects.filter(authority=world.neuss, obligors__icontains="Mustermann").explain()
    assert "baulasten_entry_obligors_trgm" in owner or "Seq Scan" in owner  # trigram needs pg_trgm
