"""The team inbox page (/backoffice/<ags>/vorgaenge/): tabs, filters, sorting, paging, claim, bulk actions."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from amtsweg.cases.models import Case, Phase
from amtsweg.cases.services import case_claim, case_decide, case_move_to_team
from amtsweg.tenancy.models import Team
from amtsweg.testing import World, make_user

from . import factories

INBOX = "/backoffice/05162024/vorgaenge/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _references(html: str) -> list[str]:
    return re.findall(r'<th scope="row"><a class="inbox-table__reference" href="[^"]+">([^<]+)</a>', html)


def _get(client: Client, query: str = "") -> str:
    response = client.get(INBOX + query)
    assert response.status_code == 200
    return response.content.decode()


def test_tabs_show_team_mine_unassigned_and_all(world: World) -> None:
    nora = world.caseworker_neuss
    mine = factories.submit_case(world)
    case_claim(case=mine, actor=nora, channel="web")
    team_case = factories.submit_case(world)
    elsewhere = factories.submit_case(world)
    case_move_to_team(
        case=elsewhere,
        team=Team.objects.create(authority=world.neuss, name="Ordnungsamt"),
        actor=nora,
        channel="web",
    )
    factories.submit_case(world, authority=world.dormagen)
    client = _client(nora)

    page = _get(client)  # default: "Mein Team"
    assert 'aria-current="page">Mein Team' in page
    assert set(_references(page)) == {mine.reference, team_case.reference}
    assert set(_references(_get(client, "?ansicht=meine"))) == {mine.reference}
    assert set(_references(_get(client, "?ansicht=nicht-zugewiesen"))) == {
        team_case.reference,
        elsewhere.reference,
    }
    everything = _get(client, "?ansicht=alle")
    assert set(_references(everything)) == {mine.reference, team_case.reference, elsewhere.reference}
    assert "3 Vorgänge" in everything
    assert "05162004" not in everything and "004-" not in everything  # nothing of Dormagen


def test_someone_without_a_team_starts_on_all_cases(world: World) -> None:
    case = factories.submit_case(world)
    page = _get(_client(world.admin_neuss))
    assert 'aria-current="page">Alle Vorgänge' in page and case.reference in page
    team_tab = _get(_client(world.admin_neuss), "?ansicht=team")
    assert "keinem Team an" in team_tab


def test_filters(world: World) -> None:
    factories.notice_templates(world)
    nora = world.caseworker_neuss
    new = factories.submit_case(world)
    working = factories.submit_case(world)
    case_claim(case=working, actor=nora, channel="web")
    decided = factories.submit_case(world)
    case_decide(case=decided, decision="granted", actor=nora, channel="web")
    overdue = factories.submit_case(
        world, applicant=make_user("otto@example.org", kind="citizen", last="Otto")
    )
    Case.objects.filter(pk=overdue.pk).update(due_date=timezone.localdate() - timedelta(days=2))
    other_team = Team.objects.create(authority=world.neuss, name="Ordnungsamt")
    case_move_to_team(case=new, team=other_team, actor=nora, channel="web")
    client = _client(nora)

    def shown(query: str) -> set[str]:
        return set(_references(_get(client, "?ansicht=alle&" + query)))

    assert shown("") == {new.reference, working.reference, overdue.reference}  # open cases
    assert shown("phase=alle") == {new.reference, working.reference, overdue.reference, decided.reference}
    assert shown("phase=decided") == {decided.reference}
    assert shown("phase=alle&status=in_bearbeitung") == {working.reference}
    assert shown(f"team={other_team.pk}") == {new.reference}
    assert shown("ueberfaellig=on") == {overdue.reference}
    assert shown("suche=Otto") == {overdue.reference}
    assert shown(f"suche={working.reference}") == {working.reference}
    assert shown(f"leistung={world.town_service.pk}") == {new.reference, working.reference, overdue.reference}
    # A service Neuss does not offer is no valid choice: named as invalid and ignored.
    assert shown(f"leistung={world.kreis_service.pk}") == {
        new.reference,
        working.reference,
        overdue.reference,
    }
    assert "ungültig" in _get(client, f"?leistung={world.kreis_service.pk}")
    page = _get(client, "?ansicht=alle&ueberfaellig=on")
    assert "überschritten" in page


def test_sorting(world: World) -> None:
    cases = [factories.submit_case(world) for _ in range(3)]
    now = timezone.now()
    for index, case in enumerate(cases):
        Case.objects.filter(pk=case.pk).update(
            submitted_at=now - timedelta(days=index),
            due_date=timezone.localdate() + timedelta(days=[5, 1, 3][index]),
        )
    client = _client(world.caseworker_neuss)
    references = [c.reference for c in cases]
    assert _references(_get(client, "?sortierung=neueste")) == references
    assert _references(_get(client, "?sortierung=aelteste")) == references[::-1]
    assert _references(_get(client, "?sortierung=frist")) == [references[1], references[2], references[0]]
    case_claim(case=cases[2], actor=world.caseworker_neuss, channel="web")  # in progress comes after new
    assert _references(_get(client, "?sortierung=status")) == [references[0], references[1], references[2]]


def test_paging_through_the_inbox_with_next_and_previous_links(world: World) -> None:
    from django.core.management import call_command

    call_command("seed_cases", count=120, authority=[world.neuss.ags], years=1, stdout=None)
    client = _client(world.caseworker_neuss)
    seen: list[str] = []
    pages: list[list[str]] = []
    url = INBOX + "?ansicht=alle&phase=alle"
    while url:
        page = client.get(url).content.decode()
        pages.append(_references(page))
        seen += pages[-1]
        match = re.search(r'<a href="([^"]+)" rel="next">', page)
        url = INBOX + match.group(1).replace("&amp;", "&") if match else ""
    assert len(seen) == len(set(seen)) == 120
    assert [len(p) for p in pages] == [50, 50, 20]
    last = client.get(INBOX + "?ansicht=alle&phase=alle").content.decode()
    assert 'rel="prev"' not in last and "erste Seite" not in last
    second = re.search(r'<a href="([^"]+)" rel="next">', last)
    assert second
    page_two = client.get(INBOX + second.group(1).replace("&amp;", "&")).content.decode()
    back = re.search(r'<a href="([^"]+)" rel="prev">', page_two)
    assert back and "erste Seite" in page_two
    assert _references(client.get(INBOX + back.group(1).replace("&amp;", "&")).content.decode()) == pages[0]


def test_bad_query_values_never_break_the_page(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    page = _get(client, "?ansicht=alle&phase=kaputt&team=abc&sortierung=zufall&cursor=xyz")
    assert case.reference in page  # the invalid filters are ignored …
    assert "ungültig" in page  # … and named
    response = client.get(INBOX + "?ansicht=gibtsnicht")
    assert response.status_code == 200


def test_claim_from_the_inbox_returns_to_the_same_view(world: World) -> None:
    case = factories.submit_case(world)
    client = _client(world.caseworker_neuss)
    back = INBOX + "?ansicht=nicht-zugewiesen"
    response = client.post(f"{INBOX}{case.pk}/uebernehmen/", {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    case.refresh_from_db()
    assert case.assignee == world.caseworker_neuss and case.phase == Phase.IN_PROGRESS
    assert "Sie bearbeiten jetzt" in _get(client)
    # A colleague is too late: told so, nothing changes.
    late = _client(world.admin_neuss).post(f"{INBOX}{case.pk}/uebernehmen/", {"next": back}, follow=True)
    assert "bearbeitet den Vorgang bereits" in late.content.decode()
    assert Case.objects.get(pk=case.pk).assignee == world.caseworker_neuss


def test_claim_refuses_a_next_url_outside_the_authority(world: World) -> None:
    case = factories.submit_case(world)
    for evil in ("https://evil.example/", "//evil.example/", "/backoffice/05162004/vorgaenge/"):
        response = _client(world.caseworker_neuss).post(f"{INBOX}{case.pk}/uebernehmen/", {"next": evil})
        assert response["Location"] == f"{INBOX}{case.pk}/"


def test_bulk_actions_report_what_was_refused(world: World) -> None:
    factories.notice_templates(world)
    nora, anton = world.caseworker_neuss, world.admin_neuss
    cases = [factories.submit_case(world) for _ in range(3)]
    case_decide(case=cases[2], decision="granted", actor=nora, channel="web")
    dormagen = factories.submit_case(world, authority=world.dormagen)
    client = _client(nora)
    ids = [str(c.pk) for c in cases]

    page = client.post(
        INBOX + "sammelaktion/", {"vorgang": ids, "aktion": "mir"}, follow=True
    ).content.decode()
    assert "3 Vorgänge wurden geändert." in page
    assert set(Case.objects.filter(pk__in=ids).values_list("assignee", flat=True)) == {nora.pk}

    client.post(INBOX + "sammelaktion/", {"vorgang": ids[:1], "aktion": "zuweisen", "an": anton.pk})
    assert Case.objects.get(pk=cases[0].pk).assignee == anton

    page = client.post(
        INBOX + "sammelaktion/", {"vorgang": ids, "aktion": "status", "status": "in_bearbeitung"}, follow=True
    ).content.decode()
    assert "2 Vorgänge wurden geändert." in page
    assert f"{cases[2].reference} nicht geändert" in page
    assert Case.objects.get(pk=cases[2].pk).status == "entschieden"

    page = client.post(
        INBOX + "sammelaktion/", {"vorgang": [*ids[:2], str(dormagen.pk)], "aktion": "freigeben"}, follow=True
    ).content.decode()
    assert "2 Vorgänge wurden geändert." in page and "1 ausgewählter Vorgang wurde nicht gefunden." in page
    assert Case.objects.get(pk=dormagen.pk).events.count() == 1  # the other town's case is untouched

    page = client.post(INBOX + "sammelaktion/", {"aktion": "zuweisen"}, follow=True).content.decode()
    assert "Bitte wählen Sie Vorgänge aus." in page
    for refused in (world.caseworker_dormagen.pk, world.citizen.pk):
        response = client.post(
            INBOX + "sammelaktion/", {"vorgang": ids, "aktion": "zuweisen", "an": refused}, follow=True
        )
        assert "gültige Auswahl" in response.content.decode()  # not a colleague: not a valid choice
    assert Case.objects.get(pk=cases[1].pk).assignee is None


def test_bulk_action_cannot_decide(world: World) -> None:
    case = factories.submit_case(world)
    _client(world.caseworker_neuss).post(
        INBOX + "sammelaktion/", {"vorgang": [case.pk], "aktion": "status", "status": "entschieden"}
    )
    assert Case.objects.get(pk=case.pk).status == "eingegangen"


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?ansicht=alle",
        "?ansicht=meine",
        "?ansicht=alle&phase=alle&sortierung=status",
        "?ansicht=alle&sortierung=frist",
    ],
)
def test_inbox_query_count_does_not_grow_with_rows(world: World, query: str) -> None:
    client = _client(world.caseworker_neuss)
    for _ in range(2):
        case_claim(case=factories.submit_case(world), actor=world.caseworker_neuss, channel="web")
    client.get(INBOX)  # warm the session
    few = _queries(client, INBOX + query)
    for _ in range(8):
        case_claim(case=factories.submit_case(world), actor=world.caseworker_neuss, channel="web")
    assert _queries(client, INBOX + query) == few
    assert few <= 20


def test_inbox_query_count_in_detail(world: World, django_assert_num_queries: Any) -> None:
    """The default view's queries, for the record (the first page is one indexed range scan)."""
    client = _client(world.caseworker_neuss)
    factories.submit_case(world)
    client.get(INBOX)
    # session, user, authority (2), access ids, teams with membership, statuses, services, cases,
    # capped count, the layout's authorities and admin check, colleagues for bulk assignment
    with django_assert_num_queries(13):
        client.get(INBOX)
