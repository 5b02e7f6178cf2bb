"""The inbox selector against an oracle: every filter, sort and page size pages through exactly the
matching cases in the right order, forwards and backwards, including ties and missing due dates.

The data comes from ``seed_cases`` (the bench's seeding command), then gets ties and a second team.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsweg.cases.models import OPEN_PHASES, Case, Phase, ReferenceCounter
from amtsweg.cases.selectors import (
    COUNT_CAP,
    PHASE_ORDER,
    InboxFilter,
    InboxSort,
    InboxView,
    InvalidCursor,
    inbox_page,
)
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Team
from amtsweg.testing import World

from . import factories

TODAY = date(2026, 6, 15)


@pytest.fixture
def inbox_world(world: World) -> World:
    """90 Neuss cases and 10 Dormagen cases with ties in every sort key, two Neuss teams."""
    factories.ensure_default_status_model()
    call_command("seed_cases", count=90, authority=[world.neuss.ags], years=2, seed=7, stdout=StringIO())
    call_command("seed_cases", count=10, authority=[world.dormagen.ags], years=2, seed=8, stdout=StringIO())
    cases = list(Case.objects.filter(authority=world.neuss).order_by("pk"))
    second = Team.objects.create(authority=world.neuss, name="Ordnungsamt")
    second.members.add(world.caseworker_neuss)
    same_time = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    phases = list(PHASE_ORDER)
    for index, case in enumerate(cases):
        case.phase = phases[index % 5]
        case.status = {"new": "eingegangen", "in_progress": "in_bearbeitung", "waiting": "rueckfrage",
                       "decided": "entschieden", "closed": "abgeschlossen"}[case.phase]  # fmt: skip
        case.team = second if index % 3 == 0 else case.team
        case.assignee = (
            world.caseworker_neuss if index % 4 == 0 else None if index % 4 == 1 else case.assignee
        )
        if index % 7 == 0:
            case.submitted_at = same_time  # ties on the received time
        case.due_date = None if index % 5 == 1 else TODAY + timedelta(days=(index % 6) - 3)
    Case.objects.bulk_update(cases, ["phase", "status", "team", "assignee", "submitted_at", "due_date"])
    return world


def _matches(case: Case, filters: InboxFilter, user: User, teams: set[int]) -> bool:
    named: dict[str, set[str]] = {"open": {str(p) for p in OPEN_PHASES}, "all": set(PHASE_ORDER)}
    phases = named.get(filters.phase, {filters.phase})
    return (
        case.phase in phases
        and (not filters.status or case.status == filters.status)
        and (filters.view != InboxView.TEAM or case.team_id in teams)
        and (filters.view != InboxView.MINE or case.assignee_id == user.pk)
        and (filters.view != InboxView.UNASSIGNED or case.assignee_id is None)
        and (filters.team_id is None or case.team_id == filters.team_id)
        and (not filters.overdue or (case.due_date is not None and case.due_date < TODAY))
        and (
            not filters.text
            or filters.text.lower() in case.applicant_name.lower()
            or filters.text.lower() in case.title.lower()
        )
    )


SORT_ORACLE: dict[InboxSort, Callable[[Case], Any]] = {
    InboxSort.NEWEST: lambda c: (-c.submitted_at.timestamp(), -c.pk),
    InboxSort.OLDEST: lambda c: (c.submitted_at.timestamp(), c.pk),
    InboxSort.DUE: lambda c: (c.due_date is None, c.due_date or date.min, c.pk),
    InboxSort.STATUS: lambda c: (PHASE_ORDER.index(c.phase), -c.submitted_at.timestamp(), -c.pk),
}


def _walk(user: User, filters: InboxFilter, limit: int) -> tuple[list[int], list[list[int]]]:
    """All ids page by page following ``next``; returns them and the pages."""
    pages: list[list[int]] = []
    cursor = None
    while True:
        page = inbox_page(user=user, filters=filters, cursor=cursor, limit=limit, today=TODAY)
        pages.append([c.pk for c in page.cases])
        assert len(pages) < 200, "pagination does not end"
        if not page.next_cursor:
            return [pk for p in pages for pk in p], pages
        assert len(page.cases) == limit  # only the last page is short
        cursor = page.next_cursor


filters_strategy = st.builds(
    InboxFilter,
    view=st.sampled_from(list(InboxView)),
    phase=st.sampled_from(["open", "all", *PHASE_ORDER]),
    status=st.sampled_from(["", "", "in_bearbeitung", "abgeschlossen"]),
    team_id=st.none(),
    overdue=st.booleans(),
    # A text search runs as one sorted query instead of merged ranges: both paths are checked.
    text=st.sampled_from(["", "", "", "Meldebescheinigung", "mann"]),
    sort=st.sampled_from(list(InboxSort)),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(filters=filters_strategy, limit=st.sampled_from([1, 4, 7, 50]))
def test_pages_cover_exactly_the_matching_cases_in_order(
    inbox_world: World, filters: InboxFilter, limit: int
) -> None:
    user = inbox_world.caseworker_neuss
    teams = set(Team.objects.filter(members=user).values_list("pk", flat=True))
    everything = Case.objects.filter(authority=inbox_world.neuss)
    expected = sorted(
        (c for c in everything if _matches(c, filters, user, teams)), key=SORT_ORACLE[filters.sort]
    )
    ids, pages = _walk(user, filters, limit)
    assert ids == [c.pk for c in expected]
    first = inbox_page(user=user, filters=filters, limit=limit, today=TODAY)
    assert first.count == len(expected) and not first.count_capped
    assert first.previous_cursor is None

    # Backwards from the last page gives the same pages in reverse.
    if len(pages) > 1:
        page = inbox_page(
            user=user, filters=filters, limit=limit, today=TODAY, cursor=_last_cursor(user, filters, limit)
        )
        back = [[c.pk for c in page.cases]]
        while page.previous_cursor:
            page = inbox_page(
                user=user, filters=filters, limit=limit, today=TODAY, cursor=page.previous_cursor
            )
            back.append([c.pk for c in page.cases])
        assert back[::-1] == pages


def _last_cursor(user: User, filters: InboxFilter, limit: int) -> str:
    cursor: str | None = None
    previous: str | None = None
    while True:
        page = inbox_page(user=user, filters=filters, cursor=cursor, limit=limit, today=TODAY)
        if not page.next_cursor:
            assert previous is not None
            return previous
        previous, cursor = page.next_cursor, page.next_cursor


def test_staff_see_only_their_authoritys_cases(inbox_world: World) -> None:
    everything = InboxFilter(view=InboxView.ALL, phase="all")
    dirk = inbox_page(user=inbox_world.caseworker_dormagen, filters=everything, limit=200)
    assert {c.authority_id for c in dirk.cases} == {inbox_world.dormagen.pk} and dirk.count == 10
    # Asking for another town's inbox gives nothing, not an error.
    assert (
        inbox_page(
            user=inbox_world.caseworker_dormagen, filters=everything, authorities=[inbox_world.neuss]
        ).count
        == 0
    )
    assert inbox_page(user=inbox_world.citizen, filters=everything).count == 0
    # The alliance administrator sees both towns, merged in one order.
    kai = inbox_page(user=inbox_world.kreis_admin, filters=everything, limit=200)
    assert kai.count == 100
    received = [c.submitted_at for c in kai.cases]
    assert received == sorted(received, reverse=True)


def test_team_filter_in_the_team_view_is_limited_to_own_teams(inbox_world: World) -> None:
    user = inbox_world.caseworker_dormagen
    neuss_team = Team.objects.filter(authority=inbox_world.neuss).first()
    assert neuss_team is not None
    page = inbox_page(user=user, filters=InboxFilter(view=InboxView.ALL, phase="all", team_id=neuss_team.pk))
    assert page.cases == []


def test_count_is_capped(inbox_world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from amtsweg.cases import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 10)
    page = inbox_page(user=inbox_world.caseworker_neuss, filters=InboxFilter(phase="all"), limit=5)
    assert (page.count, page.count_capped) == (10, True)
    assert COUNT_CAP == 1000


@pytest.mark.parametrize(
    "cursor",
    ["nonsense", "eyJzIjoibmV3ZXN0In0", "e30", "eyJzIjoiZHVlIiwiZCI6ImEiLCJrIjpbbnVsbCwxXX0"],
)
def test_a_tampered_cursor_is_a_clear_error(inbox_world: World, cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        inbox_page(user=inbox_world.caseworker_neuss, filters=InboxFilter(), cursor=cursor)


def test_a_cursor_of_another_sort_order_is_refused(inbox_world: World) -> None:
    user = inbox_world.caseworker_neuss
    page = inbox_page(user=user, filters=InboxFilter(phase="all"), limit=5)
    assert page.next_cursor
    with pytest.raises(InvalidCursor):
        inbox_page(user=user, filters=InboxFilter(phase="all", sort=InboxSort.DUE), cursor=page.next_cursor)


def test_text_search_finds_reference_name_and_title(world: World, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    case = factories.submit_case(world)
    other = factories.submit_case(world, applicant=_citizen("Bert", "Beispiel"))
    user = world.caseworker_neuss

    def found(text: str) -> set[int]:
        return {c.pk for c in inbox_page(user=user, filters=InboxFilter(text=text)).cases}

    assert found(case.reference) == {case.pk}
    assert found(f"{case.year}-{case.number}") == {case.pk}  # without the town prefix and zeros
    assert found("beispiel") == {other.pk}
    assert found("Meldebescheinigung") == {case.pk, other.pk}
    assert found("Niemand") == set()


def _citizen(first: str, last: str) -> User:
    from amtsweg.testing import make_user

    return make_user(f"{first.lower()}@example.org", kind="citizen", first=first, last=last)


def test_seed_cases_continues_the_number_range_without_gaps(
    world: World, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    first = factories.submit_case(world)
    year = first.year
    out = StringIO()
    call_command("seed_cases", count=40, authority=[world.neuss.ags], years=1, stdout=out)
    assert "40 Vorgänge" in out.getvalue()
    cases = Case.objects.filter(authority=world.neuss, year=year)
    numbers = sorted(n or 0 for n in cases.values_list("number", flat=True))
    assert numbers == list(range(1, 42))
    assert ReferenceCounter.objects.get(authority=world.neuss, year=year).last == len(numbers)
    after = factories.submit_case(world)
    assert after.number == len(numbers) + 1
    seeded = Case.objects.filter(authority=world.neuss, submission__isnull=True)
    assert seeded.count() == 40
    assert set(seeded.values_list("phase", flat=True)) <= set(Phase.values)
    assert all(c.reference == f"024-{c.year}-{c.number:06d}" for c in seeded)


def test_seed_cases_refuses_unknown_authority(world: World) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="99999999"):
        call_command("seed_cases", count=1, authority=["99999999"], stdout=StringIO())
