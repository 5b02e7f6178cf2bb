"""A hand-over worked as a case of its own at the receiving authority (one application, two parts):
delivery by the worker exactly once, only the named answers, the receiving case's result answering
the sender's process, and a crash at any point losing nothing and doubling nothing."""

from __future__ import annotations

import re

import pytest

from amtsweg.cases.models import Case, CaseEvent, Phase
from amtsweg.cases.services import case_decide
from amtsweg.cases.tests.factories import notice_templates
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.outbox.models import OutboxMessage
from amtsweg.outbox.testing import deliver_due_messages
from amtsweg.tenancy.models import Membership
from amtsweg.testing import World, make_user

from ..models import Handover, ProcessInstance, ProcessTask
from ..selectors import case_origin, case_parts
from ..services import (
    handover_answer,
    handover_deliver,
    handover_reply_set,
    process_task_complete,
    process_version_import,
    process_version_publish,
)
from .factories import model, running_case

pytestmark = pytest.mark.django_db


def with_diagram(xml: str, process_id: str) -> bytes:
    """The model with a minimal diagram (one shape per flow node), as a modelling tool saves it."""
    nodes = re.findall(
        r'<bpmn:(?:startEvent|endEvent|userTask|serviceTask|exclusiveGateway) id="([^"]+)"', xml
    )
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{node}_di" bpmnElement="{node}">'
        f'<dc:Bounds x="{100 + 150 * i}" y="100" width="100" height="80" /></bpmndi:BPMNShape>'
        for i, node in enumerate(nodes)
    )
    diagram = (
        f'<bpmndi:BPMNDiagram id="diagram"><bpmndi:BPMNPlane id="plane" bpmnElement="{process_id}">'
        f"{shapes}</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>"
    )
    return xml.replace("</bpmn:definitions>", diagram + "</bpmn:definitions>").encode()


def sender_model(service_key: str) -> bytes:
    """The town's model: check, hand the vehicles to the Kreis as a case of its own, then (if the
    label comes to the town office) hand it out, close."""
    return with_diagram(model("handover_sender.bpmn").decode().replace("SERVICE_KEY", service_key), "sender")


RECEIVER = with_diagram(model("handover_receiver.bpmn").decode(), "receiver")


@pytest.fixture
def kreis_caseworker(world: World):  # type: ignore[no-untyped-def]
    user = make_user("karla@kreis.example", first="Karla", last="Kreis")
    Membership.objects.create(user=user, authority=world.kreis)
    return user


@pytest.fixture
def handed_over(world: World) -> Case:
    """A Neuss case whose process has just handed its vehicle part to the Kreis."""
    for service, xml in (
        (world.town_service, sender_model(world.kreis_service.leika_key)),
        (world.kreis_service, RECEIVER),
    ):
        version = process_version_import(
            service=service, authority=None, xml=xml, filename="m.bpmn", actor=None, supporting=[]
        )
        assert version.executable, version.execution_problems
        process_version_publish(version=version, actor=None)
    NoticeTemplate.objects.create(
        service=world.kreis_service,
        authority=None,
        decision="granted",
        subject="Adressänderung",
        body="Erledigt.",
        legal_remedy="Klage",
        fee_lines=[],
    )
    NoticeTemplate.objects.create(
        service=world.kreis_service,
        authority=None,
        decision="rejected",
        subject="Ablehnung",
        body="Abgelehnt.",
        legal_remedy="Klage",
        fee_lines=[],
    )
    case = running_case(world)
    task = ProcessTask.objects.get(case=case, bpmn_id="pruefen", state="open")
    process_task_complete(task=task, data={}, actor=world.caseworker_neuss, channel="web")
    return case


def receiving(case: Case) -> Case:
    handover = Handover.objects.get(case=case)
    assert handover.receiving_case is not None
    return handover.receiving_case


def test_the_worker_opens_exactly_one_case_with_only_the_named_answers(
    world: World, handed_over: Case
) -> None:
    handover = Handover.objects.get(case=handed_over)
    assert handover.receiving_case is None  # not in the town's transaction: the worker delivers it
    assert OutboxMessage.objects.filter(kind="processes.handover_deliver").count() == 1
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 1
    kreis_case = receiving(handed_over)
    assert kreis_case.authority == world.kreis
    assert kreis_case.service == world.kreis_service
    assert kreis_case.applicant == world.citizen
    assert kreis_case.submission is None
    assert kreis_case.team is not None and kreis_case.team.name == "Zulassungsstelle"
    assert kreis_case.reference.startswith("000-")  # numbered at the Kreis
    handover.refresh_from_db()
    assert handover.status == "accepted" and handover.delivered_at is not None
    # only the named answer and the town's confirmation reach the Kreis, as its process variables
    assert set(handover.data) == {"remark", "origin"}
    assert handover.data["origin"]["reference"] == handed_over.reference
    instance = ProcessInstance.objects.get(case=kreis_case)
    assert ProcessTask.objects.get(instance=instance, bpmn_id="bearbeiten").state == "open"
    # a second delivery (a retry, a duplicate message) changes nothing
    assert handover_deliver(handover_id=handover.pk) is None
    assert Case.objects.filter(authority=world.kreis).count() == 1
    # both histories tell it, and the applicant sees it
    sent = CaseEvent.objects.get(case=handed_over, kind="handover")
    assert sent.visible_to_applicant and sent.detail["reference"] == kreis_case.reference
    assert (
        CaseEvent.objects.get(case=kreis_case, kind="handover").detail["reference"] == handed_over.reference
    )


