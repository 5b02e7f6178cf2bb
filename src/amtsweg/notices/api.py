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
from .serializers import VerificationSerializer, verification_body
from .verification import Verdict

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
    """Verify a notice by the code printed on it; a certificate names its holder (name, year of birth).

    Rate-limited per client address: failed verifications block the address for a while, and a
    burst guard slows floods. Needs no session or authentication (nor their database reads)."""

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
            429: OpenApiResponse(
                description="Too many failed verifications, or too many at once, from this address "
                "(problem+json; Retry-After says for how long)."
            ),
        },
    )
    def get(self, request: Request, code: str) -> Response:
        result, wait = selectors.notice_verify_limited(text=code, address=client_address(request))
        if result is None:
            minutes = max(1, -(-wait // 60))
            body = problem_body(
                status_code=429,
                code="rate-limited",
                detail_de=f"Zu viele Prüfungen. Bitte versuchen Sie es in {minutes} Minute(n) noch einmal.",
                detail_en=f"Too many verifications. Please try again in {minutes} minute(s).",
                instance=request.path,
            )
            return Response(
                body, status=429, content_type=PROBLEM_CONTENT_TYPE, headers={"Retry-After": str(wait)}
            )
        if result.verdict in _PROBLEMS:
            status_code, problem_code, detail_de, detail_en = _PROBLEMS[result.verdict]
            raise Problem(detail_de, detail_en, status_code=status_code, code=problem_code)
        # The serializer documents the body (OpenAPI); the dict is built directly, without its per-request
        # field set-up, on this endpoint that must answer a thousand requests a second.
        response = Response(verification_body(result))
        response["Cache-Control"] = "no-store"
        return response


urlpatterns: list[URLPattern] = [
    path("verify/<str:code>", VerifyNotice.as_view(), name="api-notice-verify"),
]
