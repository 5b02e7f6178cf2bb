"""Vacancy reports through the service every channel uses: validation, current state, history,
idempotency and the alert trigger."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from amtsweg.outbox.models import OutboxMessage
from amtsweg.testing import World, run_in_threads

from ..models import CareOffer, CareType, VacancyReport
from ..services import ALERT_MATCH_KIND, ReportInvalid, ReportLine, vacancy_report_submit
from .factories import CareSetup, care_setup

pytestmark = pytest.mark.django_db

FULL, SHORT = CareType.FULL_TIME.value, CareType.SHORT_TERM.value


@pytest.fixture
def care(world: World) -> CareSetup:
    return care_setup(world)


def _submit(care: CareSetup, *lines: ReportLine, key: str = "") -> list[VacancyReport]:
    return vacancy_report_submit(
        facility=care.st_quirin, actor=care.operator_user, lines=list(lines), channel="web", request_key=key
    )


def _offer(care: CareSetup, care_type: str) -> CareOffer:
    return CareOffer.objects.get(facility=care.st_quirin, care_type=care_type)


def _alerts_queued() -> int:
    return OutboxMessage.objects.filter(kind=ALERT_MATCH_KIND).count()


@time_machine.travel("2026-11-24 09:30:00+01:00", tick=False)
def test_a_report_updates_the_offer_and_is_kept_as_history(care: CareSetup) -> None:
    tomorrow = date(2026, 11, 25)
    reports = _submit(care, ReportLine(FULL, 3, ((tomorrow, 4),)), ReportLine(SHORT, 0))
    assert [r.free_places for r in reports] == [3, 0]
    assert {r.reported_at for r in reports} == {timezone.now()}
    offer = _offer(care, FULL)
    assert (offer.free_now, offer.reported_at) == (3, timezone.now())
    assert offer.expected == [{"date": "2026-11-25", "places": 4}]
    with time_machine.travel("2026-11-25 08:00:00+01:00", tick=False):
        _submit(care, ReportLine(FULL, 1))
    assert _offer(care, FULL).free_now == 1
    assert _offer(care, FULL).expected == []  # a new report replaces the expectation
    assert _offer(care, SHORT).free_now == 0  # untouched by a report that does not name it
    history = VacancyReport.objects.filter(offer__care_type=FULL).values_list("free_places", flat=True)
    assert list(history) == [1, 3]


def test_all_full_is_a_report(care: CareSetup) -> None:
    _submit(care, ReportLine(FULL, 0), ReportLine(SHORT, 0))
    assert _offer(care, FULL).free_now == 0 and _offer(care, FULL).reported_at is not None
    assert _alerts_queued() == 0


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([ReportLine(FULL, 81)], FULL),  # over capacity (80)
        ([ReportLine(FULL, -1)], FULL),
        ([ReportLine(CareType.DAY_CARE, 1)], CareType.DAY_CARE),  # not offered here
        ([ReportLine("unbekannt", 1)], "unbekannt"),
        ([ReportLine(FULL, 1), ReportLine(FULL, 2)], "care_type"),
    ],
)
def test_invalid_lines_store_nothing(care: CareSetup, lines: list[ReportLine], field: str) -> None:
    with pytest.raises(ReportInvalid) as raised:
        _submit(care, *lines)
    assert raised.value.code == "care-report-invalid"
    assert raised.value.extra == {"field": field}
    assert not VacancyReport.objects.exists()
    assert _offer(care, FULL).free_now is None


def test_an_empty_report_is_refused(care: CareSetup) -> None:
    with pytest.raises(ReportInvalid):
        _submit(care)


@time_machine.travel("2026-11-24 09:30:00+01:00", tick=False)
@pytest.mark.parametrize(
    "expected",
    [
        ((date(2026, 11, 24), 1),),  # today is not "expected"
        ((date(2026, 11, 20), 1),),  # past
        ((date(2026, 11, 24) + timedelta(days=366), 1),),  # beyond the horizon
        ((date(2026, 12, 2), 1), (date(2026, 12, 1), 2)),  # not ascending
        ((date(2026, 12, 1), 1), (date(2026, 12, 1), 2)),  # duplicate date
        ((date(2026, 12, 1), 81),),  # over capacity
        tuple((date(2026, 12, 1) + timedelta(days=i), 1) for i in range(13)),  # too many
    ],
)
def test_invalid_expectations_store_nothing(care: CareSetup, expected: tuple[tuple[date, int], ...]) -> None:
    with pytest.raises(ReportInvalid) as raised:
        _submit(care, ReportLine(FULL, 2, expected))
    assert raised.value.extra == {"field": f"{FULL}.expected"}
    assert not VacancyReport.objects.exists()


def test_a_repeated_request_key_stores_once(care: CareSetup) -> None:
    first = _submit(care, ReportLine(FULL, 2), ReportLine(SHORT, 1), key="req-1")
    again = _submit(care, ReportLine(FULL, 2), ReportLine(SHORT, 1), key="req-1")
    assert [r.pk for r in again] == [r.pk for r in first]
    assert VacancyReport.objects.count() == 2
    _submit(care, ReportLine(FULL, 2), key="req-2")
    assert VacancyReport.objects.count() == 3


def test_alert_matching_is_queued_when_a_place_becomes_free(care: CareSetup) -> None:
    _submit(care, ReportLine(FULL, 2))  # unknown → free
    assert _alerts_queued() == 1
    _submit(care, ReportLine(FULL, 3))  # free → free: nothing new became free
    assert _alerts_queued() == 1
    _submit(care, ReportLine(FULL, 0))
    _submit(care, ReportLine(FULL, 1))  # full → free
    assert _alerts_queued() == 2
    message = OutboxMessage.objects.filter(kind=ALERT_MATCH_KIND).latest("id")
    assert message.payload == {"report_id": VacancyReport.objects.latest("id").pk}
    assert message.authority_id == care.st_quirin.authority_id


@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_store_once(threaded_world: World) -> None:
    """A client that retries while its first request is still running gets the same reports back."""
    care = care_setup(threaded_world)

    def work(_: int) -> list[int]:
        reports = vacancy_report_submit(
            facility=care.st_quirin,
            actor=care.operator_user,
            lines=[ReportLine(FULL, 2), ReportLine(SHORT, 1)],
            channel="api",
            request_key="retry-1",
        )
        return [r.pk for r in reports]

    results, errors = run_in_threads(4, work)
    assert not errors
    assert VacancyReport.objects.count() == 2
    assert all(result == results[0] for result in results)
    assert _alerts_queued() == 2
