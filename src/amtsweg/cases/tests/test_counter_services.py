"""Applications entered at the counter: the same submission, case and process as online, for a
citizen present in person (level "hoch"), an existing account or a new record; idempotent; audited."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from amtsweg.cases.models import Case, CaseEvent, Document, Submission
from amtsweg.catalog.models import Service
from amtsweg.forms.models import Draft
from amtsweg.identity.models import User
from amtsweg.processes.models import ProcessInstance, ProcessTask
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import EID_LOGIN, World

from ..services import InvalidSubmission, submission_submit
from ..services_counter import (
    COUNTER_CHANNEL,
    COUNTER_METHOD,
    ApplicantExists,
    ApplicantNotFound,
    CounterApplicant,
    CounterEntryUsed,
    counter_services,
    counter_submit,
)
from .factories_counter import move_answers, move_services

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


Move = tuple[Service, Service]


@pytest.fixture
def move(world: World) -> Move:
    return move_services(world)


def _submit(world: World, move: Move, applicant: CounterApplicant, **kwargs: Any) -> Submission:
    return counter_submit(
        authority=kwargs.pop("authority", world.neuss),
        service=move[0],
        applicant=applicant,
        answers=kwargs.pop("answers", move_answers(plates=["NE-AB 123"])),
        files=kwargs.pop("files", {}),
        entry_id=kwargs.pop("entry_id", uuid.uuid4()),
        actor=kwargs.pop("actor", world.caseworker_neuss),
    )


def test_only_services_with_a_published_form_are_offered_at_the_counter(world: World, move: Move) -> None:
    assert [s.service.leika_key for s in counter_services(authority=world.neuss)] == [move[0].leika_key]
    assert counter_services(authority=world.kreis) == []  # the Kreis service has no form


def test_an_existing_account_gets_the_case_at_level_hoch_on_the_counter_channel(
    world: World, move: Move
) -> None:
    submission = _submit(world, move, CounterApplicant(existing=True, email="CLARA@example.org"))
    case = submission.case
    assert case.applicant == world.citizen and case.authority == world.neuss
    assert (submission.channel, submission.trust_level, submission.login_method) == (
        COUNTER_CHANNEL,
        "hoch",
        COUNTER_METHOD,
    )
    assert submission.data["fahrzeuge"] == [{"kennzeichen": "NE-AB 123"}]
    assert case.reference.startswith("024-")
    # The same way as online: process started, first task in the Bürgerbüro inbox.
    instance = ProcessInstance.objects.get(case=case)
    assert instance.status != ProcessInstance.Status.FAILED, instance.error
    task = ProcessTask.objects.get(case=case, state=ProcessTask.State.OPEN)
    assert (
        task.bpmn_id == "Activity_Anmeldung_pruefen"
        and task.team is not None
        and task.team.name == "Bürgerbüro"
    )
    event = AuditEvent.objects.get(object_type="cases.case", object_id=str(case.pk), action="create")
    assert event.actor == world.caseworker_neuss and event.channel == COUNTER_CHANNEL
    assert event.changes["applicant_created"] is False
    # the history names the clerk who entered it, not the citizen
    assert CaseEvent.objects.get(case=case, kind=CaseEvent.Kind.SUBMITTED).actor == world.caseworker_neuss


def test_a_new_person_becomes_a_citizen_record_without_password_claimable_by_the_address(
    world: World,
    move: Move,
) -> None:
    submission = _submit(
        world,
        move,
        CounterApplicant(existing=False, email="Max@Example.org", first_name="Max", last_name="Muster"),
    )
    person = submission.case.applicant
    assert (person.email, person.kind, person.get_full_name()) == ("max@example.org", "citizen", "Max Muster")
    assert not person.has_usable_password() and person.email_verified_at is None
    assert submission.case.applicant_name == "Max Muster"


def test_without_an_address_the_record_is_not_claimable(world: World, move: Move) -> None:
    submission = _submit(
        world, move, CounterApplicant(existing=False, first_name="Ida", last_name="Ohnemail")
    )
    assert submission.case.applicant.email.endswith("@konto.invalid")


def test_an_address_with_an_account_is_never_taken_over_by_a_new_record(world: World, move: Move) -> None:
    with pytest.raises(ApplicantExists):
        _submit(world, move, CounterApplicant(existing=False, email="clara@example.org", last_name="X"))
    with pytest.raises(ApplicantNotFound):
        _submit(world, move, CounterApplicant(existing=True, email="nobody@example.org"))
    staff = CounterApplicant(existing=True, email=world.caseworker_dormagen.email)
    with pytest.raises(ApplicantNotFound):  # a staff account is no citizen account
        _submit(world, move, staff)
    assert not Case.objects.exists()


def test_invalid_answers_store_nothing_not_even_the_new_record(world: World, move: Move) -> None:
    answers = move_answers(plates=["NE-AB 123"], neue_plz="4146", einzugsdatum="2001-01-01")
    with pytest.raises(InvalidSubmission) as caught:
        _submit(world, move, CounterApplicant(existing=False, email="neu@example.org"), answers=answers)
    assert set(caught.value.extra["errors"]) == {"neue_plz", "einzugsdatum"}
    assert not User.objects.filter(email="neu@example.org").exists()
    assert not Draft.objects.exists() and not Submission.objects.exists()


def test_a_repeated_entry_returns_the_first_submission(world: World, move: Move) -> None:
    entry = uuid.uuid4()
    first = _submit(world, move, CounterApplicant(existing=True, email="clara@example.org"), entry_id=entry)
    again = _submit(world, move, CounterApplicant(existing=True, email="clara@example.org"), entry_id=entry)
    assert again.pk == first.pk and Case.objects.count() == 1


def test_an_entry_id_of_someone_elses_draft_is_refused(world: World, move: Move) -> None:
    online = Draft.objects.create(
        form_version=counter_services(authority=world.neuss)[0].form_version,
        service=move[0],
        authority=world.neuss,
        applicant=world.citizen,
        data=move_answers(),
    )
    with pytest.raises(CounterEntryUsed):
        _submit(world, move, CounterApplicant(existing=True, email="clara@example.org"), entry_id=online.pk)
    online.refresh_from_db()
    assert online.submitted_at is None


def test_only_clerks_of_the_authority_enter_applications(world: World, move: Move) -> None:
    with pytest.raises(PermissionDenied):
        _submit(
            world,
            move,
            CounterApplicant(existing=True, email="clara@example.org"),
            actor=world.caseworker_dormagen,
        )
    with pytest.raises(PermissionDenied):
        _submit(world, move, CounterApplicant(existing=True, email="clara@example.org"), actor=world.citizen)


def test_the_landlords_confirmation_is_attached_to_the_case(world: World, move: Move) -> None:
    upload = SimpleUploadedFile("wohnungsgeber.pdf", PDF, content_type="application/pdf")
    submission = _submit(
        world, move, CounterApplicant(existing=True, email="clara@example.org"),
        files={"wohnungsgeberbestaetigung": [upload]},
    )  # fmt: skip
    (document,) = Document.objects.filter(case=submission.case)
    assert submission.data["wohnungsgeberbestaetigung"] == [str(document.pk)]


def test_online_submission_of_the_form_starts_the_same_process(world: World, move: Move) -> None:
    draft = Draft.objects.create(
        form_version=counter_services(authority=world.neuss)[0].form_version,
        service=move[0],
        authority=world.neuss,
        applicant=world.citizen,
        data=move_answers(plates=["NE-AB 123", "GV-X 7E"], label="buergerbuero"),
    )
    case = submission_submit(draft=draft, actor=world.citizen, channel="web", assurance=EID_LOGIN).case
    instance = ProcessInstance.objects.get(case=case)
    assert instance.status != ProcessInstance.Status.FAILED, instance.error
    assert CaseEvent.objects.filter(case=case, kind=CaseEvent.Kind.SUBMITTED).count() == 1
