"""The citizen's API of the instruction under § 43 IfSG (``/api/v1/ifsg/...``).

The programmes are public; an instruction is the person's own affair: citizen accounts only (staff
403, anonymous 401/403), every lookup filtered by the applicant (another person's id is a 404).
Starting and submitting need a login at the service's trust level (substantiell); the steps between
are the same services as the portal's. No response ever contains a question's right answer.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import NoReverseMatch, path, reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.cases.services import TrustLevelTooLow
from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, citizen_of
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.levels import TrustLevel, highest
from amtsweg.identity.models import User
from amtsweg.payments.fees import fee_amount, fee_for
from amtsweg.payments.models import Fee, Payment

from . import languages, selectors, services
from .markdown import render_markdown
from .models import Instruction, Material, Programme, QuizAttempt
from .serializers_citizen import (
    IfsgDeclarationSerializer,
    IfsgInstructionSerializer,
    IfsgInstructionStartSerializer,
    IfsgMaterialSerializer,
    IfsgPaymentSummarySerializer,
    IfsgProgrammeSerializer,
    IfsgQuizAnswersSerializer,
    IfsgQuizAttemptSerializer,
    IfsgSubmissionResultSerializer,
    IfsgWaiverSerializer,
)

TAGS = ["ifsg"]
PROBLEM = OpenApiResponse(description="application/problem+json")


# --- presentation --------------------------------------------------------------------------------


def _language_row(language: languages.Language) -> dict[str, Any]:
    return {"code": language.code, "native": language.native, "name": str(language.name), "rtl": language.rtl}


def _needed_level(programme: Programme) -> TrustLevel:
    return highest(programme.service.required_trust_level or TrustLevel.NONE, TrustLevel.SUBSTANTIAL)


def _programme_row(programme: Programme) -> dict[str, Any]:
    fee = fee_for(programme.service_id, programme.authority_id, timing=Fee.Timing.BEFORE_SUBMISSION)
    return {
        "authority": programme.authority.ags,
        "authority_name": programme.authority.name,
        "service": programme.service.leika_key,
        "service_name": programme.service.name,
        "trust_level": _needed_level(programme).value,
        "languages": [_language_row(language) for language in selectors.languages_available(programme)],
        "fee_cents": fee_amount(fee, {}) if fee is not None else None,
        "rules": programme,
    }


def _payment_row(payment: Payment | None) -> dict[str, Any] | None:
    if payment is None:
        return None
    return {
        "id": payment.pk,
        "status": payment.status,
        "amount_cents": payment.amount_cents,
        "purpose": payment.purpose,
        "kassenzeichen": payment.kassenzeichen,
    }


def _attempt_result(attempt: QuizAttempt | None) -> dict[str, Any] | None:
    if attempt is None:
        return None
    return {
        "id": attempt.pk,
        "number": attempt.number,
        "total": len(attempt.items),
        "correct_count": attempt.correct_count,
        "passed": attempt.passed,
        "pass_mark": attempt.instruction.programme.pass_mark,
        "wrong_positions": services.attempt_wrong_positions(attempt),
        "submitted_at": attempt.submitted_at,
    }


def _instruction_body(instruction: Instruction) -> dict[str, Any]:
    progress = selectors.instruction_progress(instruction)
    data = instruction.draft.data if instruction.draft is not None else {}
    certificate = progress.certificate
    return {
        "id": instruction.pk,
        "authority": instruction.programme.authority.ags,
        "language": instruction.language,
        "material_version": instruction.material.version,
        "status": instruction.status,
        "created_at": instruction.created_at,
        "instructed_at": instruction.instructed_at,
        "declared_at": instruction.declared_at,
        "passed_at": instruction.passed_at,
        "person": {
            "familienname": data.get("familienname", ""),
            "vornamen": data.get("vornamen", ""),
            "geburtsdatum": data.get("geburtsdatum", ""),
        },
        "case_reference": instruction.case.reference if instruction.case is not None else None,
        "progress": {
            "step": progress.step,
            "attempts_used_in_round": progress.attempts_used_in_round,
            "attempts_left_in_round": progress.attempts_left_in_round,
            "blocked_until": progress.blocked_until,
            "last_attempt": _attempt_result(progress.last_attempt),
            "payment": _payment_row(progress.payment),
            "certificate": None
            if certificate is None
            else {
                "instructed_on": certificate.instructed_on,
                "work_begin_by": certificate.work_begin_by,
                "verification_code": certificate.notice.code,
                "notice_status": certificate.notice.status,
            },
        },
    }


def _instruction_response(instruction: Instruction, status_code: int = status.HTTP_200_OK) -> Response:
    fresh = selectors.instruction_for_applicant(user=instruction.applicant, pk=instruction.pk)
    return Response(IfsgInstructionSerializer(_instruction_body(fresh)).data, status=status_code)


def _file_url(material: Material, kind: str, instruction: Instruction) -> str | None:
    """The portal's download of a material file (``None`` without the file or the portal's route)."""
    if not getattr(material, kind):
        return None
    try:
        return reverse(
            "portal:ifsg_file", kwargs={"pk": instruction.pk, "material_pk": material.pk, "kind": kind}
        )
    except NoReverseMatch:
        return None


def _attempt_body(attempt: QuizAttempt, instruction: Instruction) -> dict[str, Any]:
    items = [
        {
            "position": item.position,
            "question": item.question.pk,
            "text": item.text,
            "options": [{"position": index, "text": text} for index, text in enumerate(item.options)],
        }
        for item in selectors.attempt_items(attempt, instruction.language)
    ]
    return {
        "id": attempt.pk,
        "number": attempt.number,
        "language": instruction.language,
        "pass_mark": instruction.programme.pass_mark,
        "items": items,
    }


# --- views ---------------------------------------------------------------------------------------


class CitizenView(APIView):
    permission_classes = [IsCitizenAccount]

    def instruction(self, request: Request, pk: int) -> Instruction:
        return selectors.instruction_for_applicant(user=citizen_of(request), pk=pk)


class ProgrammeList(APIView):
    """The health offices that offer the online instruction: languages, fee and quiz rules."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        tags=TAGS, operation_id="ifsg_programmes_list", responses={200: IfsgProgrammeSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        rows = [_programme_row(programme) for programme in selectors.programmes_enabled()]
        return Response(IfsgProgrammeSerializer(rows, many=True).data)


