"""A case's process through the service layer: tasks, gateways, information request and the citizen's
answer (message), hand-over to the Kreis and its answer, notice, completion."""

from __future__ import annotations

import pytest

from amtsweg.cases.models import Case, CaseEvent, InformationRequest, Phase
from amtsweg.cases.services import information_request_answer
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.tenancy.models import Membership, Team
from amtsweg.testing import World, make_user

from ..models import Handover, ProcessInstance, ProcessTask, ProcessTimer
from ..services import InvalidTaskData, TaskNotOpen, handover_answer, process_task_complete
from .factories import model, publish_model, running_case

pytestmark = pytest.mark.django_db


def open_tasks(case: Case) -> list[ProcessTask]:
    return list(
        ProcessTask.objects.filter(case=case, state__in=["open", "waiting"]).order_by("created_at", "bpmn_id")
    )


def one_open(case: Case, bpmn_id: str) -> ProcessTask:
    return ProcessTask.objects.get(case=case, bpmn_id=bpmn_id, state="open")


@pytest.fixture
def kreis_caseworker(world: World):  # type: ignore[no-untyped-def]
    user = make_user("karla@kreis.example", first="Karla", last="Kreis")
    Membership.objects.create(user=user, authority=world.kreis)
    return user


def test_case_runs_through_the_whole_model(world: World, kreis_caseworker: User) -> None:
    from amtsweg.cases.tests.factories import notice_templates

    notice_templates(world)
    Team.objects.create(authority=world.neuss, name="Bürgerbüro")
    publish_model(world, model("review.bpmn"), filename="review.bpmn")
    case = running_case(world)
    instance = ProcessInstance.objects.get(case=case)
    assert instance.status == "running"
    task = one_open(case, "pruefen")
    assert task.team is not None and task.team.name == "Bürgerbüro"
    case.refresh_from_db()
    assert case.team_id == task.team_id  # the case is in the lane's team inbox
    assert task.due_at is not None  # the escalation timer is its deadline

    # incomplete → information request, the process waits for the citizen's answer or 14 days
    process_task_complete(
        task=task, data={"vollstaendig": "false"}, actor=world.caseworker_neuss, channel="api"
    )
    case.refresh_from_db()
    assert case.phase == Phase.WAITING
    request = InformationRequest.objects.get(case=case)
    assert "eb" in {t.bpmn_id for t in open_tasks(case)}  # the event-based gateway waits
    assert ProcessTimer.objects.filter(instance__case=case, bpmn_id="eb", fired_at__isnull=True).exists()
    information_request_answer(
        request=request, answer="anbei", documents=[], actor=world.citizen, channel="web"
    )
    task = one_open(case, "pruefen")  # back to the review, a new task

    # complete and dangerous → hand-over to the Kreis with only the named answer
    process_task_complete(
        task=task,
        data={"vollstaendig": "on", "gefaehrlich": "on"},
        actor=world.caseworker_neuss,
        channel="web",
    )
    handover = Handover.objects.get(case=case)
    assert handover.to_authority == world.kreis
    assert handover.data == {"remark": "Für den Arbeitgeber"}
    assert ProcessTask.objects.get(pk=handover.task_id).state == "waiting"
    with pytest.raises(Problem, match="Not allowed"):
        handover_answer(
            handover=handover, status="completed", reply="", actor=world.caseworker_dormagen, channel="web"
        )
    handover_answer(
        handover=handover, status="completed", reply="Keine Bedenken", actor=kreis_caseworker, channel="web"
    )
    assert CaseEvent.objects.filter(case=case, kind="handover").exists()

    task = one_open(case, "entscheiden")
    with pytest.raises(InvalidTaskData) as bad:
        process_task_complete(
            task=task, data={"entscheidung": "vielleicht"}, actor=world.caseworker_neuss, channel="web"
        )
    assert "entscheidung" in bad.value.extra["errors"]
    process_task_complete(
        task=task, data={"entscheidung": "granted"}, actor=world.caseworker_neuss, channel="web"
    )
    case.refresh_from_db()
    assert case.decision == "granted"
    assert Notice.objects.filter(case=case).exists()
    instance.refresh_from_db()
    assert instance.status == "completed"
    assert not open_tasks(case) or {t.bpmn_id for t in open_tasks(case)} <= {"mahnung"}
    path = list(ProcessTask.objects.filter(case=case, state="completed").values_list("bpmn_id", flat=True))
    for step in (
        "start",
        "pruefen",
        "gw_complete",
        "nachfordern",
        "antwort",
        "uebergabe",
        "entscheiden",
        "bescheid",
        "end",
    ):
        assert step in path
    with pytest.raises(TaskNotOpen):
        process_task_complete(
            task=task, data={"entscheidung": "granted"}, actor=world.caseworker_neuss, channel="web"
        )


