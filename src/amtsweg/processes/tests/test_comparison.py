"""The structural comparison: name matching (with hypothesis), media breaks, hand-overs, the version
each authority uses, heat levels, and the figures attached to matched activities."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.processes.comparison import (
    compare,
    format_duration,
    heat_legend,
    heat_levels,
    heat_markers,
    match_activities,
    normalise_name,
    versions_in_use,
)
from amtsweg.processes.metrics import ActivityMetric
from amtsweg.processes.models import ProcessVersion
from amtsweg.processes.structure import Node, ProcessStructure
from amtsweg.testing import World

from .factories_comparison import DORMAGEN, REFERENCE, T0, event_case, make_version


def structure(*names: str, ids: list[str] | None = None) -> ProcessStructure:
    ids = ids or [f"T{i}" for i in range(len(names))]
    return ProcessStructure(
        process_id="p",
        nodes=[Node.model_validate({"id": "s", "type": "startEvent", "category": "event"})]
        + [
            Node.model_validate({"id": i, "name": n, "type": "userTask", "category": "task"})
            for i, n in zip(ids, names, strict=True)
        ],
    )


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Antrag prüfen", "antrag pruefen"),
        ("Antrag  Prüfen ", "ANTRAG PRÜFEN"),
        ("Straße sperren", "strasse sperren"),
        ("Antrag\nprüfen", "Antrag prüfen."),
        ("Antrag pru\u0308fen", "Antrag prüfen"),  # combining diaeresis (macOS file names, some tools)
        ("Ärztliches Attest", "aerztliches attest"),
    ],
)
def test_names_that_mean_the_same_match(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


def test_different_names_do_not_match() -> None:
    assert normalise_name("Antrag prüfen") != normalise_name("Antrag genehmigen")
    assert normalise_name("") == ""


german_names = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzäöüßABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ0123456789 -.,/()\n\t", max_size=40
)


@given(german_names)
def test_normalising_is_idempotent_and_ignores_case_and_spacing(name: str) -> None:
    once = normalise_name(name)
    assert normalise_name(once) == once
    assert normalise_name(name.upper()) == normalise_name(name.lower()) == once
    assert normalise_name(f"  {name}\t ") == once
    assert "  " not in once and once == once.strip()


@given(st.text(max_size=40))
def test_any_text_normalises_without_error(name: str) -> None:
    assert isinstance(normalise_name(name), str)


@given(
    st.lists(
        st.lists(
            st.sampled_from(["Prüfen", "pruefen", "Ausstellen", "Senden", "Archivieren", ""]), max_size=6
        ),
        min_size=1,
        max_size=4,
    )
)
def test_every_activity_lands_in_exactly_one_row(models: list[list[str]]) -> None:
    structures = [
        structure(*model, ids=[f"M{m}_{i}" for i in range(len(model))]) for m, model in enumerate(models)
    ]
    rows = match_activities(structures)
    for index, model in enumerate(structures):
        placed = [row.cells[index].node.id for row in rows if row.cells[index] is not None]  # type: ignore[union-attr]
        assert sorted(placed) == sorted(n.id for n in model.activities)
    for row in rows:
        assert len(row.cells) == len(structures)
        assert row.present >= 1


@given(st.permutations(["Prüfen", "Ausstellen", "Senden"]))
def test_matching_does_not_depend_on_the_order_within_a_model(order: list[str]) -> None:
    rows = match_activities([structure("Prüfen", "Ausstellen", "Senden"), structure(*order)])
    assert all(row.in_all for row in rows)
    assert len(rows) == 3


def test_matching_by_name_then_by_id_and_repeated_names() -> None:
    reference = structure(
        "Antrag prüfen", "Bescheinigung ausstellen", "Prüfen", "Prüfen", ids=["A", "B", "C", "D"]
    )
    variant = structure(
        "antrag pruefen", "Meldebescheinigung erstellen", "Prüfen", "Drucken", ids=["X", "B", "Y", "Z"]
    )
    rows = match_activities([reference, variant, None])
    by_label = {row.label: row for row in rows}
    # same name, different ids
    assert [c.node.id if c else None for c in by_label["Antrag prüfen"].cells] == ["A", "X", None]
    # renamed, same id: merged by id
    assert [c.node.id if c else None for c in by_label["Bescheinigung ausstellen"].cells] == ["B", "B", None]
    # the second "Prüfen" of the reference is its own row, only in the reference
    first = next(row for row in rows if row.key == "pruefen")
    assert [c.node.id if c else None for c in first.cells] == ["C", "Y", None]
    second = next(row for row in rows if row.key == "pruefen (2)")
    assert [c.node.id if c else None for c in second.cells] == ["D", None, None]
    assert not by_label["Drucken"].in_all
    assert len(rows) == 5


def test_the_primary_model_names_and_orders_the_rows() -> None:
    variant = structure("Antrag Pruefen", "Drucken", ids=["A", "D"])
    reference = structure("Antrag prüfen", "Ausstellen", ids=["A", "B"])
    rows = match_activities([variant, reference], primary=1)
    assert [row.label for row in rows] == ["Antrag prüfen", "Ausstellen", "Drucken"]
    assert [row.label for row in match_activities([variant, reference])] == [
        "Antrag Pruefen",
        "Drucken",
        "Ausstellen",
    ]


def test_heat_levels_are_quantiles_over_the_activities() -> None:
    values: dict[str, float | None] = {"a": 1.0, "b": 2.0, "c": 3.0, "d": 4.0, "e": 5.0, "f": None}
    assert heat_levels(values) == {"a": 0, "b": 1, "c": 2, "d": 3, "e": 4}
    assert heat_levels({"a": 7.0, "b": 7.0}) == {"a": 0, "b": 0}
    assert heat_levels({"a": 0.0, "b": 0.0, "c": 0.0, "d": 100.0}) == {"a": 0, "b": 0, "c": 0, "d": 3}
    assert heat_levels({}) == {}


def test_heat_markers_carry_level_and_label() -> None:
    model = structure("Prüfen", "Senden", ids=["A", "B"])
    metrics = {
        "A": ActivityMetric("A", 3, 2.5 * 86400, 3 * 86400),
        "B": ActivityMetric("B", 3, 0.0, 60.0),
        "Gone": ActivityMetric("Gone", 1, 9e9, 9e9),  # not in this version: not shown
    }
    with translation.override("de"):
        markers = heat_markers(model, metrics)
    assert markers == {"heat": {"A": {"level": 2, "label": "2,5 Tage"}, "B": {"level": 0, "label": "0 s"}}}


def test_heat_legend_names_the_range_of_each_level() -> None:
    model = structure("A", "B", "C", ids=["A", "B", "C"])
    metrics = {
        "A": ActivityMetric("A", 1, 60.0, 60.0),
        "B": ActivityMetric("B", 1, 60.0, 60.0),
        "C": ActivityMetric("C", 1, 7200.0, 7200.0),
    }
    with translation.override("de"):
        assert heat_legend(model, metrics) == ["1 min", "–", "–", "2,0 Std.", "–"]


@pytest.mark.parametrize(
    ("seconds", "german", "english_number"),
    [
        (None, "–", "–"),
        (42, "42 s", "42"),
        (600, "10 min", "10"),
        (5400, "1,5 Std.", "1.5"),
        (216000, "2,5 Tage", "2.5"),
        (50 * 3600, "2,1 Tage", "2.1"),  # rounded, not cut off (2.083 days)
    ],
)
def test_durations_read_like_people_write_them(
    seconds: float | None, german: str, english_number: str
) -> None:
    with translation.override("de"):
        assert format_duration(seconds) == german
    with translation.override("en"):  # the unit words come from the English catalogue
        assert format_duration(seconds).split(" ")[0] == english_number


def test_each_authority_uses_its_variant_else_the_reference_else_the_latest(world: World) -> None:
    service = world.town_service
    assert versions_in_use(service=service, authorities=[world.neuss])[world.neuss.pk].source == "none"
    draft_reference = make_version(service, None, REFERENCE, status=ProcessVersion.Status.DRAFT)
    assert (
        versions_in_use(service=service, authorities=[world.neuss])[world.neuss.pk].version == draft_reference
    )
    assert (
        versions_in_use(service=service, authorities=[world.neuss])[world.neuss.pk].source
        == "latest_reference"
    )
    draft_variant = make_version(service, world.dormagen, DORMAGEN, status=ProcessVersion.Status.DRAFT)
    in_use = versions_in_use(service=service, authorities=[world.neuss, world.dormagen])
    assert (in_use[world.dormagen.pk].version, in_use[world.dormagen.pk].source) == (
        draft_variant,
        "latest_variant",
    )
    reference = make_version(service, None, REFERENCE)
    in_use = versions_in_use(service=service, authorities=[world.neuss, world.dormagen])
    assert (in_use[world.neuss.pk].version, in_use[world.neuss.pk].source) == (reference, "reference")
    assert (in_use[world.dormagen.pk].version, in_use[world.dormagen.pk].source) == (reference, "reference")
    variant = make_version(service, world.dormagen, DORMAGEN)
    make_version(service, world.dormagen, DORMAGEN, status=ProcessVersion.Status.DRAFT)  # a newer draft
    in_use = versions_in_use(service=service, authorities=[world.neuss, world.dormagen])
    assert (in_use[world.dormagen.pk].version, in_use[world.dormagen.pk].source) == (variant, "variant")
    assert in_use[world.neuss.pk].version == reference


def test_compare_two_towns(world: World) -> None:
    service = world.town_service
    reference = make_version(service, None, REFERENCE)
    variant = make_version(service, world.dormagen, DORMAGEN)
    hour = timedelta(hours=1)
    for offset in (0, 2, 4):
        event_case(
            world,
            world.neuss,
            version=reference,
            submitted=T0 + offset * hour,
            tasks=[("Task_Pruefen", "user", 0 * hour, (offset + 1) * hour, (offset + 2) * hour)],
        )
    event_case(
        world,
        world.dormagen,
        version=variant,
        submitted=T0,
        tasks=[("Task_Post", "manual", hour, None, 49 * hour)],
    )

    result = compare(service=service, authorities=[world.neuss, world.dormagen, world.neuss])
    assert result.authorities == [world.neuss, world.dormagen]
    neuss, dormagen = result.columns
    assert (neuss.version.source, dormagen.version.source) == ("reference", "variant")
    assert neuss.lanes == ["Bürgerbüro"] and dormagen.lanes == ["Bürgerbüro", "Poststelle"]
    assert [n.id for n in dormagen.media_breaks] == ["Task_Drucken", "Task_Post"]
    assert [n.medium for n in dormagen.media_breaks] == ["paper", "post"]
    assert neuss.media_breaks == [] and neuss.handovers == []
    assert [n.id for n in dormagen.handovers] == ["Task_Kreis"]
    assert (neuss.activity_count, dormagen.activity_count) == (3, 5)
    assert (neuss.cases.cases, neuss.cases.finished) == (3, 3)
    assert neuss.cases.median_lead == 4 * 3600  # leads 2 h, 4 h, 6 h

    rows = {row.label: row for row in result.rows}
    pruefen = rows["Antrag prüfen"]
    assert pruefen.in_all  # "Antrag  Pruefen" in Dormagen
    assert pruefen.cells[0] is not None and pruefen.cells[0].count == 3
    assert pruefen.cells[0].median_waiting == 3 * 3600  # waited 1 h, 3 h, 5 h
    assert pruefen.cells[0].median_lead == 4 * 3600  # took 2 h, 4 h, 6 h
    assert rows["Bescheinigung ausstellen"].in_all  # renamed in Dormagen, same element id
    assert not rows["Bescheinigung versenden"].in_all
    post = rows["Per Post versenden"]
    assert post.cells[0] is None and post.cells[1] is not None
    assert post.cells[1].median_waiting == 48 * 3600 and post.cells[1].medium_label == "Post"
    assert {row.label for row in result.differing} == {
        "Bescheinigung versenden",
        "Ausdruck unterschreiben",
        "Per Post versenden",
        "An den Kreis übergeben",
    }
    assert [row.label for row in result.common] == ["Antrag prüfen", "Bescheinigung ausstellen"]


def test_compare_an_authority_without_a_model(world: World) -> None:
    result = compare(service=world.town_service, authorities=[world.neuss, world.dormagen])
    assert [c.version.source for c in result.columns] == ["none", "none"]
    assert result.rows == []
