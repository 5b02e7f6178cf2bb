"""Writes of a person's instruction under § 43 IfSG: start (or change language), confirm the material,
declare, take the quiz, pay or waive the fee, submit.

Each function is one transaction on the locked instruction row and checks that the actor is the
person the instruction belongs to. Bad input and steps taken out of order raise ``Problem``s with a
German and an English text. Nothing returned or raised ever reveals a question's right answer.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.forms.conditions import resolve_date
from amtsweg.forms.models import Draft
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent

from . import languages, quiz, selectors
from .models import Instruction, ItemResult, Programme, Question, QuizAttempt

if TYPE_CHECKING:
    from amtsweg.cases.models import Submission
    from amtsweg.payments.models import Payment

NAME_MAX = 120
MIN_AGE_YEARS = 14
MAX_AGE_YEARS = 100  # the form's own lower bound of the birth date (today-100y)


# --- problems ------------------------------------------------------------------------------------


class ProgrammeNotOffered(NotFoundProblem):
    code = "ifsg-not-offered"


class LanguageNotAvailable(Problem):
    status_code = 400
    code = "ifsg-language-not-available"


class StepNotAvailable(Problem):
    """A step taken before the steps it needs (``extra["step"]`` names the step to do first)."""

    status_code = 409
    code = "ifsg-step-not-available"


class InstructionSubmitted(Problem):
    status_code = 409
    code = "ifsg-submitted"


class AlreadyPassed(Problem):
    status_code = 409
    code = "ifsg-already-passed"


class QuizBlocked(Problem):
    """Too many failed attempts in a row: ``extra["blocked_until"]`` says when the next round begins."""

    status_code = 409
    code = "ifsg-quiz-blocked"


class QuizUnavailable(Problem):
    status_code = 409
    code = "ifsg-quiz-unavailable"


class InvalidAnswers(Problem):
    status_code = 400
    code = "ifsg-invalid-answers"


class InvalidDeclaration(Problem):
    """The declaration's personal data is invalid; ``extra["errors"]`` maps fields to German messages."""

    status_code = 400
    code = "ifsg-invalid-declaration"


class NothingToPay(Problem):
    status_code = 409
    code = "ifsg-nothing-to-pay"


# --- helpers -------------------------------------------------------------------------------------


def _require_applicant(instruction: Instruction, actor: User) -> None:
    if not actor.is_authenticated or instruction.applicant_id != actor.pk:
        raise PermissionDenied


def _locked(instruction: Instruction, actor: User) -> Instruction:
    """The instruction row locked for this transaction; refused once it has been submitted."""
    _require_applicant(instruction, actor)
    locked = (
        # of=self: PostgreSQL cannot lock the nullable side of the outer join to the draft.
        Instruction.objects.select_for_update(of=("self",))
        .select_related("programme", "material", "draft")
        .get(pk=instruction.pk)
    )
    if selectors.is_submitted(locked):
        raise InstructionSubmitted(
            "Diese Belehrung ist bereits eingereicht und kann nicht mehr geändert werden.",
            "This instruction has been submitted already and can no longer be changed.",
        )
    return locked


def _locked_draft(instruction: Instruction) -> Draft:
    if instruction.draft_id is None:
        raise StepNotAvailable(
            "Zu dieser Belehrung gehört kein Antrag mehr. Bitte beginnen Sie die Belehrung neu.",
            "This instruction has no application any more. Please start the instruction again.",
            extra={"step": "start"},
        )
    draft = Draft.objects.select_for_update().get(pk=instruction.draft_id)
    instruction.draft = draft  # the caller returns the instruction: with the draft as written
    return draft


def _status(instruction: Instruction) -> str:
    if instruction.passed_at is not None:
        return Instruction.Status.PASSED
    if instruction.declared_at is not None:
        return Instruction.Status.DECLARED
    if instruction.instructed_at is not None:
        return Instruction.Status.INSTRUCTED
    return Instruction.Status.STARTED


def _save(instruction: Instruction, *fields: str) -> None:
    instruction.status = _status(instruction)
    instruction.save(update_fields=[*fields, "status", "updated_at"])


