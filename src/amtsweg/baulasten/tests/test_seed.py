"""``amtsweg baulasten_seed``: a small seed is a consistent register the selectors find things in."""

from __future__ import annotations

import io
from collections import Counter

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from amtsweg.testing import World

from .. import selectors
from ..flurstueck import parse
from ..management.commands import baulasten_seed
from ..models import Baulast, BaulastKind, BaulastParcel, BaulastVersion, Parcel
from .factories import baulasten_setup


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("baulasten_seed", *args, stdout=out)
    return out.getvalue()


def test_small_seed_is_a_consistent_register(world: World) -> None:
    setup = baulasten_setup(world)
    before = Baulast.objects.filter(authority=world.neuss).count()
    output = _seed("--entries", "400", "--authority", world.neuss.ags, "--seed", "3")
    assert "seeded 400 entries" in output
    seeded = Baulast.objects.filter(authority=world.neuss).exclude(
        pk__in=[setup.setback.pk, setup.parking.pk, setup.deleted.pk]
    )
    assert seeded.count() == 400 == Baulast.objects.filter(authority=world.neuss).count() - before
    assert {e.register_id for e in seeded} == {setup.neuss_register.pk}
    # Sheets continue after the register's existing ones; (sheet, number) unique (the DB says so too).
    assert min(seeded.values_list("sheet", flat=True)) > 3
    assert max(Counter(seeded.values_list("sheet", "number")).values()) == 1
    # Every kind occurs; every entry has a burdened parcel; about 1–2 parcels per entry.
    assert set(seeded.values_list("kind", flat=True)) == set(BaulastKind.values)
    links = BaulastParcel.objects.filter(baulast__in=seeded)
    assert set(seeded.values_list("pk", flat=True)) == set(
        links.filter(role=BaulastParcel.Role.BURDENED).values_list("baulast_id", flat=True)
    )
    assert 1.1 <= links.count() / 400 <= 2.0
    # Every parcel key is a valid Flurstückskennzeichen of its Gemarkung.
    for parcel in Parcel.objects.filter(baulast_links__baulast__in=seeded).select_related("gemarkung")[:200]:
        parts = parse(parcel.kennzeichen)
        assert parts.gemarkung_key == parcel.gemarkung.key
        assert (parts.flur, parts.zaehler, parts.nenner) == (parcel.flur, parcel.zaehler, parcel.nenner)
    # Some deleted entries, each after its entry date with a reason and a second version.
    deleted = seeded.filter(deleted_on__isnull=False)
    assert 5 <= deleted.count() <= 80
    assert all(
        e.deleted_on is not None and e.deleted_on >= e.entered_on and e.deletion_reason and e.version == 2
        for e in deleted
    )
    versions = BaulastVersion.objects.filter(baulast__in=seeded)
    assert versions.filter(number=1, change="created").count() == 400
    assert versions.filter(number=2, change="deleted").count() == deleted.count()
    # The search text is built like the services build it: kind, text, the parcels as shown.
    entry = seeded.filter(parcel_links__role=BaulastParcel.Role.BURDENED).first()
    assert entry is not None
    parcel = entry.parcel_links.get(role=BaulastParcel.Role.BURDENED).parcel
    assert entry.search_text.startswith(str(entry.get_kind_display()) + "\n" + entry.text)
    assert str(parcel) in entry.search_text


def test_seeded_entries_are_found_by_parcel_and_full_text(world: World) -> None:
    setup = baulasten_setup(world)
    _seed("--entries", "300", "--authority", world.neuss.ags, "--seed", "5")
    link = (
        BaulastParcel.objects.filter(baulast__authority=world.neuss, baulast__sheet__gt=3)
        .select_related("parcel")
        .first()
    )
    assert link is not None
    found = selectors.entries_for_parcel(kennzeichen=link.parcel.kennzeichen, authority_ids={world.neuss.pk})
    assert link.baulast in found
    # A word of one entry's own text finds it (full text on PostgreSQL, LIKE per word on SQLite).
    entry = Baulast.objects.filter(
        authority=world.neuss, kind=BaulastKind.UTILITY, deleted_on__isnull=True
    ).first()
    assert entry is not None
    word = next(w for w in baulasten_seed.UTILITIES if w in entry.text)
    page = selectors.register_search(setup.bau_neuss, world.neuss, q=word, limit=200)
    assert entry.pk in {e.pk for e in page.entries}
    assert (
        page.total
        == Baulast.objects.filter(
            authority=world.neuss, deleted_on__isnull=True, search_text__icontains=word
        ).count()
    )
    # Another register sees none of them.
    assert selectors.register_search(setup.bau_dormagen, world.dormagen, q=word).total == 0


def test_seeding_twice_appends_and_names_must_be_valid(world: World) -> None:
    baulasten_setup(world)
    _seed("--entries", "60", "--authority", world.dormagen.ags)
    _seed("--entries", "60", "--authority", world.dormagen.ags)
    entries = Baulast.objects.filter(authority=world.dormagen)
    assert entries.count() == 121
    assert Parcel.objects.values("kennzeichen").distinct().count() == Parcel.objects.count()
    with pytest.raises(CommandError, match="no authority"):
        _seed("--entries", "5", "--authority", "09999999")
    with pytest.raises(CommandError, match="at least 1"):
        _seed("--entries", "0")


def test_default_keeper_is_the_synthetic_bench_kreis(world: World) -> None:
    baulasten_setup(world)
    _seed("--entries", "20")
    assert Baulast.objects.filter(authority__ags=baulasten_seed.BENCH_AGS).count() == 20


@pytest.mark.skipif(connection.vendor != "postgresql", reason="GIN indexes exist on PostgreSQL only")
def test_large_seed_rebuilds_the_indexes_exactly_as_the_migration(world: World) -> None:
    def definitions() -> dict[str, str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'baulasten_baulast'")
            return dict(cursor.fetchall())

    before = definitions()
    assert "baulasten_entry_fulltext" in before
    command = baulasten_seed.Command()
    command._drop_gin()
    assert "baulasten_entry_fulltext" not in definitions()
    command._create_gin()
    assert definitions() == before


def test_gemarkungen_csv_of_either_layout(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "g.csv"
    path.write_text(
        "gemarkung_nr,gemarkung_name,fluren_in_source\n3359,Neuss,1-3;7\n3224,Jüchen,2\n", encoding="utf-8"
    )
    assert baulasten_seed.load_gemarkungen(path) == [
        ("053359", "Neuss", [1, 2, 3, 7]),
        ("053224", "Jüchen", [2]),
    ]
    path.write_text("key,name,town\n053359,Neuss,05162024\n", encoding="utf-8")
    assert baulasten_seed.load_gemarkungen(path) == [("053359", "Neuss", [])]
