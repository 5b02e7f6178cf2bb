"""Staff API of the counter entry (``POST /api/v1/staff/counter/applications``): the back-office page's
equivalent for counter software, with the same service (``services_counter.counter_submit``).

The authority is named by its AGS and resolved through ``tenancy.access`` (404 for any other
authority, so nobody can probe); answers are the form's JSON answers as in the drafts API. Files
are not taken here (the landlord's confirmation is optional and can be handed in later).
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import IsStaffAccount
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from .services_counter import CounterApplicant, counter_service, counter_submit

PROBLEM = OpenApiResponse(description="application/problem+json")


class CounterApplicantInput(serializers.Serializer[Any]):
    existing = serializers.BooleanField(
        help_text="true: the citizen account with this e-mail address; false: a new citizen record"
    )
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    first_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")
    last_name = serializers.CharField(required=False, allow_blank=True, max_length=150, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["existing"] and not attrs["email"]:
            raise serializers.ValidationError({"email": "needed to find an existing account"})
        if not attrs["existing"] and not (attrs["first_name"].strip() and attrs["last_name"].strip()):
            raise serializers.ValidationError({"last_name": "a new record needs first and last name"})
        return attrs


class CounterApplicationInput(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^[0-9]{8}$", help_text="AGS of the clerk's authority")
    service = serializers.RegexField(r"^[0-9]{14}$", help_text="LeiKa key of a service with a published form")
    entry = serializers.UUIDField(
        help_text="random id chosen by the client: a repeat returns the first result"
    )
    identity_checked = serializers.BooleanField(
        help_text="the clerk checked the ID card in person; must be true"
    )
    applicant = CounterApplicantInput()
    answers = serializers.DictField(help_text="the form's answers by field key (as in the drafts API)")

    def validate_identity_checked(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("a counter entry needs the ID card checked in person")
        return value


class CounterApplicationResult(serializers.Serializer[Any]):
    submission = serializers.UUIDField()
    case = serializers.IntegerField()
    reference = serializers.CharField()
    applicant = serializers.IntegerField()


@extend_schema(
    tags=["staff"],
    request=CounterApplicationInput,
    responses={
        201: CounterApplicationResult,
        400: PROBLEM,
        401: PROBLEM,
        403: PROBLEM,
        404: PROBLEM,
        409: PROBLEM,
        422: PROBLEM,
    },
    summary="Submit an application entered at the counter",
)
class CounterApplicationCreate(APIView):
    """Submit an application for a citizen present at the counter (level "hoch", channel "counter").

    422 with ``errors`` by field path when answers are invalid (nothing is stored); 409 when a new
    record's address already has an account (use ``existing``) or ``entry`` belongs to something else.
    """

    permission_classes = [IsStaffAccount]

    def post(self, request: Request) -> Response:
        serializer = CounterApplicationInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = request.user
        assert isinstance(actor, User)  # IsStaffAccount
        authority = access.authority_for_user(actor, data["authority"])
        chosen = counter_service(authority=authority, leika_key=data["service"])
        if chosen is None:
            raise Problem(
                "Diese Leistung hat bei Ihrer Behörde kein veröffentlichtes Formular.",
                "This service has no published form at your authority.",
                status_code=404,
                code="service-not-offered",
            )
        person = data["applicant"]
        submission = counter_submit(
            authority=authority,
            service=chosen.service,
            applicant=CounterApplicant(
                existing=person["existing"],
                email=person["email"],
                first_name=person["first_name"],
                last_name=person["last_name"],
            ),
            answers=data["answers"],
            files={},
            entry_id=data["entry"],
            actor=actor,
        )
        case = submission.case
        result = {
            "submission": submission.pk,
            "case": case.pk,
            "reference": case.reference,
            "applicant": case.applicant_id,
        }
        return Response(CounterApplicationResult(result).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path(
        "staff/counter/applications", CounterApplicationCreate.as_view(), name="api-staff-counter-application"
    ),
]