def test_a_crash_during_delivery_loses_nothing_and_opens_nothing_twice(
    world: World, handed_over: Case, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .. import services

    calls = 0
    real_start = services.process_start

    def crash_once(**kwargs):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("worker killed while starting the receiving process")
        return real_start(**kwargs)

    monkeypatch.setattr(services, "process_start", crash_once)
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 0
    # the half-done delivery was rolled back entirely: no case, no link, no history, message pending
    assert not Case.objects.filter(authority=world.kreis).exists()
    handover = Handover.objects.get(case=handed_over)
    assert handover.receiving_case is None and handover.status == "open"
    assert not CaseEvent.objects.filter(case=handed_over, kind="handover").exists()
    message = OutboxMessage.objects.get(kind="processes.handover_deliver")
    assert message.status == "pending" and message.attempts == 1
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 1
    assert Case.objects.filter(authority=world.kreis).count() == 1
    assert deliver_due_messages(kinds=["processes.handover_deliver"]) == 0  # done is done


def test_the_closed_receiving_case_answers_and_the_sender_goes_on(
    world: World, handed_over: Case, kreis_caseworker: User
) -> None:
    deliver_due_messages(kinds=["processes.handover_deliver"])
    kreis_case = receiving(handed_over)
    handover = Handover.objects.get(case=handed_over)
    with pytest.raises(Problem, match="closing that case answers it"):
        handover_answer(
            handover=handover, status="completed", reply="", actor=kreis_caseworker, channel="web"
        )
    case_decide(case=kreis_case, decision="granted", actor=kreis_caseworker, channel="web")
    handover_reply_set(
        case=kreis_case, reply="2 Fahrzeuge umgeschrieben", data={"aufkleber_buergerbuero": True}
    )
    task = ProcessTask.objects.get(case=kreis_case, bpmn_id="bearbeiten", state="open")
    process_task_complete(task=task, data={}, actor=kreis_caseworker, channel="web")
    kreis_case.refresh_from_db()
    assert kreis_case.phase == Phase.CLOSED  # case.close ran without a caseworker after the task
    assert OutboxMessage.objects.filter(kind="processes.handover_return").count() == 1
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 1
    handover.refresh_from_db()
    assert handover.status == "completed" and handover.reply == "2 Fahrzeuge umgeschrieben"
    # the town's gateway read the reply data: the label is handed out at the town office
    assert ProcessTask.objects.get(case=handed_over, bpmn_id="aushaendigen").state == "open"
    parts = case_parts(handed_over)
    assert [(p.authority_name, p.case_reference, p.status) for p in parts] == [
        (world.kreis.name, kreis_case.reference, "completed")
    ]
    origin = case_origin(kreis_case)
    assert origin is not None and origin.case_reference == handed_over.reference
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 0


def test_a_rejected_part_is_declined_and_the_sender_closes(
    world: World, handed_over: Case, kreis_caseworker: User
) -> None:
    deliver_due_messages(kinds=["processes.handover_deliver"])
    kreis_case = receiving(handed_over)
    notice_templates(world)
    case_decide(case=handed_over, decision="granted", actor=world.caseworker_neuss, channel="web")
    case_decide(case=kreis_case, decision="rejected", actor=kreis_caseworker, channel="web")
    task = ProcessTask.objects.get(case=kreis_case, bpmn_id="bearbeiten", state="open")
    process_task_complete(task=task, data={}, actor=kreis_caseworker, channel="web")
    deliver_due_messages(kinds=["processes.handover_return"])
    handover = Handover.objects.get(case=handed_over)
    assert handover.status == "declined" and kreis_case.reference in handover.reply
    handed_over.refresh_from_db()
    assert handed_over.phase == Phase.CLOSED  # default flow: no label to hand out


def test_a_crash_during_the_answer_is_retried_once(
    world: World, handed_over: Case, kreis_caseworker: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    from .. import services

    deliver_due_messages(kinds=["processes.handover_deliver"])
    kreis_case = receiving(handed_over)
    notice_templates(world)
    case_decide(case=handed_over, decision="granted", actor=world.caseworker_neuss, channel="web")
    case_decide(case=kreis_case, decision="granted", actor=kreis_caseworker, channel="web")
    handover_reply_set(case=kreis_case, reply="per Post", data={"aufkleber_buergerbuero": False})
    task = ProcessTask.objects.get(case=kreis_case, bpmn_id="bearbeiten", state="open")
    process_task_complete(task=task, data={}, actor=kreis_caseworker, channel="web")
    real = services._advance

    def crash(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("killed while the town's process went on")

    monkeypatch.setattr(services, "_advance", crash)
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 0
    assert Handover.objects.get(case=handed_over).status == "accepted"  # rolled back, still open
    monkeypatch.setattr(services, "_advance", real)
    message = OutboxMessage.objects.get(kind="processes.handover_return")
    OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=message.created_at)
    assert deliver_due_messages(kinds=["processes.handover_return"]) == 1
    assert Handover.objects.get(case=handed_over).status == "completed"
    assert (
        CaseEvent.objects.filter(case=handed_over, kind="handover", detail__status="completed").count() == 1
    )
    assert ProcessTask.objects.filter(case=handed_over, bpmn_id="schliessen").count() == 1
    handed_over.refresh_from_db()
    assert handed_over.phase == Phase.CLOSED
