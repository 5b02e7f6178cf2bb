"""The register's reads: the parcel lookup and the search by every criterion, scoped to the register."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .. import selectors
from ..flurstueck import InvalidKennzeichen
from ..models import BaulastKind, ScanBatch, ScanFile
from .factories import (
    DORMAGEN_45,
    GRIMLINGHAUSEN_12,
    JUECHEN_8,
    NEUSS_119_2,
    NEUSS_119_3,
    NEUSS_200,
    baulasten_setup,
    make_entry,
)


def _keys(page: selectors.SearchPage) -> list[tuple[int, int]]:
    return [(e.sheet, e.number) for e in page.entries]


def test_parcel_lookup_finds_burdening_and_benefiting_entries_in_one_query(world: World) -> None:
    setup = baulasten_setup(world)
    with CaptureQueriesContext(connection) as queries:
        found = selectors.entries_for_parcel(kennzeichen=NEUSS_119_3, authority_ids={world.neuss.pk})
    assert len(queries.captured_queries) == 1
    roles: list[tuple[int, str]] = [(e.sheet, e.parcel_role) for e in found]  # type: ignore[attr-defined]
    assert roles == [(1, "beguenstigt"), (2, "beguenstigt")]
    burdened = selectors.entries_for_parcel(kennzeichen=NEUSS_119_2, register=setup.neuss_register)
    by_pk: list[tuple[int, str]] = [(e.pk, e.parcel_role) for e in burdened]  # type: ignore[attr-defined]
    assert by_pk == [
        (setup.setback.pk, "belastet"),
        (setup.parking.pk, "belastet"),
    ]
    deleted = selectors.entries_for_parcel(kennzeichen=GRIMLINGHAUSEN_12, register=setup.neuss_register)
    assert [e.is_deleted for e in deleted] == [True]
    assert selectors.entries_for_parcel(kennzeichen=NEUSS_200, register=setup.neuss_register) == []
    # Another register's parcel: nothing, whatever the key.
    assert selectors.entries_for_parcel(kennzeichen=DORMAGEN_45, authority_ids={world.neuss.pk}) == []
    with pytest.raises(InvalidKennzeichen):
        selectors.entries_for_parcel(kennzeichen="0533590030011900", register=setup.neuss_register)


def test_search_by_parcel_key_and_by_parts(world: World) -> None:
    setup = baulasten_setup(world)
    user = setup.bau_neuss
    by_key = selectors.register_search(user, world.neuss, parcel=NEUSS_119_2)
    assert _keys(by_key) == [(1, 1), (2, 1)] and by_key.total == 2
    by_parts = selectors.register_search(user, world.neuss, gemarkung="053359", flur=3, parcel="119/2")
    assert _keys(by_parts) == [(1, 1), (2, 1)]
    assert _keys(selectors.register_search(user, world.neuss, gemarkung="3359", parcel="119/3")) == [
        (1, 1),
        (2, 1),
    ]
    assert selectors.register_search(user, world.neuss, gemarkung="053359", flur=4, parcel="119/2").total == 0
    assert selectors.register_search(user, world.neuss, gemarkung="053359", parcel="119").total == 0
    with pytest.raises(Problem) as no_gemarkung:
        selectors.register_search(user, world.neuss, parcel="119/2")
    assert no_gemarkung.value.extra["field"] == "gemarkung"
    with pytest.raises(InvalidKennzeichen):
        selectors.register_search(user, world.neuss, gemarkung="053359", flur=1000, parcel="119/2")


def test_search_by_gemarkung_flur_address_and_deleted_flag(world: World) -> None:
    setup = baulasten_setup(world)
    user = setup.bau_neuss
    assert _keys(selectors.register_search(user, world.neuss, gemarkung="053359")) == [(1, 1), (2, 1)]
    assert _keys(selectors.register_search(user, world.neuss, gemarkung="053359", flur=3)) == [(1, 1), (2, 1)]
    assert selectors.register_search(user, world.neuss, gemarkung="053359", flur=7).total == 0
    assert selectors.register_search(user, world.neuss, gemarkung="053351").total == 0  # only a deleted entry
    with_deleted = selectors.register_search(user, world.neuss, gemarkung="053351", include_deleted=True)
    assert _keys(with_deleted) == [(3, 1)] and with_deleted.entries[0].is_deleted
    assert _keys(selectors.register_search(user, world.neuss, address="musterstraße 14")) == [(1, 1), (2, 1)]
    assert selectors.register_search(user, world.neuss, address="Am Obertor").total == 0
    with pytest.raises(Problem) as bad:
        selectors.register_search(user, world.neuss, gemarkung="Neuss")
    assert bad.value.status_code == 400


def test_owner_search_is_staff_only_and_audited(world: World) -> None:
    setup = baulasten_setup(world)
    page = selectors.register_search(setup.bau_neuss, world.neuss, owner="mustermann")
    assert _keys(page) == [(1, 1), (2, 1)]
    audited = AuditEvent.objects.filter(
        actor=setup.bau_neuss, action=AuditEvent.Action.READ, changes__owner_search=True
    )
    assert sorted(int(e.object_id) for e in audited) == sorted([setup.setback.pk, setup.parking.pk])
    with pytest.raises(Problem) as citizen:
        selectors.register_search(world.citizen, world.neuss, owner="mustermann")
    assert citizen.value.status_code == 403


def test_full_text_matches_entries_and_scan_text_ranked(world: World) -> None:
    setup = baulasten_setup(world)
    user = setup.bau_neuss
    # German stemming on PostgreSQL, substring per word on SQLite: both find "Stellplätze".
    assert _keys(selectors.register_search(user, world.neuss, q="Stellplätze")) == [(2, 1)]
    assert _keys(selectors.register_search(user, world.neuss, q="Abstandsfläche Wohnhauses")) == [(1, 1)]
    assert selectors.register_search(user, world.neuss, q="Abwasserleitung").total == 0  # the Kreis' entry
    batch = ScanBatch.objects.create(register=setup.neuss_register, authority=world.neuss, uploaded_by=user)
    scan = ScanFile.objects.create(
        batch=batch,
        authority=world.neuss,
        original_name="blatt1.pdf",
        content_type="application/pdf",
        size=1,
        sha256="a" * 64,
        text="Handschriftlicher Vermerk: Garagenzufahrt über Hofeinfahrt",
    )
    scan.entries.add(setup.setback)
    assert _keys(selectors.register_search(user, world.neuss, q="Garagenzufahrt")) == [(1, 1)]
    # Ranking: the entry naming the word twice comes first.
    make_entry(
        register=setup.neuss_register,
        sheet=9,
        number=1,
        kind=BaulastKind.OTHER,
        text="Lärmschutzwand. Die Lärmschutzwand bleibt stehen.",
        burdened=[NEUSS_200],
    )
    make_entry(
        register=setup.neuss_register,
        sheet=8,
        number=1,
        kind=BaulastKind.OTHER,
        text="Eine Lärmschutzwand.",
        burdened=[NEUSS_200],
    )
    ranked = selectors.register_search(user, world.neuss, q="Lärmschutzwand")
    expected = [(9, 1), (8, 1)] if connection.vendor == "postgresql" else [(8, 1), (9, 1)]
    assert _keys(ranked) == expected


def test_pagination(world: World) -> None:
    setup = baulasten_setup(world)
    for sheet in range(20, 27):
        make_entry(
            register=setup.neuss_register,
            sheet=sheet,
            number=1,
            kind=BaulastKind.OTHER,
            text=f"Eintrag {sheet}",
            burdened=[NEUSS_200],
            entered_on=date(2020, 1, 1),
        )
    first = selectors.register_search(setup.bau_neuss, world.neuss, limit=4)
    second = selectors.register_search(setup.bau_neuss, world.neuss, limit=4, offset=4)
    assert first.total == second.total == 9
    assert _keys(first) == [(1, 1), (2, 1), (20, 1), (21, 1)] and first.has_next
    assert _keys(second) == [(22, 1), (23, 1), (24, 1), (25, 1)]


@pytest.mark.parametrize(
    "criteria",
    [
        {},
        {"parcel": DORMAGEN_45},
        {"parcel": JUECHEN_8},
        {"gemarkung": "053347"},
        {"gemarkung": "053224"},
        {"gemarkung": "053347", "parcel": "45"},
        {"address": "a"},
        {"owner": "Dormagener"},
        {"owner": "Jüchener"},
        {"owner": "e"},
        {"q": "Flurstücke"},
        {"q": "Abwasserleitung"},
        {"q": "Grundstück"},
        {"q": "Gemarkung"},
        {"include_deleted": True},
    ],
)
def test_neuss_staff_never_see_the_kreis_or_dormagen_entries(world: World, criteria: dict) -> None:  # type: ignore[type-arg]
    setup = baulasten_setup(world)
    foreign = {setup.dormagen_entry.pk, setup.juechen_entry.pk}
    for user in (setup.bau_neuss, world.caseworker_neuss, world.admin_neuss):
        page = selectors.register_search(user, world.neuss, **criteria)
        assert not {e.pk for e in page.entries} & foreign
        assert all(e.authority_id == world.neuss.pk for e in page.entries)
        # Asking for another authority's register as a Neuss member gives nothing at all.
        for other in (world.dormagen, world.kreis):
            assert selectors.register_search(user, other, **criteria).total == 0
