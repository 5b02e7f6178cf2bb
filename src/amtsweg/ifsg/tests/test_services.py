"""The instruction's services: start and language, material, declaration, quiz rounds, fee, submission
and the submission check that guards the form whichever client submits it."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from amtsweg.cases.models import Case, Submission
from amtsweg.cases.services import TrustLevelTooLow, submission_submit
from amtsweg.core.problems import Problem
from amtsweg.forms.services import draft_start
from amtsweg.payments.models import Payment
from amtsweg.payments.services import VoucherInvalid, payment_for_draft, payment_waive
from amtsweg.testing import EID_LOGIN, PASSWORD_LOGIN, World

from .. import quiz, selectors, services
from ..checks import InstructionNotPassed
from ..models import Instruction, ItemResult, Material, Question, QuizAttempt
from .factories import FEE_CENTS, VOUCHER, IfsgSetup, ifsg_setup

pytestmark = pytest.mark.django_db
BIRTH = date(1990, 5, 17)


@pytest.fixture
def setup(world: World) -> IfsgSetup:
    return ifsg_setup(world)


def start(world: World, setup: IfsgSetup, language: str = "de") -> Instruction:
    return services.instruction_start(
        programme=setup.programme, applicant=world.citizen, language=language, channel="api"
    )


def declared(world: World, setup: IfsgSetup, language: str = "de") -> Instruction:
    instruction = start(world, setup, language)
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    return services.instruction_declare(
        instruction=instruction,
        actor=world.citizen,
        familienname="Citizen",
        vornamen="Clara Maria",
        geburtsdatum=BIRTH,
        declared=True,
    )


def answers_for(attempt: QuizAttempt, *, wrong: int = 0) -> dict[int, int]:
    """Shown positions: the right option for every item but the first ``wrong`` ones."""
    correct = dict(Question.objects.values_list("pk", "correct"))
    shown: dict[int, int] = {}
    for position, item in enumerate(attempt.items):
        right = quiz.to_shown(item, correct[item["question"]])
        shown[item["question"]] = (right + 1) % len(item["order"]) if position < wrong else right
    return shown


def take_quiz(world: World, instruction: Instruction, *, wrong: int = 0) -> QuizAttempt:
    attempt = services.quiz_start(instruction=instruction, actor=world.citizen)
    return services.quiz_submit(
        attempt=attempt, actor=world.citizen, answers=answers_for(attempt, wrong=wrong)
    )


def passed(world: World, setup: IfsgSetup, language: str = "de") -> Instruction:
    instruction = declared(world, setup, language)
    assert take_quiz(world, instruction).passed
    return Instruction.objects.get(pk=instruction.pk)


def refresh(instruction: Instruction) -> Instruction:
    return Instruction.objects.select_related("draft", "material").get(pk=instruction.pk)


# --- start and language --------------------------------------------------------------------------


def test_start_creates_the_draft_on_the_published_form_prefilled(world: World, setup: IfsgSetup) -> None:
    instruction = start(world, setup, "en")
    draft = instruction.draft
    assert draft is not None
    assert draft.service == setup.service and draft.authority == world.kreis
    assert draft.form_version.definition.service == setup.service
    assert draft.form_version.status == "published"
    assert draft.data == {
        "sprache": "en",
        "materialversion": "1",
        "familienname": "Citizen",
        "vornamen": "Clara",
    }
    assert instruction.material == setup.materials["en"]
    assert instruction.authority == world.kreis
    assert selectors.instruction_progress(instruction).step == "material"


def test_start_again_reuses_the_open_instruction_and_switches_language(
    world: World, setup: IfsgSetup
) -> None:
    first = start(world, setup, "de")
    services.instruction_material_confirm(instruction=first, actor=world.citizen)
    assert refresh(first).instructed_at is not None
    again = start(world, setup, "de")
    assert again.pk == first.pk and again.instructed_at is not None
    switched = start(world, setup, "ar")
    assert switched.pk == first.pk
    switched = refresh(switched)
    assert switched.language == "ar" and switched.material == setup.materials["ar"]
    assert switched.instructed_at is None  # the Arabic material must be confirmed again
    assert switched.draft is not None and switched.draft.data["sprache"] == "ar"
    assert Instruction.objects.count() == 1


def test_only_languages_with_material_and_every_question_can_be_chosen(
    world: World, setup: IfsgSetup
) -> None:
    assert [lang.code for lang in selectors.languages_available(setup.programme)] == ["de", "en", "ar"]
    with pytest.raises(Problem) as refused:
        start(world, setup, "tr")
    assert refused.value.code == "ifsg-language-not-available"
    # Turkish material alone is not enough: every active question needs a Turkish text too.
    Material.objects.create(
        programme=setup.programme,
        language="tr",
        version=1,
        status="published",
        title="T",
        text="t",
        declaration="d",
    )
    assert "tr" not in [lang.code for lang in selectors.languages_available(setup.programme)]
    question = setup.questions[0]
    question.texts = {k: v for k, v in question.texts.items() if k != "en"}
    question.save()
    assert "en" not in [lang.code for lang in selectors.languages_available(setup.programme)]


def test_staff_cannot_start_an_instruction(world: World, setup: IfsgSetup) -> None:
    with pytest.raises(PermissionDenied):
        services.instruction_start(
            programme=setup.programme, applicant=setup.caseworker, language="de", channel="web"
        )


def test_language_is_fixed_after_passing(world: World, setup: IfsgSetup) -> None:
    instruction = passed(world, setup)
    with pytest.raises(Problem) as refused:
        start(world, setup, "en")
    assert refused.value.code == "ifsg-already-passed"
    assert refresh(instruction).language == "de"


# --- material and declaration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"familienname": "  "}, "familienname"),
        ({"vornamen": "x" * 121}, "vornamen"),
        ({"geburtsdatum": timezone.localdate() + timedelta(days=1)}, "geburtsdatum"),
        ({"geburtsdatum": timezone.localdate() - timedelta(days=13 * 365)}, "geburtsdatum"),
        ({"familienname": "Ci\x00tizen"}, "familienname"),
    ],
)
def test_the_declaration_refuses_bad_personal_data(
    world: World, setup: IfsgSetup, changes: dict[str, Any], field: str
) -> None:
    instruction = start(world, setup)
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    values: dict[str, Any] = {
        "familienname": "Citizen",
        "vornamen": "Clara",
        "geburtsdatum": BIRTH,
        "declared": True,
    }
    with pytest.raises(Problem) as refused:
        services.instruction_declare(instruction=instruction, actor=world.citizen, **{**values, **changes})
    assert refused.value.status_code == 400
    assert refused.value.code == "ifsg-invalid-declaration"
    assert field in refused.value.extra["errors"]
    assert refresh(instruction).declared_at is None


def test_without_the_declaration_no_certificate(world: World, setup: IfsgSetup) -> None:
    instruction = start(world, setup)
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    with pytest.raises(Problem) as refused:
        services.instruction_declare(
            instruction=instruction,
            actor=world.citizen,
            familienname="Citizen",
            vornamen="Clara",
            geburtsdatum=BIRTH,
            declared=False,
        )
    assert refused.value.code == "ifsg-declaration-required"
    assert "Bescheinigung" in refused.value.detail_de and "certificate" in refused.value.detail_en


def test_the_declaration_needs_the_material_first_and_writes_the_draft(
    world: World, setup: IfsgSetup
) -> None:
    instruction = start(world, setup)
    with pytest.raises(Problem) as refused:
        services.instruction_declare(
            instruction=instruction,
            actor=world.citizen,
            familienname="Citizen",
            vornamen="Clara",
            geburtsdatum=BIRTH,
            declared=True,
        )
    assert refused.value.code == "ifsg-step-not-available" and refused.value.extra["step"] == "material"
    instruction = declared(world, setup)
    assert instruction.declaration_text == setup.materials["de"].declaration
    assert instruction.draft is not None
    assert instruction.draft.data == {
        "sprache": "de",
        "materialversion": "1",
        "familienname": "Citizen",
        "vornamen": "Clara Maria",
        "geburtsdatum": "1990-05-17",
        "erklaerung": True,
    }
    assert selectors.instruction_progress(instruction).step == "quiz"


def test_confirming_takes_the_version_published_now(world: World, setup: IfsgSetup) -> None:
    instruction = start(world, setup)
    old = setup.materials["de"]
    Material.objects.filter(pk=old.pk).update(status="retired")
    new = Material.objects.create(
        programme=setup.programme,
        language="de",
        version=2,
        status="published",
        title="v2",
        text="t",
        declaration="d2",
    )
    confirmed = services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    assert confirmed.material == new
    assert refresh(confirmed).draft.data["materialversion"] == "2"  # type: ignore[union-attr]


def test_another_person_cannot_touch_the_instruction(world: World, setup: IfsgSetup) -> None:
    from amtsweg.testing import make_user

    other = make_user("otto@example.org", kind="citizen", first="Otto", last="Other")
    instruction = start(world, setup)
    with pytest.raises(PermissionDenied):
        services.instruction_material_confirm(instruction=instruction, actor=other)
    with pytest.raises(PermissionDenied):
        services.quiz_start(instruction=instruction, actor=other)


# --- quiz ----------------------------------------------------------------------------------------


def test_no_quiz_before_material_and_declaration(world: World, setup: IfsgSetup) -> None:
    instruction = start(world, setup)
    with pytest.raises(Problem) as refused:
        services.quiz_start(instruction=instruction, actor=world.citizen)
    assert refused.value.status_code == 409 and refused.value.extra["step"] == "material"
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    with pytest.raises(Problem) as refused:
        services.quiz_start(instruction=instruction, actor=world.citizen)
    assert refused.value.extra["step"] == "declaration"


def test_a_quiz_draws_distinct_questions_and_a_reload_shows_the_same_set(
    world: World, setup: IfsgSetup
) -> None:
    instruction = declared(world, setup)
    attempt = services.quiz_start(instruction=instruction, actor=world.citizen)
    ids = [item["question"] for item in attempt.items]
    assert len(ids) == len(set(ids)) == 8
    assert services.quiz_start(instruction=instruction, actor=world.citizen).pk == attempt.pk


@pytest.mark.parametrize(
    "tamper",
    [
        lambda a: dict(list(a.items())[1:]),  # one missing
        lambda a: {**a, 999999: 0},  # a question not drawn
        lambda a: {**a, next(iter(a)): 3},  # position out of range (three options)
        lambda a: {},
    ],
)
def test_answers_must_cover_exactly_the_drawn_questions(world: World, setup: IfsgSetup, tamper: Any) -> None:
    instruction = declared(world, setup)
    attempt = services.quiz_start(instruction=instruction, actor=world.citizen)
    with pytest.raises(Problem) as refused:
        services.quiz_submit(attempt=attempt, actor=world.citizen, answers=tamper(answers_for(attempt)))
    assert refused.value.status_code == 400 and refused.value.code == "ifsg-invalid-answers"
    assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None
    assert not ItemResult.objects.exists()


def test_a_failure_names_the_wrong_items_and_sends_back_to_the_material(
    world: World, setup: IfsgSetup
) -> None:
    instruction = declared(world, setup)
    attempt = take_quiz(world, instruction, wrong=2)  # 6 of 8, pass mark 7
    assert attempt.passed is False and attempt.correct_count == 6
    assert services.attempt_wrong_positions(attempt) == [0, 1]
    results = ItemResult.objects.filter(attempt=attempt)
    assert results.count() == 8 and results.filter(correct=False).count() == 2
    assert {r.language for r in results} == {"de"} and {r.authority_id for r in results} == {world.kreis.pk}
    instruction = refresh(instruction)
    assert instruction.instructed_at is None and instruction.passed_at is None
    progress = selectors.instruction_progress(instruction)
    assert (progress.step, progress.attempts_used_in_round, progress.attempts_left_in_round) == (
        "material",
        1,
        2,
    )
    with pytest.raises(Problem):
        services.quiz_start(instruction=instruction, actor=world.citizen)
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    second = take_quiz(world, instruction, wrong=1)  # 7 of 8 passes
    assert second.passed and second.number == 2
    assert refresh(instruction).passed_at is not None


def test_without_review_rule_a_failure_keeps_the_material_confirmed(world: World, setup: IfsgSetup) -> None:
    setup.programme.review_material_after_failure = False
    setup.programme.save()
    instruction = declared(world, setup)
    take_quiz(world, instruction, wrong=8)
    assert refresh(instruction).instructed_at is not None
    assert selectors.instruction_progress(refresh(instruction)).step == "quiz"


def test_a_round_of_failures_blocks_then_a_new_round_begins(world: World, setup: IfsgSetup) -> None:
    instruction = declared(world, setup)
    for _ in range(3):
        services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
        take_quiz(world, instruction, wrong=3)
    instruction = refresh(instruction)
    assert instruction.blocked_until is not None
    assert instruction.blocked_until > timezone.now() + timedelta(hours=23)
    progress = selectors.instruction_progress(instruction)
    assert progress.step == "blocked" and progress.attempts_left_in_round == 0
    with pytest.raises(Problem) as refused:
        services.quiz_start(instruction=instruction, actor=world.citizen)
    assert refused.value.code == "ifsg-quiz-blocked" and "blocked_until" in refused.value.extra
    # A day later: a new round with three attempts.
    QuizAttempt.objects.update(submitted_at=timezone.now() - timedelta(hours=25))
    assert selectors.instruction_progress(refresh(instruction)).step == "material"
    services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    assert take_quiz(world, instruction).passed


def test_submitting_an_attempt_twice_changes_nothing(world: World, setup: IfsgSetup) -> None:
    instruction = declared(world, setup)
    attempt = services.quiz_start(instruction=instruction, actor=world.citizen)
    right = answers_for(attempt)
    first = services.quiz_submit(attempt=attempt, actor=world.citizen, answers=right)
    again = services.quiz_submit(attempt=attempt, actor=world.citizen, answers=answers_for(attempt, wrong=8))
    assert again.correct_count == first.correct_count == 8 and again.passed
    assert ItemResult.objects.count() == 8
    with pytest.raises(Problem) as refused:
        services.quiz_start(instruction=instruction, actor=world.citizen)
    assert refused.value.code == "ifsg-already-passed"


# --- fee and submission --------------------------------------------------------------------------


def test_the_fee_is_due_after_passing_and_can_be_waived_by_voucher(world: World, setup: IfsgSetup) -> None:
    instruction = declared(world, setup)
    with pytest.raises(Problem) as refused:
        services.instruction_pay(instruction=instruction, actor=world.citizen)
    assert refused.value.extra["step"] == "quiz"
    instruction = passed(world, setup)
    payment = services.instruction_pay(instruction=instruction, actor=world.citizen)
    assert payment is not None and payment.amount_cents == FEE_CENTS
    assert selectors.instruction_progress(instruction).step == "payment"
    with pytest.raises(VoucherInvalid):
        services.instruction_waive(instruction=instruction, actor=world.citizen, code="FALSCH")
    waived = services.instruction_waive(instruction=instruction, actor=world.citizen, code=VOUCHER.lower())
    assert waived.pk == payment.pk and waived.status == Payment.Status.WAIVED
    assert services.instruction_pay(instruction=instruction, actor=world.citizen) is None
    assert selectors.instruction_progress(instruction).step == "submit"


def test_submission_needs_substantiell_and_is_idempotent(world: World, setup: IfsgSetup) -> None:
    instruction = passed(world, setup)
    services.instruction_waive(instruction=instruction, actor=world.citizen, code=VOUCHER)
    with pytest.raises(TrustLevelTooLow):
        services.instruction_submit(
            instruction=instruction, actor=world.citizen, assurance=PASSWORD_LOGIN, channel="api"
        )
    submission = services.instruction_submit(
        instruction=instruction, actor=world.citizen, assurance=EID_LOGIN, channel="api"
    )
    again = services.instruction_submit(
        instruction=instruction, actor=world.citizen, assurance=EID_LOGIN, channel="api"
    )
    assert again.pk == submission.pk
    assert Submission.objects.count() == 1 and Case.objects.count() == 1
    instruction = refresh(instruction)
    assert instruction.case == Case.objects.get()
    assert instruction.status in (Instruction.Status.SUBMITTED, Instruction.Status.CERTIFIED)
    assert submission.data["geburtsdatum"] == "1990-05-17" and submission.data["erklaerung"] is True
    assert selectors.instruction_progress(instruction).step == "done"
    with pytest.raises(Problem) as refused:
        services.instruction_material_confirm(instruction=instruction, actor=world.citizen)
    assert refused.value.code == "ifsg-submitted"


def _waive_directly(world: World, draft: Any) -> None:
    payment = payment_for_draft(draft=draft, actor=world.citizen)
    assert payment is not None
    payment_waive(payment=payment, code=VOUCHER, actor=world.citizen)


def test_the_check_refuses_an_instruction_that_has_not_passed(world: World, setup: IfsgSetup) -> None:
    instruction = declared(world, setup)
    take_quiz(world, instruction, wrong=4)
    assert instruction.draft is not None
    _waive_directly(world, instruction.draft)  # the fee settled through payments, not the flow
    with pytest.raises(InstructionNotPassed) as refused:
        submission_submit(draft=instruction.draft, actor=world.citizen, channel="api", assurance=EID_LOGIN)
    assert refused.value.status_code == 409 and refused.value.code == "ifsg-not-passed"
    assert not Submission.objects.exists()


def test_the_check_refuses_a_draft_changed_to_another_language(world: World, setup: IfsgSetup) -> None:
    instruction = passed(world, setup)
    services.instruction_waive(instruction=instruction, actor=world.citizen, code=VOUCHER)
    draft = refresh(instruction).draft
    assert draft is not None
    draft.data = {**draft.data, "sprache": "en"}  # e.g. through the generic form API
    draft.save()
    with pytest.raises(InstructionNotPassed):
        submission_submit(draft=draft, actor=world.citizen, channel="api", assurance=EID_LOGIN)


def test_the_check_refuses_the_form_without_an_instruction(world: World, setup: IfsgSetup) -> None:
    draft = draft_start(service=setup.service, authority=world.kreis, applicant=world.citizen)
    draft.data = {
        "familienname": "Citizen",
        "vornamen": "Clara",
        "geburtsdatum": "1990-05-17",
        "sprache": "de",
        "materialversion": "1",
        "erklaerung": True,
    }
    draft.save()
    _waive_directly(world, draft)
    with pytest.raises(InstructionNotPassed):
        submission_submit(draft=draft, actor=world.citizen, channel="api", assurance=EID_LOGIN)
    assert not Submission.objects.exists()


def test_the_check_leaves_other_services_alone(world: World, setup: IfsgSetup) -> None:
    from amtsweg.forms.models import Draft

    from ..checks import instruction_submission_check

    instruction_submission_check(
        Draft(service=world.kreis_service, authority=world.kreis, applicant=world.citizen)
    )
    with pytest.raises(InstructionNotPassed):
        instruction_submission_check(
            Draft(service=setup.service, authority=world.kreis, applicant=world.citizen)
        )