def _language_check(programme: Programme, language: str) -> None:
    if language not in {lang.code for lang in selectors.languages_available(programme)}:
        known = languages.BY_CODE.get(language)
        name = known.native if known else language
        raise LanguageNotAvailable(
            f"Die Belehrung wird in der Sprache „{name}“ derzeit nicht angeboten.",
            f"The instruction is not currently offered in the language '{name}'.",
            extra={"language": language},
        )


def _material_or_problem(programme: Programme, language: str) -> Any:
    material = selectors.material_current(programme, language)
    if material is None:
        raise LanguageNotAvailable(
            "Für diese Sprache ist derzeit kein Belehrungsmaterial veröffentlicht.",
            "No instruction material is published for this language at the moment.",
            extra={"language": language},
        )
    return material


def _step_missing(instruction: Instruction) -> None:
    """Refuse the quiz until the material is confirmed and the declaration is made."""
    if instruction.instructed_at is None:
        raise StepNotAvailable(
            "Bitte lesen Sie zuerst das Belehrungsmaterial und bestätigen Sie es.",
            "Please read the instruction material and confirm it first.",
            extra={"step": "material"},
        )
    if instruction.declared_at is None:
        raise StepNotAvailable(
            "Bitte geben Sie zuerst die Erklärung ab.",
            "Please make the declaration first.",
            extra={"step": "declaration"},
        )


def _require_passed(instruction: Instruction) -> None:
    if instruction.passed_at is None:
        raise StepNotAvailable(
            "Die Gebühr ist erst nach bestandenen Verständnisfragen fällig.",
            "The fee is due once the comprehension questions are passed.",
            extra={"step": "quiz"},
        )


# --- start and language --------------------------------------------------------------------------


def instruction_start(*, programme: Programme, applicant: User, language: str, channel: str) -> Instruction:
    """Start the instruction in ``language``, or continue the open one (switching its language).

    A new instruction gets its application draft on the service's published form, prefilled with
    the language, the material version and the account's name. Choosing another language for the
    open instruction switches language and material; the material must then be confirmed again.
    After passing the quiz the language is fixed: the certificate names the language of the
    instruction that was understood.
    """
    from amtsweg.forms.services import draft_start

    if not applicant.is_authenticated or applicant.is_staff_account:
        raise PermissionDenied
    if not programme.enabled:
        raise ProgrammeNotOffered(
            "Die Online-Belehrung wird derzeit nicht angeboten.",
            "The online instruction is not offered at the moment.",
        )
    _language_check(programme, language)
    with transaction.atomic():
        # Serialise starts of the same person: two tabs must not open two instructions.
        User.objects.select_for_update().filter(pk=applicant.pk).first()
        current = selectors.instruction_open(programme=programme, user=applicant)
        if current is not None:
            return _switch_language(current, applicant, language)
        material = _material_or_problem(programme, language)
        draft = draft_start(service=programme.service, authority=programme.authority, applicant=applicant)
        prefill = {
            "sprache": language,
            "materialversion": str(material.version),
            "familienname": applicant.last_name.strip()[:NAME_MAX],
            "vornamen": applicant.first_name.strip()[:NAME_MAX],
        }
        draft.data = {key: value for key, value in prefill.items() if value}
        draft.save(update_fields=["data", "updated_at"])
        return Instruction.objects.create(
            authority=programme.authority,
            programme=programme,
            applicant=applicant,
            language=language,
            material=material,
            draft=draft,
        )


def _switch_language(instruction: Instruction, actor: User, language: str) -> Instruction:
    locked = _locked(instruction, actor)
    if locked.language == language:
        return locked
    if locked.passed_at is not None:
        raise AlreadyPassed(
            "Sie haben die Verständnisfragen bereits bestanden; die Sprache der Belehrung steht damit fest.",
            "You have passed the comprehension questions already; the language of the instruction is fixed.",
        )
    material = _material_or_problem(locked.programme, language)
    locked.language = language
    locked.material = material
    locked.instructed_at = None  # the material in the new language must be read and confirmed
    _save(locked, "language", "material", "instructed_at")
    draft = _locked_draft(locked)
    draft.data = {**draft.data, "sprache": language, "materialversion": str(material.version)}
    draft.save(update_fields=["data", "updated_at"])
    return locked