class InstructionList(CitizenView):
    """The caller's instructions (GET), or start one in a language (POST; reuses the open one)."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_list",
        responses={200: IfsgInstructionSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        rows = [_instruction_body(i) for i in selectors.instructions_for_applicant(user=citizen_of(request))]
        return Response(IfsgInstructionSerializer(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_start",
        request=IfsgInstructionStartSerializer,
        responses={
            201: IfsgInstructionSerializer,
            200: IfsgInstructionSerializer,
            400: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
        },
    )
    def post(self, request: Request) -> Response:
        """201 with a new instruction; 200 with the open one (its language switched if another is chosen)."""
        user = citizen_of(request)
        serializer = IfsgInstructionStartSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        programme = (
            selectors.programmes_enabled()
            .filter(authority__ags=serializer.validated_data["authority"])
            .first()
        )
        if programme is None:
            raise services.ProgrammeNotOffered(
                "Diese Behörde bietet die Online-Belehrung nicht an.",
                "This authority does not offer the online instruction.",
            )
        _require_level(request, programme)
        existed = selectors.instruction_open(programme=programme, user=user) is not None
        instruction = services.instruction_start(
            programme=programme,
            applicant=user,
            language=serializer.validated_data["language"],
            channel=CHANNEL_API,
        )
        return _instruction_response(instruction, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


def _require_level(request: Request, programme: Programme) -> None:
    needed = _needed_level(programme)
    assurance = assurance_of(request)
    if not assurance.satisfies(needed):
        raise TrustLevelTooLow(
            f"Für die Belehrung ist eine Anmeldung mit dem Vertrauensniveau „{needed.label}“ nötig "
            "(z. B. Online-Ausweis).",
            f"The instruction needs a login at trust level '{needed.value}' (e.g. the online ID card).",
            extra={"required": needed.value, "current": assurance.level.value},
        )


class InstructionDetail(CitizenView):
    """One of the caller's instructions: the steps done and what to do next."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_retrieve",
        responses={200: IfsgInstructionSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, pk: int) -> Response:
        return _instruction_response(self.instruction(request, pk))


