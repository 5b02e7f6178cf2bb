"""Reads of the instruction: programmes and their languages, the current material, a person's own
instruction and what they must do next (``instruction_progress``).

A person's instruction is their own affair: every lookup filters by the applicant, so another person's
id and a guessed one end in the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from amtsweg.identity.models import ExternalIdentity, User

from . import languages, quiz
from .models import Certificate, Instruction, Material, Programme, Question, QuizAttempt

if TYPE_CHECKING:
    from amtsweg.cases.models import Case
    from amtsweg.payments.models import Payment


def programmes_enabled() -> QuerySet[Programme]:
    """Programmes offered online, with their authority and service."""
    return Programme.objects.filter(enabled=True).select_related("authority", "service").order_by("pk")


def active_questions(programme: Programme) -> QuerySet[Question]:
    return Question.objects.filter(programme=programme, active=True).order_by("number")


def has_text(question: Question, code: str) -> bool:
    text = question.texts.get(code)
    return bool(isinstance(text, dict) and text.get("text") and text.get("options"))


def languages_available(programme: Programme) -> list[languages.Language]:
    """Languages a person may choose: published material, and every active question has a text in it."""
    published = set(
        Material.objects.filter(programme=programme, status=Material.Status.PUBLISHED).values_list(
            "language", flat=True
        )
    )
    questions = list(active_questions(programme))
    if len(questions) < programme.questions_per_attempt:
        return []  # the quiz could not be drawn in any language
    return [
        language
        for language in languages.LANGUAGES
        if language.code in published and all(has_text(question, language.code) for question in questions)
    ]


def material_current(programme: Programme, language: str) -> Material | None:
    """The published material of ``language`` (at most one, see the model's constraint)."""
    return Material.objects.filter(
        programme=programme, language=language, status=Material.Status.PUBLISHED
    ).first()


def instructions_for_applicant(*, user: User) -> QuerySet[Instruction]:
    """The person's own instructions, newest first."""
    if not user.is_authenticated:
        return Instruction.objects.none()
    return (
        Instruction.objects.filter(applicant=user)
        .select_related("programme__authority", "programme__service", "material", "draft", "case")
        .order_by("-created_at", "-pk")
    )


def instruction_for_applicant(*, user: User, pk: int) -> Instruction:
    """The person's own instruction ``pk``; :class:`Http404` for every other id."""
    try:
        return instructions_for_applicant(user=user).get(pk=pk)
    except Instruction.DoesNotExist as exc:
        raise Http404 from exc


def instruction_open(*, programme: Programme, user: User) -> Instruction | None:
    """The person's instruction at ``programme`` that is not submitted yet (at most one is kept open)."""
    return (
        instructions_for_applicant(user=user)
        .filter(programme=programme, case__isnull=True)
        .filter(Q(draft__isnull=True) | Q(draft__submitted_at__isnull=True))
        .first()
    )


def instruction_for_case(case: Case) -> Instruction | None:
    """The instruction behind ``case``: linked on submission through ``instruction_submit``, or found
    through the draft when a client submitted the instruction's draft through the generic form API."""
    return (
        Instruction.objects.select_related("programme", "material", "draft")
        .filter(Q(case=case) | Q(draft__submission__case=case))
        .first()
    )


def attempts_of(instruction: Instruction) -> QuerySet[QuizAttempt]:
    return QuizAttempt.objects.filter(instruction=instruction).order_by("number")


@dataclass(frozen=True)
class ShownItem:
    """One item of a quiz attempt as the person sees it: its question, text and options in order."""

    position: int  # 0-based, in the order drawn
    question: Question
    text: str
    options: list[str]


def attempt_items(attempt: QuizAttempt, language: str) -> list[ShownItem]:
    """The attempt's items in ``language``, in the drawn order with the shuffled options (one query;
    questions deactivated since the draw are still shown)."""
    by_id = Question.objects.in_bulk([int(item["question"]) for item in attempt.items])
    shown = []
    for position, item in enumerate(attempt.items):
        question = by_id.get(int(item["question"]))
        if question is not None:
            shown.append(
                ShownItem(
                    position,
                    question,
                    question.text_in(language),
                    quiz.shown_options(question, item, language),
                )
            )
    return shown


def round_of(instruction: Instruction, *, now: datetime | None = None) -> quiz.RoundState:
    """The instruction's current round of quiz attempts (see ``quiz.round_state``)."""
    programme = instruction.programme
    failures = QuizAttempt.objects.filter(
        instruction=instruction, passed=False, submitted_at__isnull=False
    ).values_list("submitted_at", flat=True)
    return quiz.round_state(
        [at for at in failures if at is not None],
        attempts_per_round=programme.attempts_per_round,
        retry_wait_hours=programme.retry_wait_hours,
        now=now or timezone.now(),
    )


def is_submitted(instruction: Instruction) -> bool:
    draft = instruction.draft
    return instruction.case_id is not None or (draft is not None and draft.submitted_at is not None)


@dataclass(frozen=True)
class Progress:
    """What the person must do next, and what the pages need to say about it."""

    step: str  # "material" | "declaration" | "quiz" | "blocked" | "payment" | "submit" | "done"
    attempts_used_in_round: int
    attempts_left_in_round: int
    blocked_until: datetime | None
    last_attempt: QuizAttempt | None
    payment: Payment | None
    certificate: Certificate | None


def _payment_due(instruction: Instruction) -> tuple[bool, Payment | None]:
    """Whether a fee is still owed, and the payment to use for it (``None`` until one is created)."""
    from amtsweg.payments.models import Payment
    from amtsweg.payments.services import draft_fee
    from amtsweg.payments.states import UNSETTLED

    draft = instruction.draft
    if draft is None:
        return False, None
    owed = draft_fee(draft)
    payments = Payment.objects.filter(draft_id=draft.pk).order_by("-created_at")
    if owed is None or owed.outstanding_cents == 0:
        return False, payments.exclude(status__in=UNSETTLED).first()
    return True, payments.filter(status__in=UNSETTLED).first()


def instruction_progress(instruction: Instruction) -> Progress:
    """The next step of ``instruction``, derived from its recorded times (never stored twice)."""
    state = round_of(instruction)
    last_attempt = attempts_of(instruction).last()
    certificate = Certificate.objects.filter(instruction=instruction).select_related("notice").first()
    due, payment = _payment_due(instruction)
    if is_submitted(instruction):
        step = "done"
    elif instruction.passed_at is not None:
        if instruction.instructed_at is None:
            step = "material"  # the language was switched before passing; never after (see services)
        elif instruction.declared_at is None:
            step = "declaration"
        else:
            step = "payment" if due else "submit"
    elif state.blocked:
        step = "blocked"
    elif instruction.instructed_at is None:
        step = "material"
    elif instruction.declared_at is None:
        step = "declaration"
    else:
        step = "quiz"
    return Progress(
        step=step,
        attempts_used_in_round=state.attempts_used,
        attempts_left_in_round=state.attempts_left,
        blocked_until=state.blocked_until,
        last_attempt=last_attempt,
        payment=payment,
        certificate=certificate,
    )


def declaration_prefill(user: User) -> dict[str, str]:
    """Names and birth date as the strongest login last asserted them, else the account's names."""
    identity = ExternalIdentity.objects.filter(user=user).order_by("-last_login_at", "-created_at").first()
    attributes = identity.attributes if identity is not None else {}
    return {
        "familienname": str(attributes.get("family_name") or user.last_name),
        "vornamen": str(attributes.get("given_name") or user.first_name),
        "geburtsdatum": str(attributes.get("birth_date") or ""),
    }
