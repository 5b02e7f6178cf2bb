"""The register's writes: entries with parcels, history, optimistic lock, Löschung, search text."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .. import services_register as services
from ..flurstueck import InvalidKennzeichen
from ..models import Baulast, BaulastKind, BaulastParcel, BaulastVersion, Gemarkung, Parcel
from .factories import DORMAGEN_45, NEUSS_119_2, NEUSS_119_3, NEUSS_200, BaulastenSetup, baulasten_setup

NEW_PARCEL = "053359003002000001__"  # Neuss, Flur 3, 200/1 (not yet in the register)


def _create(setup: BaulastenSetup, **overrides: Any) -> Baulast:
    values = dict(
        register=setup.neuss_register,
        actor=setup.bau_neuss,
        channel="web",
        sheet=10,
        number=1,
        kind=BaulastKind.PARKING,
        text="Drei Stellplätze für das Vorhaben Am Obertor 3.",
        obligors="Otto Eigentümer",
        entered_on=date(2024, 2, 1),
        burdened=[NEUSS_200],
        benefiting=[NEW_PARCEL],
        file_reference="63-BL-2024-17",
    )
    values.update(overrides)
    return services.baulast_create(**values)  # type: ignore[arg-type]


def test_create_keeps_parcels_version_history_search_text_and_audit(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup, locations={NEW_PARCEL: "Am Obertor 5"})
    assert entry.version == 1 and entry.authority == world.neuss
    roles = {(link.parcel.kennzeichen, link.role) for link in entry.parcel_links.all()}
    assert roles == {(NEUSS_200, BaulastParcel.Role.BURDENED), (NEW_PARCEL, BaulastParcel.Role.BENEFITING)}
    assert Parcel.objects.get(kennzeichen=NEW_PARCEL).location == "Am Obertor 5"
    text = entry.search_text
    assert "Stellplatzbaulast" in text
    assert "Gemarkung Neuss, Flur 7, Flurstück 200" in text
    assert "Gemarkung Neuss, Flur 3, Flurstück 200/1" in text
    assert "Am Obertor 3" in text and "Am Obertor 5" in text  # the parcels' Lage
    assert "63-BL-2024-17" in text
    assert "Otto" not in text  # never the obligors
    version = entry.versions.get()
    assert (version.number, version.change, version.actor) == (1, "created", setup.bau_neuss)
    assert version.snapshot["parcels"] == [
        {"kennzeichen": NEW_PARCEL, "role": "beguenstigt"},
        {"kennzeichen": NEUSS_200, "role": "belastet"},
    ]
    event = AuditEvent.objects.get(object_id=str(entry.pk), action=AuditEvent.Action.CREATE)
    assert event.authority == world.neuss and "Otto" not in str(event.changes)


def test_sheet_and_number_are_unique_per_register(world: World) -> None:
    setup = baulasten_setup(world)
    with pytest.raises(Problem) as exc:
        _create(setup, sheet=1, number=1)
    assert (exc.value.status_code, exc.value.code) == (409, "baulasten-entry-exists")
    # The same sheet and number in another register is fine.
    other = _create(
        setup,
        register=setup.dormagen_register,
        actor=setup.bau_dormagen,
        sheet=1,
        number=2,
        burdened=[DORMAGEN_45],
        benefiting=[],
    )
    assert other.register == setup.dormagen_register


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"burdened": []}, "baulasten-parcel-missing", "burdened"),
        ({"burdened": ["053359003001190002_"]}, "flurstueck-invalid", "burdened"),
        ({"burdened": [DORMAGEN_45]}, "baulasten-parcel-elsewhere", "burdened"),
        ({"burdened": ["053999003001190002__"]}, "baulasten-gemarkung-unknown", "kennzeichen"),
        ({"benefiting": [NEUSS_200]}, "baulasten-parcel-both-roles", "benefiting"),
        ({"text": "  "}, "baulasten-entry-invalid", "text"),
        ({"kind": "garten"}, "baulasten-entry-invalid", "kind"),
        ({"entered_on": date(2999, 1, 1)}, "baulasten-entry-invalid", "entered_on"),
    ],
)
def test_invalid_entries_are_refused_with_422(world: World, overrides: dict, code: str, field: str) -> None:  # type: ignore[type-arg]
    setup = baulasten_setup(world)
    with pytest.raises(Problem) as exc:
        _create(setup, **overrides)
    assert (exc.value.status_code, exc.value.code, exc.value.extra.get("field")) == (422, code, field)
    assert not Baulast.objects.filter(sheet=10).exists()


def test_benefiting_parcel_may_lie_outside_the_area(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup, benefiting=[DORMAGEN_45])
    assert entry.parcel_links.filter(role="beguenstigt", parcel__kennzeichen=DORMAGEN_45).exists()


def test_parcel_get_or_create_validates(world: World) -> None:
    baulasten_setup(world)
    with pytest.raises(InvalidKennzeichen) as exc:
        services.parcel_get_or_create(kennzeichen="05335900300119000A__")
    assert exc.value.extra["part"] == "nenner"
    with pytest.raises(Problem) as unknown:
        services.parcel_get_or_create(kennzeichen="050001001000010001__")
    assert unknown.value.code == "baulasten-gemarkung-unknown"
    parcel = services.parcel_get_or_create(kennzeichen=f" {NEUSS_119_2} ", location="Musterstraße 12a")
    assert parcel.location == "Musterstraße 12a" and parcel.gemarkung == Gemarkung.objects.get(key="053359")


def test_update_bumps_version_records_history_and_recomputes_search_text(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup)
    updated = services.baulast_update(
        baulast=entry,
        actor=setup.bau_neuss_checker,
        channel="api",
        expected_version=1,
        text="Vier Stellplätze.",
        burdened=[NEUSS_200, NEUSS_119_3],
        benefiting=[],
    )
    assert updated.version == 2
    assert "Vier Stellplätze." in updated.search_text and "Drei" not in updated.search_text
    assert "Flurstück 119/3" in updated.search_text and "Flurstück 200/1" not in updated.search_text
    latest = updated.versions.get(number=2)
    assert (latest.change, latest.actor, latest.channel) == ("updated", setup.bau_neuss_checker, "api")
    assert latest.snapshot["text"] == "Vier Stellplätze."
    assert entry.versions.get(number=1).snapshot["text"].startswith("Drei")
    event = AuditEvent.objects.get(object_id=str(entry.pk), action=AuditEvent.Action.UPDATE)
    assert set(event.changes["fields"]) == {"text", "burdened", "benefiting"}
    # Nothing changed: no new version.
    same = services.baulast_update(
        baulast=updated, actor=setup.bau_neuss, channel="web", expected_version=2, text="Vier Stellplätze."
    )
    assert same.version == 2 and updated.versions.count() == 2


def test_stale_version_is_refused_with_409_and_changes_nothing(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup)
    services.baulast_update(
        baulast=entry, actor=setup.bau_neuss, channel="web", expected_version=1, text="A."
    )
    with pytest.raises(Problem) as exc:
        services.baulast_update(
            baulast=entry, actor=setup.bau_neuss_checker, channel="web", expected_version=1, text="B."
        )
    assert (exc.value.status_code, exc.value.code, exc.value.extra) == (
        409,
        "baulasten-version-conflict",
        {"current_version": 2},
    )
    entry.refresh_from_db()
    assert entry.text == "A." and entry.version == 2


def test_moving_to_a_taken_sheet_number_is_a_conflict(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup)
    with pytest.raises(Problem) as exc:
        services.baulast_update(
            baulast=entry, actor=setup.bau_neuss, channel="web", expected_version=1, sheet=2
        )
    assert exc.value.code == "baulasten-entry-exists"
    with pytest.raises(Problem) as unknown:
        services.baulast_update(
            baulast=entry, actor=setup.bau_neuss, channel="web", expected_version=1, authority=1
        )
    assert unknown.value.status_code == 422


def test_delete_keeps_the_entry_flagged_and_restore_undoes_it(world: World) -> None:
    setup = baulasten_setup(world)
    entry = _create(setup)
    with pytest.raises(Problem) as no_reason:
        services.baulast_delete(
            baulast=entry, actor=setup.bau_neuss, channel="web", deleted_on=date(2024, 3, 1), reason=" "
        )
    assert no_reason.value.extra["field"] == "reason"
    with pytest.raises(Problem) as too_early:
        services.baulast_delete(
            baulast=entry, actor=setup.bau_neuss, channel="web", deleted_on=date(2020, 1, 1), reason="x"
        )
    assert too_early.value.extra["field"] == "deleted_on"
    deleted = services.baulast_delete(
        baulast=entry, actor=setup.bau_neuss, channel="web", deleted_on=date(2024, 3, 1), reason="Verzicht"
    )
    assert deleted.is_deleted and deleted.version == 2 and Baulast.objects.filter(pk=entry.pk).exists()
    with pytest.raises(Problem) as edit_deleted:
        services.baulast_update(
            baulast=deleted, actor=setup.bau_neuss, channel="web", expected_version=2, text="x"
        )
    assert edit_deleted.value.code == "baulasten-entry-deleted"
    with pytest.raises(Problem) as twice:
        services.baulast_delete(
            baulast=deleted, actor=setup.bau_neuss, channel="web", deleted_on=date(2024, 3, 1), reason="x"
        )
    assert twice.value.status_code == 409
    restored = services.baulast_restore(baulast=deleted, actor=setup.bau_neuss_checker, channel="web")
    assert not restored.is_deleted and restored.deletion_reason == "" and restored.version == 3
    changes = list(restored.versions.order_by("number").values_list("change", flat=True))
    assert changes == [
        BaulastVersion.Change.CREATED,
        BaulastVersion.Change.DELETED,
        BaulastVersion.Change.RESTORED,
    ]
    assert restored.versions.get(number=2).snapshot["deletion_reason"] == "Verzicht"
    with pytest.raises(Problem):
        services.baulast_restore(baulast=restored, actor=setup.bau_neuss, channel="web")