class InstructionMaterial(CitizenView):
    """The material in the instruction's language (GET), and the confirmation of having read it (POST)."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_material_retrieve",
        responses={200: IfsgMaterialSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        material = (
            selectors.material_current(instruction.programme, instruction.language) or instruction.material
        )
        body = {
            "language": material.language,
            "version": material.version,
            "title": material.title,
            "text": material.text,
            "html": str(render_markdown(material.text)),
            "declaration": material.declaration,
            "transcript": material.transcript,
            "video_url": _file_url(material, "video", instruction),
            "captions_url": _file_url(material, "captions", instruction),
            "leaflet_url": _file_url(material, "leaflet", instruction),
            "confirmed_at": instruction.instructed_at,
        }
        return Response(IfsgMaterialSerializer(body).data)

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_material_confirm",
        request=None,
        responses={200: IfsgInstructionSerializer, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        return _instruction_response(
            services.instruction_material_confirm(instruction=instruction, actor=citizen_of(request))
        )


class InstructionDeclaration(CitizenView):
    """The written declaration with name and date of birth as the certificate prints them."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_declaration",
        request=IfsgDeclarationSerializer,
        responses={200: IfsgInstructionSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        serializer = IfsgDeclarationSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        declared = services.instruction_declare(
            instruction=instruction, actor=citizen_of(request), **serializer.validated_data
        )
        return _instruction_response(declared)


class InstructionQuiz(CitizenView):
    """Draw the questions (or get the open attempt again): texts and options as shown, never the answer."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_quiz_start",
        request=None,
        responses={200: IfsgQuizAttemptSerializer, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        attempt = services.quiz_start(instruction=instruction, actor=citizen_of(request))
        return Response(IfsgQuizAttemptSerializer(_attempt_body(attempt, instruction)).data)


class InstructionQuizAnswers(CitizenView):
    """Submit all answers at once; the result names the wrongly answered items, not the right options."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_quiz_submit",
        request=IfsgQuizAnswersSerializer,
        responses={200: IfsgInstructionSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, pk: int, attempt: int) -> Response:
        user = citizen_of(request)
        instruction = self.instruction(request, pk)
        found = QuizAttempt.objects.filter(instruction=instruction, pk=attempt).first()
        if found is None:
            raise Http404
        serializer = IfsgQuizAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rows = serializer.validated_data["answers"]
        answers = {int(row["question"]): int(row["position"]) for row in rows}
        if len(answers) != len(rows):
            answers = {}  # the same question twice: refused by the service like a missing answer
        services.quiz_submit(attempt=found, actor=user, answers=answers)
        return _instruction_response(instruction)


class InstructionPayment(CitizenView):
    """The payment for the fee (pay it through ``/payments/<id>/begin``); ``null`` when nothing is owed."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_payment",
        request=None,
        responses={200: IfsgPaymentSummarySerializer, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        payment = services.instruction_pay(instruction=instruction, actor=citizen_of(request))
        return Response(IfsgPaymentSummarySerializer(payment).data if payment is not None else None)


class InstructionWaiver(CitizenView):
    """Settle the fee with a voucher code (volunteers, pupils)."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_waiver",
        request=IfsgWaiverSerializer,
        responses={200: IfsgPaymentSummarySerializer, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def post(self, request: Request, pk: int) -> Response:
        instruction = self.instruction(request, pk)
        serializer = IfsgWaiverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        payment = services.instruction_waive(
            instruction=instruction, actor=citizen_of(request), code=serializer.validated_data["code"]
        )
        return Response(IfsgPaymentSummarySerializer(payment).data)


class InstructionSubmit(CitizenView):
    """Submit the completed instruction (once, whatever the number of retries); the certificate follows."""

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_instructions_submit",
        request=None,
        responses={
            201: IfsgSubmissionResultSerializer,
            402: PROBLEM,
            403: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        user: User = citizen_of(request)
        instruction = self.instruction(request, pk)
        submission = services.instruction_submit(
            instruction=instruction, actor=user, assurance=assurance_of(request), channel=CHANNEL_API
        )
        case = getattr(submission, "case", None)
        body = {
            "instruction": instruction.pk,
            "submission": submission.pk,
            "reference": case.reference if case is not None else None,
            "submitted_at": submission.submitted_at,
            "status": "submitted",
        }
        return Response(IfsgSubmissionResultSerializer(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("ifsg/programmes", ProgrammeList.as_view(), name="api-ifsg-programme-list"),
    path("ifsg/instructions", InstructionList.as_view(), name="api-ifsg-instruction-list"),
    path("ifsg/instructions/<int:pk>", InstructionDetail.as_view(), name="api-ifsg-instruction-detail"),
    path(
        "ifsg/instructions/<int:pk>/material",
        InstructionMaterial.as_view(),
        name="api-ifsg-instruction-material",
    ),
    path(
        "ifsg/instructions/<int:pk>/declaration",
        InstructionDeclaration.as_view(),
        name="api-ifsg-instruction-declaration",
    ),
    path("ifsg/instructions/<int:pk>/quiz", InstructionQuiz.as_view(), name="api-ifsg-instruction-quiz"),
    path(
        "ifsg/instructions/<int:pk>/quiz/<int:attempt>",
        InstructionQuizAnswers.as_view(),
        name="api-ifsg-instruction-quiz-answers",
    ),
    path(
        "ifsg/instructions/<int:pk>/payment",
        InstructionPayment.as_view(),
        name="api-ifsg-instruction-payment",
    ),
    path(
        "ifsg/instructions/<int:pk>/waiver", InstructionWaiver.as_view(), name="api-ifsg-instruction-waiver"
    ),
    path(
        "ifsg/instructions/<int:pk>/submit", InstructionSubmit.as_view(), name="api-ifsg-instruction-submit"
    ),
]
