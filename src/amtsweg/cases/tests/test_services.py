"""Unit tests of cases.services: numbering under concurrency, transitions, requests and permissions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amtsweg.cases import services
from amtsweg.cases.models import (
    Case,
    CaseEvent,
    Document,
    InformationRequest,
    Phase,
    PostboxMessage,
    ReferenceCounter,
    StatusDefinition,
    Submission,
)
from amtsweg.cases.services import (
    AlreadyClaimed,
    CaseClosed,
    InvalidSubmission,
    TransitionNotAllowed,
    case_add_note,
    case_assign,
    case_change_status,
    case_claim,
    case_close,
    case_decide,
    case_move_to_team,
    case_request_information,
    cases_bulk_update,
    information_request_answer,
    submission_submit,
)
from amtsweg.core.problems import Problem
from amtsweg.notices.models import Notice
from amtsweg.outbox.models import OutboxMessage
from amtsweg.tenancy.models import AuditEvent, Team
from amtsweg.testing import EID_LOGIN, World, make_user, run_in_threads

from . import factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


# --- submission and numbering ------------------------------------------------------------------------


def test_submission_creates_numbered_case_in_the_team_inbox(world: World) -> None:
    case = factories.submit_case(world)
    year = timezone.localdate().year
    assert case.authority == world.neuss
    assert (case.year, case.number, case.reference) == (year, 1, f"024-{year}-000001")
    assert case.status == "eingegangen" and case.phase == Phase.NEW
    assert case.team == Team.objects.get(authority=world.neuss)  # the town's only team
    assert case.applicant_name == "Clara Citizen"
    assert list(case.events.values_list("kind", flat=True)) == [CaseEvent.Kind.SUBMITTED]
    assert set(OutboxMessage.objects.values_list("kind", flat=True)) == {"receipt.render", "email.receipt"}
    second = factories.submit_case(world)
    dormagen = factories.submit_case(world, authority=world.dormagen)
    assert second.number == 2 and dormagen.number == 1  # one number range per authority


def test_submitting_the_same_draft_again_returns_the_same_submission(world: World) -> None:
    draft = factories.make_draft(world)
    first = submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    again = submission_submit(draft=draft, actor=world.citizen, channel="api", assurance=EID_LOGIN)
    assert first.pk == again.pk
    assert Case.objects.count() == 1 and Submission.objects.count() == 1


def test_invalid_draft_stores_nothing_and_uses_no_number(world: World) -> None:
    draft = factories.make_draft(world, data={"given_name": "Clara"})
    with pytest.raises(InvalidSubmission) as raised:
        submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN)
    assert "family_name" in str(raised.value.extra["errors"])
    assert not Case.objects.exists() and not Submission.objects.exists()
    assert factories.submit_case(world).number == 1  # the failed attempt left no gap


def test_another_citizens_draft_cannot_be_submitted(world: World) -> None:
    draft = factories.make_draft(world)
    other = make_user("eve@example.org", kind="citizen")
    with pytest.raises(PermissionDenied):
        submission_submit(draft=draft, actor=other, channel="web", assurance=EID_LOGIN)
    assert not Case.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_submissions_of_one_draft_make_one_case(threaded_world: World) -> None:
    world = threaded_world
    draft = factories.make_draft(world)
    results, errors = run_in_threads(
        20,
        lambda _i: submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN).pk,
    )
    assert not errors, errors
    assert len(set(results)) == 1
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    case = Case.objects.get()
    assert case.number == 1 and case.events.count() == 1
    assert OutboxMessage.objects.filter(kind="email.receipt").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_gap_free_unique_numbers(threaded_world: World) -> None:
    world = threaded_world
    drafts = [factories.make_draft(world) for _ in range(20)]
    _results, errors = run_in_threads(
        20,
        lambda i: (
            submission_submit(draft=drafts[i], actor=world.citizen, channel="web", assurance=EID_LOGIN).pk
        ),
    )
    assert not errors, errors
    numbers = sorted(
        n or 0 for n in Case.objects.filter(authority=world.neuss).values_list("number", flat=True)
    )
    assert numbers == list(range(1, 21))
    counter = ReferenceCounter.objects.get(authority=world.neuss, year=timezone.localdate().year)
    assert counter.last == 20


# --- status changes -----------------------------------------------------------------------------------


def test_status_change_follows_the_status_model(world: World) -> None:
    case = factories.submit_case(world)
    nora = world.caseworker_neuss
    changed = case_change_status(
        case=case, status_key="in_bearbeitung", actor=nora, channel="web", comment="los"
    )
    assert changed.status == "in_bearbeitung" and changed.phase == Phase.IN_PROGRESS
    event = changed.events.get(kind=CaseEvent.Kind.STATUS)
    assert event.detail == {"from": "eingegangen", "comment": "los"} and event.actor == nora
    # The applicant sees it in "Meine Anträge"; the postbox is kept for what needs their attention.
    assert not PostboxMessage.objects.filter(case=case, kind=PostboxMessage.Kind.STATUS).exists()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE,
        object_id=str(case.pk),
        changes__status=["eingegangen", "in_bearbeitung"],
    ).exists()
    with pytest.raises(TransitionNotAllowed) as raised:
        case_change_status(case=changed, status_key="abgeschlossen", actor=nora, channel="web")
    assert raised.value.extra["allowed"] == ["rueckfrage", "entschieden"]
    with pytest.raises(TransitionNotAllowed):
        case_change_status(case=changed, status_key="gibt-es-nicht", actor=nora, channel="web")


@pytest.mark.parametrize(
    ("target", "code"), [("entschieden", "use-decision"), ("rueckfrage", "use-information-request")]
)
def test_deciding_and_waiting_need_their_own_actions(world: World, target: str, code: str) -> None:
    case = factories.submit_case(world)
    with pytest.raises(TransitionNotAllowed) as raised:
        case_change_status(case=case, status_key=target, actor=world.caseworker_neuss, channel="web")
    assert raised.value.code == code
    case.refresh_from_db()
    assert case.status == "eingegangen"


def test_a_service_with_its_own_status_model(world: World) -> None:
    for order, (key, phase, following) in enumerate(
        [
            ("neu", "new", ["pruefung"]),
            ("pruefung", "in_progress", ["vor_ort", "fertig"]),
            ("vor_ort", "in_progress", ["pruefung"]),
            ("warten", "waiting", ["pruefung"]),
            ("fertig", "decided", ["archiv"]),
            ("archiv", "closed", []),
        ]
    ):
        StatusDefinition.objects.create(
            service=world.town_service,
            key=key,
            label_de=key.title(),
            phase=phase,
            order=order,
            next_keys=following,
        )
    case = factories.submit_case(world)
    assert case.status == "neu"
    claimed = case_claim(case=case, actor=world.caseworker_neuss, channel="web")
    assert claimed.status == "pruefung"
    moved = case_change_status(
        case=claimed, status_key="vor_ort", actor=world.caseworker_neuss, channel="web"
    )
    assert moved.phase == Phase.IN_PROGRESS
    request = case_request_information(
        case=moved, message="Foto fehlt", actor=world.caseworker_neuss, channel="web"
    )
    assert Case.objects.get(pk=case.pk).status == "warten"
    information_request_answer(
        request=request, answer="anbei", documents=[], actor=world.citizen, channel="web"
    )
    assert Case.objects.get(pk=case.pk).status == "pruefung"


# --- assignment ---------------------------------------------------------------------------------------


def test_claim_takes_a_new_case_into_progress(world: World) -> None:
    case = factories.submit_case(world)
    claimed = case_claim(case=case, actor=world.caseworker_neuss, channel="web")
    assert claimed.assignee == world.caseworker_neuss and claimed.status == "in_bearbeitung"
    assert list(claimed.events.values_list("kind", flat=True)) == ["submitted", "assigned", "status"]
    again = case_claim(case=claimed, actor=world.caseworker_neuss, channel="web")  # nothing to do twice
    assert again.events.count() == 3


def test_a_claimed_case_cannot_be_claimed_by_a_colleague(world: World) -> None:
    case = factories.submit_case(world)
    case_claim(case=case, actor=world.caseworker_neuss, channel="web")
    with pytest.raises(AlreadyClaimed) as raised:
        case_claim(case=case, actor=world.admin_neuss, channel="web")
    assert raised.value.status_code == 409 and "Nora Neuss" in raised.value.detail_de
    assert Case.objects.get(pk=case.pk).assignee == world.caseworker_neuss


def test_assign_only_to_staff_of_the_authority(world: World) -> None:
    case = factories.submit_case(world)
    assigned = case_assign(case=case, assignee=world.admin_neuss, actor=world.caseworker_neuss, channel="web")
    assert assigned.assignee == world.admin_neuss
    for outsider in (world.caseworker_dormagen, world.citizen):
        with pytest.raises(Problem) as raised:
            case_assign(case=case, assignee=outsider, actor=world.caseworker_neuss, channel="web")
        assert raised.value.code == "assignee-not-member"
    cleared = case_assign(case=case, assignee=None, actor=world.caseworker_neuss, channel="web")
    assert cleared.assignee is None


def test_move_to_team_only_within_the_authority(world: World) -> None:
    case = factories.submit_case(world)
    permits = Team.objects.create(authority=world.neuss, name="Ordnungsamt")
    moved = case_move_to_team(case=case, team=permits, actor=world.caseworker_neuss, channel="web")
    assert moved.team == permits
    with pytest.raises(Problem) as raised:
        case_move_to_team(
            case=case,
            team=Team.objects.get(authority=world.dormagen),
            actor=world.caseworker_neuss,
            channel="web",
        )
    assert raised.value.code == "team-not-of-authority"
    assert Case.objects.get(pk=case.pk).team == permits


def test_bulk_update_reports_refusals_and_changes_the_rest(world: World) -> None:
    factories.notice_templates(world)
    cases = [factories.submit_case(world) for _ in range(3)]
    case_decide(case=cases[1], decision="granted", actor=world.caseworker_neuss, channel="web")
    done, refused = cases_bulk_update(
        cases=cases, actor=world.caseworker_neuss, channel="web", status_key="in_bearbeitung"
    )
    assert done == 2
    assert [(case.pk, problem.code) for case, problem in refused] == [(cases[1].pk, "transition-not-allowed")]
    assert set(Case.objects.values_list("status", flat=True)) == {"in_bearbeitung", "entschieden"}


# --- notes, information requests ---------------------------------------------------------------------


def test_note_is_internal(world: World) -> None:
    case = factories.submit_case(world)
    note = case_add_note(case=case, text="  Rückruf am Montag ", actor=world.caseworker_neuss, channel="web")
    assert note.text == "Rückruf am Montag"
    event = case.events.get(kind=CaseEvent.Kind.NOTE)
    assert not event.visible_to_applicant
    assert not PostboxMessage.objects.filter(case=case).exists()
    with pytest.raises(Problem):
        case_add_note(case=case, text="   ", actor=world.caseworker_neuss, channel="web")


def test_information_request_and_answer_resume_the_case(world: World) -> None:
    case = factories.submit_case(world)
    nora = world.caseworker_neuss
    due = timezone.localdate() + timedelta(days=14)
    request = case_request_information(
        case=case, message="Bitte Ausweis nachreichen", due_date=due, actor=nora, channel="web"
    )
    case.refresh_from_db()
    assert case.status == "rueckfrage" and case.phase == Phase.WAITING
    message = PostboxMessage.objects.get(information_request=request)
    assert message.recipient == world.citizen and message.kind == PostboxMessage.Kind.INFO_REQUEST
    assert OutboxMessage.objects.filter(kind="email.postbox", payload={"message": message.pk}).exists()
    with pytest.raises(TransitionNotAllowed) as raised:
        case_decide(case=case, decision="granted", actor=nora, channel="web")
    assert raised.value.code == "waiting-for-applicant"

    reply = factories.add_document(
        content=b"%PDF-1.4\n%%EOF\n",
        filename="ausweis.pdf",
        uploaded_by=world.citizen,
        case=case,
        information_request=request,
        kind=Document.Kind.REPLY,
    )
    answered = information_request_answer(
        request=request, answer="Anbei", documents=[reply], actor=world.citizen, channel="web"
    )
    assert answered.answered_at is not None
    case.refresh_from_db()
    assert case.status == "in_bearbeitung" and case.phase == Phase.IN_PROGRESS
    received = case.events.get(kind=CaseEvent.Kind.INFO_RECEIVED)
    assert received.detail["documents"] == [str(reply.pk)] and received.visible_to_applicant
    with pytest.raises(Problem) as twice:
        information_request_answer(
            request=request, answer="nochmal", documents=[], actor=world.citizen, channel="web"
        )
    assert twice.value.code == "already-answered"


def test_case_waits_until_every_request_is_answered(world: World) -> None:
    case = factories.submit_case(world)
    nora = world.caseworker_neuss
    first = case_request_information(case=case, message="Ausweis", actor=nora, channel="web")
    second = case_request_information(case=case, message="Meldebestätigung", actor=nora, channel="web")
    information_request_answer(
        request=first, answer="Anbei", documents=[], actor=world.citizen, channel="web"
    )
    assert Case.objects.get(pk=case.pk).phase == Phase.WAITING
    information_request_answer(
        request=second, answer="Anbei", documents=[], actor=world.citizen, channel="web"
    )
    assert Case.objects.get(pk=case.pk).phase == Phase.IN_PROGRESS


def test_information_request_refusals(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    nora = world.caseworker_neuss
    with pytest.raises(Problem) as empty:
        case_request_information(case=case, message="  ", actor=nora, channel="web")
    assert empty.value.code == "empty-request"
    with pytest.raises(Problem) as past:
        case_request_information(
            case=case,
            message="x",
            due_date=timezone.localdate() - timedelta(days=1),
            actor=nora,
            channel="web",
        )
    assert past.value.code == "due-date-past"
    request = case_request_information(case=case, message="Ausweis", actor=nora, channel="web")
    other = make_user("eve@example.org", kind="citizen")
    with pytest.raises(PermissionDenied):
        information_request_answer(request=request, answer="ich", documents=[], actor=other, channel="web")
    with pytest.raises(Problem) as nothing:
        information_request_answer(
            request=request, answer=" ", documents=[], actor=world.citizen, channel="web"
        )
    assert nothing.value.code == "empty-answer"
    information_request_answer(
        request=request, answer="Anbei", documents=[], actor=world.citizen, channel="web"
    )
    case_decide(case=case, decision="granted", actor=nora, channel="web")
    with pytest.raises(TransitionNotAllowed) as decided:
        case_request_information(case=case, message="noch etwas", actor=nora, channel="web")
    assert decided.value.code == "already-decided"
    assert InformationRequest.objects.filter(case=case).count() == 1


def test_answer_with_someone_elses_document_is_refused(world: World) -> None:
    case = factories.submit_case(world)
    request = case_request_information(
        case=case, message="Ausweis", actor=world.caseworker_neuss, channel="web"
    )
    foreign = factories.add_document(
        content=b"x", filename="fremd.pdf", uploaded_by=world.citizen, case=factories.submit_case(world)
    )
    with pytest.raises(PermissionDenied):
        information_request_answer(
            request=request, answer="", documents=[foreign], actor=world.citizen, channel="web"
        )
    assert InformationRequest.objects.get(pk=request.pk).answered_at is None


# --- decision and closing -------------------------------------------------------------------------------


def test_decide_issues_the_notice_and_close_ends_the_case(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    nora = world.caseworker_neuss
    with pytest.raises(TransitionNotAllowed):
        case_close(case=case, actor=nora, channel="web")  # only decided cases close
    decided = case_decide(
        case=case,
        decision="partially",
        actor=nora,
        channel="web",
        fee_lines=[{"label": "Bescheinigung", "legal_basis": "GebO", "amount": "7.50"}],
    )
    assert decided.phase == Phase.DECIDED and decided.decision == "partially"
    assert decided.assignee == nora  # the one who decides has it
    notice = Notice.objects.get(case=case)
    assert notice.decision == "partially" and str(notice.fee_total) == "7.50"
    with pytest.raises(TransitionNotAllowed) as twice:
        case_decide(case=decided, decision="granted", actor=nora, channel="web")
    assert twice.value.code == "already-decided"
    closed = case_close(case=decided, actor=nora, channel="web")
    assert closed.phase == Phase.CLOSED
    with pytest.raises(CaseClosed):
        case_request_information(case=closed, message="x", actor=nora, channel="web")
    with pytest.raises(Problem) as unknown:
        case_decide(case=factories.submit_case(world), decision="maybe", actor=nora, channel="web")
    assert unknown.value.code == "unknown-decision"


# --- permissions --------------------------------------------------------------------------------------


def test_staff_of_another_town_cannot_write(world: World) -> None:
    factories.notice_templates(world)
    case = factories.submit_case(world)
    dirk = world.caseworker_dormagen
    attempts: list[Callable[[], object]] = [
        lambda: case_change_status(case=case, status_key="in_bearbeitung", actor=dirk, channel="web"),
        lambda: case_assign(case=case, assignee=dirk, actor=dirk, channel="web"),
        lambda: case_claim(case=case, actor=dirk, channel="web"),
        lambda: case_move_to_team(case=case, team=None, actor=dirk, channel="web"),
        lambda: case_add_note(case=case, text="x", actor=dirk, channel="web"),
        lambda: case_request_information(case=case, message="x", actor=dirk, channel="web"),
        lambda: case_decide(case=case, decision="granted", actor=dirk, channel="web"),
        lambda: case_close(case=case, actor=dirk, channel="web"),
        lambda: case_change_status(
            case=case, status_key="in_bearbeitung", actor=world.citizen, channel="web"
        ),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied):
            attempt()
    case.refresh_from_db()
    assert (case.status, case.assignee, case.notes.count()) == ("eingegangen", None, 0)
    assert case.events.count() == 1 and not Notice.objects.exists()


def test_alliance_administrator_may_work_on_every_towns_cases(world: World) -> None:
    case = factories.submit_case(world, authority=world.dormagen)
    claimed = services.case_claim(case=case, actor=world.kreis_admin, channel="api")
    assert claimed.assignee == world.kreis_admin