def test_failure_in_a_step_changes_nothing(world: World) -> None:
    # No notice templates: issuing the notice fails inside the step, after the user task completed.
    publish_model(world, model("review.bpmn"), filename="review.bpmn")
    case = running_case(world)
    task = one_open(case, "pruefen")
    process_task_complete(task=task, data={"vollstaendig": "on"}, actor=world.caseworker_neuss, channel="web")
    task = one_open(case, "entscheiden")
    instance = ProcessInstance.objects.get(case=case)
    before = (
        instance.revision,
        instance.state,
        ProcessTask.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
    )
    with pytest.raises(Problem, match="notice template"):
        process_task_complete(
            task=task, data={"entscheidung": "granted"}, actor=world.caseworker_neuss, channel="web"
        )
    instance.refresh_from_db()
    after = (
        instance.revision,
        instance.state,
        ProcessTask.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
    )
    assert after == before
    assert one_open(case, "entscheiden").pk == task.pk


def test_timer_escalation_with_a_frozen_clock(world: World) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from ..services import process_timers_fire

    Team.objects.create(authority=world.neuss, name="Teamleitung")
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        publish_model(world, model("review.bpmn"), filename="review.bpmn")
        case = running_case(world)
        timer = ProcessTimer.objects.get(instance__case=case, bpmn_id="mahnung")
        assert abs((timer.due_at - (start + timedelta(days=5))).total_seconds()) < 2
    with time_machine.travel(start + timedelta(days=4, hours=23), tick=False):
        assert process_timers_fire() == 0
        assert not ProcessTask.objects.filter(case=case, bpmn_id="eskalation").exists()
    with time_machine.travel(start + timedelta(days=5, minutes=1), tick=False):
        assert process_timers_fire() == 1
        escalation = one_open(case, "eskalation")
        assert escalation.team is not None and escalation.team.name == "Teamleitung"
        assert one_open(case, "pruefen")  # non-interrupting: the review stays open
        assert process_timers_fire() == 0  # fired once
    timer.refresh_from_db()
    assert timer.fired_at is not None


def test_handover_shows_the_receiver_only_the_named_data(world: World, kreis_caseworker: User) -> None:
    from django.test import Client

    publish_model(world, model("review.bpmn"), filename="review.bpmn")
    case = running_case(world)
    process_task_complete(
        task=one_open(case, "pruefen"),
        data={"vollstaendig": "on", "gefaehrlich": "on"},
        actor=world.caseworker_neuss,
        channel="web",
    )
    handover = Handover.objects.get(case=case)
    kreis = Client()
    kreis.force_login(kreis_caseworker)
    listed = kreis.get("/api/v1/staff/handovers").json()
    assert [h["id"] for h in listed] == [str(handover.pk)]
    detail = kreis.get(f"/api/v1/staff/handovers/{handover.pk}").json()
    assert detail["data"] == {"remark": "Für den Arbeitgeber"}
    assert "given_name" not in str(detail)
    assert kreis.get(f"/api/v1/staff/cases/{case.pk}").status_code == 404
    assert kreis.get(f"/api/v1/staff/tasks/{handover.task_id}").status_code == 404
    dormagen = Client()
    dormagen.force_login(world.caseworker_dormagen)
    assert dormagen.get(f"/api/v1/staff/handovers/{handover.pk}").status_code == 404
    assert (
        dormagen.post(f"/api/v1/staff/handovers/{handover.pk}/answer", {"status": "completed"}).status_code
        == 404
    )
    answered = kreis.post(
        f"/api/v1/staff/handovers/{handover.pk}/answer",
        {"status": "completed", "reply": "Keine Bedenken"},
        content_type="application/json",
    )
    assert answered.status_code == 200
    assert one_open(case, "entscheiden")  # the sender's process went on
    again = kreis.post(
        f"/api/v1/staff/handovers/{handover.pk}/answer",
        {"status": "declined"},
        content_type="application/json",
    )
    assert again.status_code == 409
