"""The demo registration process (demo/data/processes/wohnsitzanmeldung.bpmn) end to end at service
level: the town confirms, only the vehicle part goes to the Kreis, the Kreis case's closing answers it,
and the town hands out the label or closes; without vehicles nothing is handed over."""

from __future__ import annotations

import uuid

import pytest

from amtsweg.cases.models import Case, Phase
from amtsweg.cases.services import case_decide
from amtsweg.identity.models import User
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.processes.models import Handover, ProcessTask
from amtsweg.processes.selectors import case_origin, case_parts
from amtsweg.processes.services import handover_reply_set, process_task_complete
from amtsweg.tenancy.models import Membership
from amtsweg.testing import World, make_user

from ..services_counter import CounterApplicant, counter_submit
from .factories_counter import move_answers, move_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def kreis_clerk(world: World):  # type: ignore[no-untyped-def]
    user = make_user("karla@kreis.example", first="Karla", last="Kreis")
    Membership.objects.create(user=user, authority=world.kreis)
    return user


def _registered(world: World, **answers) -> Case:  # type: ignore[no-untyped-def]
    move, _vehicles = move_services(world)
    case = counter_submit(
        authority=world.neuss,
        service=move,
        applicant=CounterApplicant(existing=True, email=world.citizen.email),
        answers=move_answers(**answers),
        files={},
        entry_id=uuid.uuid4(),
        actor=world.caseworker_neuss,
    ).case
    task = ProcessTask.objects.get(case=case, state="open", bpmn_id="Activity_Anmeldung_pruefen")
    process_task_complete(task=task, data={"vollstaendig": True}, actor=world.caseworker_neuss, channel="web")
    case.refresh_from_db()
    return case


def _kreis_case(case: Case) -> Case:
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 1
    received = Handover.objects.get(case=case).receiving_case
    assert received is not None
    return received


def _kreis_done(kreis_case: Case, clerk: User, data: dict[str, object]) -> None:
    case_decide(case=kreis_case, decision="granted", actor=clerk, channel="web")
    handover_reply_set(case=kreis_case, reply="2 Fahrzeuge umgeschrieben", data=data)
    task = ProcessTask.objects.get(case=kreis_case, state="open")
    process_task_complete(task=task, data={}, actor=clerk, channel="web")
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 1


def test_confirmation_hands_only_the_vehicle_part_to_the_kreis(world: World, kreis_clerk) -> None:  # type: ignore[no-untyped-def]
    case = _registered(world, plates=["NE-AB 123", "GV-X 7E"])
    assert case.decision == "granted"  # the Meldebestätigung came first: the proof that goes along
    handover = Handover.objects.get(case=case)
    assert (
        handover.to_authority == world.kreis
        and handover.to_team is not None
        and handover.to_team.name == "Zulassungsstelle"
    )
    assert set(handover.data) == {
        "familienname", "vornamen", "geburtsdatum", "einzugsdatum", "neue_strasse", "neue_hausnummer",
        "neue_plz", "neuer_ort", "bisherige_plz", "bisheriger_ort", "fahrzeuge", "aufkleber_zustellung",
        "origin",
    }  # fmt: skip
    assert "haushaltsmitglieder" not in handover.data and "bisherige_strasse" not in handover.data
    assert handover.data["origin"]["reference"] == case.reference
    assert handover.data["origin"]["decision"] == "granted"
    kreis_case = _kreis_case(case)
    assert kreis_case.applicant == world.citizen and kreis_case.submission_id is None
    origin = case_origin(kreis_case)
    assert origin is not None and origin.case_reference == case.reference


def test_label_at_the_town_office_opens_the_hand_out_task(world: World, kreis_clerk) -> None:  # type: ignore[no-untyped-def]
    case = _registered(world, plates=["NE-AB 123", "GV-X 7E"], label="buergerbuero")
    _kreis_done(_kreis_case(case), kreis_clerk, {"aufkleber_buergerbuero": True})
    task = ProcessTask.objects.get(case=case, state="open")
    assert task.bpmn_id == "Activity_Aufkleber"
    process_task_complete(
        task=task, data={"ausgehaendigt": True}, actor=world.caseworker_neuss, channel="web"
    )
    case.refresh_from_db()
    assert case.phase == Phase.CLOSED
    (part,) = case_parts(case)
    assert (part.status, part.reply) == ("completed", "2 Fahrzeuge umgeschrieben")


def test_label_by_post_closes_the_town_case_when_the_kreis_answers(world: World, kreis_clerk) -> None:  # type: ignore[no-untyped-def]
    case = _registered(world, plates=["NE-AB 123"], label="post")
    _kreis_done(_kreis_case(case), kreis_clerk, {"aufkleber_buergerbuero": False})
    case.refresh_from_db()
    assert case.phase == Phase.CLOSED
    assert not ProcessTask.objects.filter(case=case, state="open").exists()


def test_a_reply_without_label_data_is_not_an_error(world: World, kreis_clerk) -> None:  # type: ignore[no-untyped-def]
    case = _registered(world, plates=["NE-AB 123"], label="buergerbuero")
    _kreis_done(_kreis_case(case), kreis_clerk, {})
    case.refresh_from_db()
    assert case.phase == Phase.CLOSED  # the gateway's default: no hand-out task without the Kreis's word


def test_without_vehicles_nothing_is_handed_over(world: World) -> None:
    case = _registered(world)
    assert case.phase == Phase.CLOSED and not Handover.objects.exists()
