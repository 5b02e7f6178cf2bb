"""REST API of the notices module (mounted under /api/v1/): public verification of notices."""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import permissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.problems import PROBLEM_CONTENT_TYPE, Problem, problem_body
from amtsweg.core.ratelimit import client_address

from . import selectors
from .serializers import VerificationSerializer
from .verification import Verdict, rate_limit, verification_allowed

_PROBLEMS = {
    Verdict.MALFORMED: (
        400,
        "verification-code-malformed",
        "Das ist kein Prüfcode: Er hat 16 Zeichen (Buchstaben und Ziffern).",
        "This is not a verification code: it has 16 characters (letters and digits).",
    ),
    Verdict.INVALID: (
        404,
        "verification-code-invalid",
        "Dieser Prüfcode ist ungültig: falsch abgetippt oder verändert.",
        "This verification code is invalid: mistyped or altered.",
    ),
    Verdict.UNKNOWN: (
        404,
        "notice-not-found",
        "Zu diesem Prüfcode gibt es keinen Bescheid.",
        "There is no notice with this verification code.",
    ),
}


class VerifyNotice(APIView):
    """Verify a notice by the code printed on it. Rate-limited per client address."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[type] = []  # public, and no CSRF or session needed

    @extend_schema(
        operation_id="notices_verify",
        tags=["notices"],
        parameters=[
            OpenApiParameter(
                "code",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="The verification code as printed (case, spaces and dashes do not matter).",
            )
        ],
        responses={
            200: VerificationSerializer,
            400: OpenApiResponse(description="Not a verification code (problem+json)."),
            404: OpenApiResponse(description="Forged/altered code, or no such notice (problem+json)."),
            429: OpenApiResponse(description="Too many verifications from this address (problem+json)."),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        if not verification_allowed(client_address(request)):
            window = rate_limit()[1]
            body = problem_body(
                status_code=429,
                code="rate-limited",
                detail_de="Zu viele Prüfungen. Bitte warten Sie eine Minute.",
                detail_en="Too many verifications. Please wait a minute.",
                instance=request.path,
            )
            return Response(
                body, status=429, content_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": str(window)}
            )
        result = selectors.notice_verify(text=code)
        if result.verdict in _PROBLEMS:
            status_code, problem_code, detail_de, detail_en = _PROBLEMS[result.verdict]
            raise Problem(detail_de, detail_en, status_code=status_code, code=problem_code)
        response = Response(VerificationSerializer(result).data)
        response["Cache-Control"] = "no-store"
        return response


urlpatterns: list[URLPattern] = [
    path("verify/<str:code>", VerifyNotice.as_view(), name="api-notice-verify"),
]
