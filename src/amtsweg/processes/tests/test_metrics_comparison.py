"""Medians of waiting and lead times from the event log, computed by hand, on the database under test
and on the other code path (Python medians), which must give identical results."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection

from amtsweg.cases.models import Case, Phase
from amtsweg.processes import metrics
from amtsweg.processes.metrics import ActivityMetric, CaseMetric, activity_metrics, case_metrics
from amtsweg.processes.models import ProcessTask
from amtsweg.testing import World

from .factories_comparison import T0, event_case

H = timedelta(hours=1)
MIN = timedelta(minutes=1)
USER, SERVICE, GATEWAY, HANDOVER = "user", "service", "gateway", "handover"


@pytest.fixture
def event_log(world: World) -> World:
    """Three finished cases in Neuss, one running, one in Dormagen, with hand-computable times."""
    # Case 1: Pruefen waited 1 h (claimed), took 3 h; Versenden automatic 1 min; lead 5 h.
    event_case(
        world,
        world.neuss,
        submitted=T0,
        tasks=[
            ("Start", "event", 0 * H, None, 0 * H),
            ("Pruefen", USER, 0 * H, 1 * H, 3 * H),
            ("Gateway", GATEWAY, 3 * H, None, 3 * H),
            ("Versenden", SERVICE, 4 * H, None, 4 * H + MIN),
            ("Uebergabe", HANDOVER, 4 * H, None, 5 * H),  # never claimed: waiting = lead
        ],
    )
    # Case 2: Pruefen waited 2 h, took 7 h; ran twice (rework): second run waited 30 min, took 1 h.
    event_case(
        world,
        world.neuss,
        submitted=T0 + 24 * H,
        tasks=[
            ("Pruefen", USER, 0 * H, 2 * H, 7 * H),
            ("Pruefen", USER, 8 * H, 8 * H + 30 * MIN, 9 * H),
            ("Versenden", SERVICE, 9 * H, None, 9 * H + 3 * MIN),
        ],
    )
    # Case 3: Pruefen never claimed: waiting = lead = 10 h; Versenden cancelled (does not count).
    event_case(
        world,
        world.neuss,
        submitted=T0 + 48 * H,
        tasks=[("Pruefen", USER, 1 * H, None, 11 * H)],
    )
    ProcessTask.objects.create(
        case=Case.objects.filter(authority=world.neuss).latest("submitted_at"),
        authority=world.neuss,
        service=world.town_service,
        bpmn_id="Versenden",
        kind=SERVICE,
        state=ProcessTask.State.CANCELLED,
        created_at=T0 + 60 * H,
        completed_at=T0 + 61 * H,
    )
    # Case 4: still running; its completed Pruefen counts, its open task and its lead time do not.
    event_case(
        world,
        world.neuss,
        submitted=T0 + 72 * H,
        finished=False,
        tasks=[("Pruefen", USER, 0 * H, 0 * H, 4 * H), ("Versenden", SERVICE, 4 * H, None, None)],
    )
    # Dormagen: one finished case without task rows, decided after 30 h.
    case = event_case(world, world.dormagen, submitted=T0, tasks=[])
    Case.objects.filter(pk=case.pk).update(decided_at=T0 + 30 * H, phase=Phase.DECIDED)
    return world


def expected_activities(world: World) -> dict[int, dict[str, ActivityMetric]]:
    hours = 3600.0
    return {
        world.neuss.pk: {
            # waiting: 1, 2, 0.5, 10, 0 h -> median 1 h; lead: 3, 7, 1, 10, 4 h -> median 4 h
            "Pruefen": ActivityMetric("Pruefen", 5, 1 * hours, 4 * hours),
            # automatic: waiting 0; lead: 1 min and 3 min -> median 2 min
            "Versenden": ActivityMetric("Versenden", 2, 0.0, 120.0),
            "Uebergabe": ActivityMetric("Uebergabe", 1, 1 * hours, 1 * hours),
        },
        world.dormagen.pk: {},
    }


def expected_cases(world: World) -> dict[int, CaseMetric]:
    # Neuss: leads 5 h, 9 h 3 min, 11 h -> median 9 h 3 min; the running case counts, not its lead.
    return {
        world.neuss.pk: CaseMetric(world.neuss.pk, cases=4, finished=3, median_lead=9 * 3600.0 + 180),
        world.dormagen.pk: CaseMetric(world.dormagen.pk, cases=1, finished=1, median_lead=30 * 3600.0),
    }


def test_activity_metrics_match_hand_computed_medians(event_log: World) -> None:
    world = event_log
    result = activity_metrics(service=world.town_service, authorities=[world.neuss, world.dormagen])
    assert result == expected_activities(world)


def test_case_metrics_match_hand_computed_medians(event_log: World) -> None:
    world = event_log
    result = case_metrics(service=world.town_service, authorities=[world.neuss.pk, world.dormagen.pk])
    assert result == expected_cases(world)


def test_python_path_gives_identical_results(event_log: World) -> None:
    """On PostgreSQL, the Python medians over the same rows equal the database's (on SQLite the Python
    path is the only one, and the hand-computed tests above check it)."""
    if connection.vendor != "postgresql":
        pytest.skip("compares the PostgreSQL aggregation with the Python path")
    world = event_log
    authorities = [world.neuss, world.dormagen]
    native = (
        activity_metrics(service=world.town_service, authorities=authorities),
        case_metrics(service=world.town_service, authorities=authorities),
    )
    with mock.patch.object(metrics, "_postgres", return_value=False):
        python = (
            activity_metrics(service=world.town_service, authorities=authorities),
            case_metrics(service=world.town_service, authorities=authorities),
        )
    assert python == native == (expected_activities(world), expected_cases(world))


def test_sub_second_and_odd_microseconds_agree_between_paths(world: World) -> None:
    """Medians of an even count are the mean of the middle two, to the microsecond on both paths."""
    micro = timedelta(microseconds=1)
    for offset in (1, 4, 7, 10):
        event_case(
            world, world.neuss, submitted=T0, tasks=[("A", USER, 0 * H, None, offset * 333_333 * micro)]
        )
    result = activity_metrics(service=world.town_service, authorities=[world.neuss])[world.neuss.pk]["A"]
    assert result.median_lead == (4 + 7) * 333_333 / 2 / 1_000_000
    if connection.vendor == "postgresql":
        with mock.patch.object(metrics, "_postgres", return_value=False):
            assert (
                activity_metrics(service=world.town_service, authorities=[world.neuss])[world.neuss.pk]["A"]
                == result
            )


def test_other_services_and_authorities_are_not_counted(event_log: World) -> None:
    world = event_log
    assert activity_metrics(service=world.kreis_service, authorities=[world.neuss]) == {world.neuss.pk: {}}
    only_dormagen = activity_metrics(service=world.town_service, authorities=[world.dormagen])
    assert only_dormagen == {world.dormagen.pk: {}}
    assert activity_metrics(service=world.town_service, authorities=[]) == {}
    assert case_metrics(service=world.town_service, authorities=[world.kreis]) == {
        world.kreis.pk: CaseMetric(world.kreis.pk, cases=0, finished=0, median_lead=None)
    }


def test_one_query_per_figure_on_postgresql(event_log: World, django_assert_max_num_queries: object) -> None:
    world = event_log
    with django_assert_max_num_queries(1):  # type: ignore[operator]
        activity_metrics(service=world.town_service, authorities=[world.neuss, world.dormagen])
    if connection.vendor == "postgresql":
        with django_assert_max_num_queries(1):  # type: ignore[operator]
            case_metrics(service=world.town_service, authorities=[world.neuss, world.dormagen])