# --- material and declaration --------------------------------------------------------------------


def instruction_material_confirm(*, instruction: Instruction, actor: User) -> Instruction:
    """The person confirms having read and watched the material of their language (``instructed_at``).

    The confirmation is for the version published now; a newer version published since the start
    replaces the one recorded.
    """
    with transaction.atomic():
        locked = _locked(instruction, actor)
        material = _material_or_problem(locked.programme, locked.language)
        locked.material = material
        locked.instructed_at = timezone.now()
        _save(locked, "material", "instructed_at")
        draft = _locked_draft(locked)
        draft.data = {**draft.data, "sprache": locked.language, "materialversion": str(material.version)}
        draft.save(update_fields=["data", "updated_at"])
    return locked


def _years_before(today: date, years: int) -> date:
    bound = resolve_date(f"today-{years}y", today)
    assert bound is not None
    return bound


def _declaration_errors(familienname: str, vornamen: str, geburtsdatum: date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for key, value, label in (
        ("familienname", familienname, "Familienname"),
        ("vornamen", vornamen, "Vornamen"),
    ):
        if not value:
            errors[key] = [f"Bitte geben Sie Ihren {label} an."]
        elif len(value) > NAME_MAX:
            errors[key] = [f"Höchstens {NAME_MAX} Zeichen."]
        elif any(ord(char) < 32 for char in value):
            errors[key] = ["Die Eingabe enthält unzulässige Steuerzeichen."]
    today = timezone.localdate()
    if geburtsdatum is None:
        errors["geburtsdatum"] = ["Bitte geben Sie Ihr Geburtsdatum an."]
    elif geburtsdatum >= today:
        errors["geburtsdatum"] = ["Das Geburtsdatum muss in der Vergangenheit liegen."]
    elif geburtsdatum > _years_before(today, MIN_AGE_YEARS):
        errors["geburtsdatum"] = [f"Die Belehrung ist ab {MIN_AGE_YEARS} Jahren möglich."]
    elif geburtsdatum < _years_before(today, MAX_AGE_YEARS):
        errors["geburtsdatum"] = ["Bitte prüfen Sie das Geburtsdatum."]
    return errors


def instruction_declare(
    *,
    instruction: Instruction,
    actor: User,
    familienname: str,
    vornamen: str,
    geburtsdatum: date,
    declared: bool,
) -> Instruction:
    """Record the written declaration (§ 43 Abs. 1 Nr. 2 IfSG) with the personal data it is made for.

    The data goes into the application draft as the certificate prints it; the declaration text of
    the material is kept as made. Without the declaration no certificate can be issued.
    """
    familienname = " ".join(str(familienname or "").split())
    vornamen = " ".join(str(vornamen or "").split())
    errors = _declaration_errors(familienname, vornamen, geburtsdatum)
    if errors:
        raise InvalidDeclaration(
            "Bitte prüfen Sie Ihre Angaben: " + " ".join(messages[0] for messages in errors.values()),
            "Please check your details (name, first names, date of birth; at least 14 years old).",
            extra={"errors": errors},
        )
    if not declared:
        raise InvalidDeclaration(
            "Ohne diese Erklärung kann keine Bescheinigung ausgestellt werden. "
            "Bitte wenden Sie sich an das Gesundheitsamt.",
            "Without this declaration no certificate can be issued. Please contact the health office.",
            extra={
                "errors": {
                    "erklaerung": ["Ohne diese Erklärung kann keine Bescheinigung ausgestellt werden."]
                }
            },
            code="ifsg-declaration-required",
        )
    with transaction.atomic():
        locked = _locked(instruction, actor)
        if locked.instructed_at is None and locked.passed_at is None:
            raise StepNotAvailable(
                "Bitte lesen Sie zuerst das Belehrungsmaterial und bestätigen Sie es.",
                "Please read the instruction material and confirm it first.",
                extra={"step": "material"},
            )
        locked.declaration_text = locked.material.declaration
        locked.declared_at = timezone.now()
        _save(locked, "declaration_text", "declared_at")
        draft = _locked_draft(locked)
        draft.data = {
            **draft.data,
            "familienname": familienname,
            "vornamen": vornamen,
            "geburtsdatum": geburtsdatum.isoformat(),
            "erklaerung": True,
            "sprache": locked.language,
            "materialversion": str(locked.material.version),
        }
        draft.completed_steps = ["person", "belehrung"]
        draft.save(update_fields=["data", "completed_steps", "updated_at"])
    return locked


# --- quiz ----------------------------------------------------------------------------------------


def _blocked_problem(state: quiz.RoundState) -> QuizBlocked:
    until = state.blocked_until
    assert until is not None
    local = timezone.localtime(until)
    return QuizBlocked(
        f"Sie haben die Verständnisfragen mehrmals nicht bestanden. Ein neuer Versuch ist ab "
        f"{local:%d.%m.%Y, %H:%M} Uhr möglich; Sie können auch einen Termin für die Belehrung "
        "vor Ort buchen.",
        f"You did not pass the comprehension questions several times. You can try again from "
        f"{local:%Y-%m-%d %H:%M}; you can also book an appointment for an instruction in person.",
        extra={"blocked_until": until.isoformat()},
    )


def quiz_start(*, instruction: Instruction, actor: User) -> QuizAttempt:
    """Draw a new set of questions, or return the attempt still open (a reload shows the same set)."""
    with transaction.atomic():
        locked = _locked(instruction, actor)
        if locked.passed_at is not None:
            raise AlreadyPassed(
                "Sie haben die Verständnisfragen bereits bestanden.",
                "You have passed the comprehension questions already.",
            )
        state = selectors.round_of(locked)
        if state.blocked:
            raise _blocked_problem(state)
        _step_missing(locked)
        open_attempt = QuizAttempt.objects.filter(instruction=locked, submitted_at__isnull=True).first()
        if open_attempt is not None:
            return open_attempt
        programme = locked.programme
        pool = [
            question
            for question in selectors.active_questions(programme)
            if selectors.has_text(question, locked.language)
        ]
        if len(pool) < programme.questions_per_attempt:
            raise QuizUnavailable(
                "Die Verständnisfragen sind in dieser Sprache gerade nicht vollständig. "
                "Bitte versuchen Sie es später oder wählen Sie eine andere Sprache.",
                "The comprehension questions are not complete in this language right now. "
                "Please try later or choose another language.",
            )
        last = QuizAttempt.objects.filter(instruction=locked).order_by("-number").first()
        return QuizAttempt.objects.create(
            instruction=locked,
            number=(last.number + 1) if last else 1,
            items=quiz.draw(pool, programme.questions_per_attempt),
        )


def quiz_submit(*, attempt: QuizAttempt, actor: User, answers: dict[int, int]) -> QuizAttempt:
    """Score the attempt: ``answers`` maps each drawn question's id to the position of the option as shown.

    Idempotent: a submitted attempt is returned unchanged. A failure may send the person back to the
    material (``review_material_after_failure``) and, after a full round of failures, start the pause.
    """
    with transaction.atomic():
        locked_attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
        instruction = locked_attempt.instruction
        _require_applicant(instruction, actor)
        if locked_attempt.submitted_at is not None:
            return locked_attempt
        locked = _locked(instruction, actor)
        _step_missing(locked)
        items = locked_attempt.items
        if not quiz.answers_valid(items, answers):
            raise InvalidAnswers(
                "Bitte beantworten Sie jede Frage mit genau einer der angebotenen Antworten.",
                "Please answer every question with exactly one of the options offered.",
                extra={"questions": [int(item["question"]) for item in items]},
            )
        chosen = quiz.originals(items, answers)
        question_ids = [int(item["question"]) for item in items]
        correct_by_id = dict(Question.objects.filter(pk__in=question_ids).values_list("pk", "correct"))
        right = quiz.correct_items(items, chosen, correct_by_id)
        now = timezone.now()
        programme = locked.programme
        locked_attempt.answers = {str(question): index for question, index in chosen.items()}
        locked_attempt.correct_count = sum(right)
        locked_attempt.passed = locked_attempt.correct_count >= programme.pass_mark
        locked_attempt.submitted_at = now
        locked_attempt.save(update_fields=["answers", "correct_count", "passed", "submitted_at"])
        ItemResult.objects.bulk_create(
            ItemResult(
                attempt=locked_attempt,
                question_id=question,
                authority_id=locked.authority_id,
                language=locked.language,
                correct=ok,
                answered_at=now,
            )
            for question, ok in zip(question_ids, right, strict=True)
        )
        if locked_attempt.passed:
            locked.passed_at = now
            locked.blocked_until = None
        else:
            if programme.review_material_after_failure:
                locked.instructed_at = None
            locked.blocked_until = selectors.round_of(locked, now=now).blocked_until
        _save(locked, "passed_at", "blocked_until", "instructed_at")
    return locked_attempt


def attempt_wrong_positions(attempt: QuizAttempt) -> list[int]:
    """The positions (0-based, as shown) of the wrongly answered items of a submitted attempt."""
    if attempt.submitted_at is None:
        return []
    question_ids = [int(item["question"]) for item in attempt.items]
    correct_by_id = dict(Question.objects.filter(pk__in=question_ids).values_list("pk", "correct"))
    chosen = {int(question): int(index) for question, index in attempt.answers.items()}
    return quiz.wrong_positions(attempt.items, chosen, correct_by_id)


# --- fee and submission --------------------------------------------------------------------------


def instruction_pay(*, instruction: Instruction, actor: User) -> Payment | None:
    """The payment for the fee (created or reused); ``None`` when nothing is owed any more."""
    from amtsweg.payments.services import payment_for_draft

    with transaction.atomic():
        locked = _locked(instruction, actor)
        _require_passed(locked)
        draft = _locked_draft(locked)
        return payment_for_draft(draft=draft, actor=actor)


def instruction_waive(*, instruction: Instruction, actor: User, code: str) -> Payment:
    """Settle the fee with a voucher code (volunteers, pupils); a wrong code is ``VoucherInvalid``."""
    from amtsweg.payments.services import payment_for_draft, payment_waive

    with transaction.atomic():
        locked = _locked(instruction, actor)
        _require_passed(locked)
        draft = _locked_draft(locked)
        payment = payment_for_draft(draft=draft, actor=actor)
        if payment is None:
            raise NothingToPay(
                "Für diese Belehrung ist keine Gebühr (mehr) offen.",
                "No fee is outstanding for this instruction.",
            )
        return payment_waive(payment=payment, code=code, actor=actor)


def instruction_submit(
    *, instruction: Instruction, actor: User, assurance: Assurance, channel: str
) -> Submission:
    """Submit the instruction's application; the process then issues the certificate.

    ``cases.services.submission_submit`` enforces the trust level, the fee and (through
    ``checks.instruction_submission_check``) a passed quiz. Idempotent: a repeat returns the same
    submission, and the instruction is linked to the one case.
    """
    from amtsweg.cases.models import Submission
    from amtsweg.cases.services import submission_submit

    _require_applicant(instruction, actor)
    with transaction.atomic():
        locked = (
            Instruction.objects.select_for_update(of=("self",))
            .select_related("draft", "programme")
            .get(pk=instruction.pk)
        )
        if locked.draft_id is None:
            raise StepNotAvailable(
                "Zu dieser Belehrung gehört kein Antrag mehr. Bitte beginnen Sie die Belehrung neu.",
                "This instruction has no application any more. Please start the instruction again.",
                extra={"step": "start"},
            )
        assert locked.draft is not None
        submission = submission_submit(draft=locked.draft, actor=actor, channel=channel, assurance=assurance)
        case = Submission.objects.select_related("case").get(pk=submission.pk).case
        if locked.case_id is None and case is not None:
            # Updates, not a save of ``locked``: a process that already ran the certificate inside
            # ``submission_submit`` set the status to certified, which must not go back.
            now = timezone.now()
            Instruction.objects.filter(pk=locked.pk).update(case=case, updated_at=now)
            Instruction.objects.filter(pk=locked.pk).exclude(status=Instruction.Status.CERTIFIED).update(
                status=Instruction.Status.SUBMITTED
            )
            access.audit(
                actor=actor,
                action=AuditEvent.Action.UPDATE,
                obj=locked,
                authority_id=locked.authority_id,
                channel=channel,
                changes={"case": case.pk, "status": Instruction.Status.SUBMITTED},
            )
    return submission
