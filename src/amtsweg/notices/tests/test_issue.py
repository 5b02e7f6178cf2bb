"""Issuing a notice: the right template, the text from the sandbox, the event, the outbox and the audit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from amtsweg.cases.models import CaseEvent
from amtsweg.cases.tests.factories import submit_case
from amtsweg.core.problems import Problem
from amtsweg.notices.models import Notice
from amtsweg.notices.services import notice_issue
from amtsweg.notices.verification import parse_code
from amtsweg.outbox.models import OutboxMessage
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from .factories import fee_lines, notice_template

pytestmark = pytest.mark.django_db


def test_issue_uses_the_alliance_template_and_queues_the_rendering(world: World) -> None:
    template = notice_template(world)
    case = submit_case(world)
    notice = notice_issue(case=case, decision="granted", actor=world.caseworker_neuss)

    assert notice.status == Notice.Status.RENDERING
    assert notice.template == template and notice.authority == world.neuss
    assert notice.subject == template.subject and notice.legal_remedy == template.legal_remedy
    assert f"({case.reference}) stellen wir Clara Citizen die Meldebescheinigung aus." in notice.body
    assert "Die Gebühr beträgt 10,00 €." in notice.body
    assert notice.fee_lines == [
        {"label": "Meldebescheinigung", "legal_basis": "Tarifstelle 17.1", "amount": "10.00"}
    ]
    assert notice.fee_total == Decimal("10.00")
    assert parse_code(notice.code).signed
    event = CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.NOTICE)
    assert event.visible_to_applicant and event.detail == {"notice": notice.pk, "decision": "granted"}
    message = OutboxMessage.objects.get(kind="notice.render")
    assert message.payload == {"notice": notice.pk}
    assert message.dedupe_key == f"notice.render:{notice.pk}" and message.authority == world.neuss
    audit = AuditEvent.objects.get(object_type="notices.notice", object_id=str(notice.pk))
    assert audit.action == AuditEvent.Action.CREATE and audit.actor == world.caseworker_neuss


def test_the_authority_variant_wins_over_the_alliance_template(world: World) -> None:
    notice_template(world, subject="Alliance")
    notice_template(world, authority=world.dormagen, subject="Dormagen's own")
    own = notice_template(world, authority=world.neuss, subject="Neuss' own")
    notice_template(world, authority=world.neuss, decision="rejected", subject="Neuss rejects")
    notice = notice_issue(case=submit_case(world), decision="granted", actor=world.caseworker_neuss)
    assert notice.template == own and notice.subject == "Neuss' own"
    other = notice_issue(
        case=submit_case(world, authority=world.dormagen), decision="granted", actor=world.caseworker_dormagen
    )
    assert other.subject == "Dormagen's own"


def test_an_inactive_variant_falls_back_to_the_alliance(world: World) -> None:
    notice_template(world, subject="Alliance")
    notice_template(world, authority=world.neuss, subject="Old Neuss", is_active=False)
    notice = notice_issue(case=submit_case(world), decision="granted", actor=world.caseworker_neuss)
    assert notice.subject == "Alliance"


def test_given_text_and_fee_lines_replace_the_template_ones(world: World) -> None:
    notice_template(world)
    notice = notice_issue(
        case=submit_case(world),
        decision="granted",
        actor=world.caseworker_neuss,
        body="  Eigener Text {{ case.reference }}  ",
        fee_lines=fee_lines(3),
    )
    assert notice.body == "Eigener Text {{ case.reference }}", "a caseworker's own text is not a template"
    assert notice.fee_total == Decimal("40.50")
    assert [line["amount"] for line in notice.fee_lines] == ["12.50", "13.50", "14.50"]


def test_no_template_is_a_clear_problem_and_writes_nothing(world: World) -> None:
    case = submit_case(world)
    with pytest.raises(Problem) as error:
        notice_issue(case=case, decision="granted", actor=world.caseworker_neuss)
    assert error.value.code == "notice-template-missing" and error.value.status_code == 409
    assert not Notice.objects.exists() and not OutboxMessage.objects.filter(kind="notice.render").exists()


@pytest.mark.parametrize(
    "lines",
    [
        [{"label": "", "amount": "1.00"}],
        [{"label": "Gebühr", "amount": "-1.00"}],
        [{"label": "Gebühr", "amount": "1.005"}],
        [{"label": "Gebühr", "amount": "zehn"}],
        [{"label": "Gebühr", "amount": "NaN"}],
        [{"label": "Gebühr"}],
        ["10.00"],
        {"label": "Gebühr", "amount": "1.00"},
    ],
)
def test_bad_fee_lines_are_refused(world: World, lines: object) -> None:
    notice_template(world)
    with pytest.raises(Problem) as error:
        notice_issue(
            case=submit_case(world),
            decision="granted",
            actor=world.caseworker_neuss,
            fee_lines=lines,  # type: ignore[arg-type]
        )
    assert error.value.code == "fee-lines-invalid"
    assert not Notice.objects.exists()


def test_a_german_decimal_comma_is_read(world: World) -> None:
    notice_template(world)
    notice = notice_issue(
        case=submit_case(world),
        decision="granted",
        actor=world.caseworker_neuss,
        fee_lines=[{"label": "Gebühr", "amount": "12,50"}],
    )
    assert notice.fee_total == Decimal("12.50")


def test_staff_of_another_town_cannot_issue(world: World) -> None:
    notice_template(world)
    case = submit_case(world)
    for actor in (world.caseworker_dormagen, world.citizen):
        with pytest.raises(Problem) as error:
            notice_issue(case=case, decision="granted", actor=actor)
        assert error.value.status_code == 403
    assert not Notice.objects.exists()


def test_unknown_decision_is_refused(world: World) -> None:
    notice_template(world)
    with pytest.raises(Problem) as error:
        notice_issue(case=submit_case(world), decision="maybe", actor=world.caseworker_neuss)
    assert error.value.code == "unknown-decision"


def test_a_broken_template_is_reported_with_its_subject(world: World) -> None:
    notice_template(world, body="{% if %}", subject="Kaputte Vorlage")
    with pytest.raises(Problem) as error:
        notice_issue(case=submit_case(world), decision="granted", actor=world.caseworker_neuss)
    assert error.value.code == "notice-template-broken" and "Kaputte Vorlage" in error.value.detail_de


def test_case_decide_issues_the_notice(world: World) -> None:
    from amtsweg.cases.services import case_decide

    notice_template(world)
    case = submit_case(world)
    case_decide(case=case, decision="granted", actor=world.caseworker_neuss, channel="web")
    assert Notice.objects.get(case=case).decision == "granted"
