"""One application with two parts: the citizen sees the town's case with the Kreis part under it (page
and API), the Kreis case says whose part it is, and the town's staff see the part's progress only."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client

from amtsweg.cases.models import Case
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.processes.models import Handover, ProcessTask
from amtsweg.processes.services import process_task_complete
from amtsweg.tenancy.models import Membership
from amtsweg.testing import World, make_user

from ..services_counter import CounterApplicant, counter_submit
from .factories_counter import move_answers, move_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_parts(world: World) -> tuple[Case, Case]:
    move, _vehicles = move_services(world)
    case = counter_submit(
        authority=world.neuss,
        service=move,
        applicant=CounterApplicant(existing=True, email=world.citizen.email),
        answers=move_answers(plates=["NE-AB 123", "GV-X 7E"]),
        files={},
        entry_id=uuid.uuid4(),
        actor=world.caseworker_neuss,
    ).case
    task = ProcessTask.objects.get(case=case, state="open")
    process_task_complete(task=task, data={"vollstaendig": True}, actor=world.caseworker_neuss, channel="web")
    deliver_due_messages(kinds=["processes.handover_deliver"])
    kreis_case = Handover.objects.get(case=case).receiving_case
    assert kreis_case is not None
    return case, kreis_case


def _client(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_my_applications_lists_one_application_with_its_part(world: World, two_parts) -> None:  # type: ignore[no-untyped-def]
    town_case, kreis_case = two_parts
    page = _client(world.citizen).get("/konto/antraege/").content.decode()
    assert page.count('class="card result"') == 1
    assert town_case.reference in page and kreis_case.reference in page
    assert "Adressänderung Fahrzeuge" in page and "Rhein-Kreis Neuss" in page
    body = _client(world.citizen).get("/api/v1/me/cases").json()
    rows = body["results"] if isinstance(body, dict) else body
    assert [r["reference"] for r in rows] == [town_case.reference]
    (part,) = rows[0]["parts"]
    assert (part["case"], part["case_reference"], part["status"]) == (
        kreis_case.pk,
        kreis_case.reference,
        "accepted",
    )


def test_the_case_page_shows_the_parts_and_the_part_shows_its_application(world: World, two_parts) -> None:  # type: ignore[no-untyped-def]
    town_case, kreis_case = two_parts
    citizen = _client(world.citizen)
    page = citizen.get(f"/konto/antraege/{town_case.pk}/").content.decode()
    assert "Teile des Antrags" in page and f"/konto/antraege/{kreis_case.pk}/" in page
    page = citizen.get(f"/konto/antraege/{kreis_case.pk}/").content.decode()
    assert "Teil des Antrags" in page and town_case.reference in page and "bei Neuss" in page
    detail = citizen.get(f"/api/v1/me/cases/{kreis_case.pk}").json()
    assert detail["origin"]["case_reference"] == town_case.reference and detail["parts"] == []
    detail = citizen.get(f"/api/v1/me/cases/{town_case.pk}").json()
    assert [p["case_reference"] for p in detail["parts"]] == [kreis_case.reference] and detail[
        "origin"
    ] is None


def test_another_citizen_sees_nothing_of_either_part(world: World, two_parts) -> None:  # type: ignore[no-untyped-def]
    town_case, kreis_case = two_parts
    stranger = _client(make_user("eve@example.org", kind="citizen"))
    assert stranger.get(f"/konto/antraege/{town_case.pk}/").status_code == 404
    assert stranger.get(f"/konto/antraege/{kreis_case.pk}/").status_code == 404
    assert kreis_case.reference not in stranger.get("/konto/antraege/").content.decode()


def test_town_staff_see_the_parts_progress_and_the_kreis_sees_whose_part(world: World, two_parts) -> None:  # type: ignore[no-untyped-def]
    town_case, kreis_case = two_parts
    page = (
        _client(world.caseworker_neuss)
        .get(f"/backoffice/05162024/vorgaenge/{town_case.pk}/")
        .content.decode()
    )
    assert "Teile des Antrags" in page and kreis_case.reference in page and "angenommen" in page
    # The town's staff page never opens the Kreis case itself.
    assert (
        _client(world.caseworker_neuss).get(f"/backoffice/05162000/vorgaenge/{kreis_case.pk}/").status_code
        == 404
    )
    kreis_clerk = make_user("karla@kreis.example")
    Membership.objects.create(user=kreis_clerk, authority=world.kreis)
    page = _client(kreis_clerk).get(f"/backoffice/05162000/vorgaenge/{kreis_case.pk}/").content.decode()
    assert f"Teil des Antrags {town_case.reference} bei Neuss" in page
    assert "Clara Citizen" in page  # the applicant; the household members never left the town
    assert "Paul" not in page and "Kölner Straße" not in page
