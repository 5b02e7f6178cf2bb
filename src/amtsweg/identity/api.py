"""Identity API (under /api/v1/): how the caller is logged in and whom they may act for.

``GET /me/identity`` answers for citizens (session or token). Choosing the organisation one acts
for is part of the session (``POST /me/identity/organisation``); token clients act as private persons.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import IsCitizenAccount, citizen_of
from amtsweg.core.problems import Problem

from .assurance import organisation_choose
from .levels import LEVELS, TrustLevel
from .selectors import identity_summary, organisation_for

TAGS = ["me"]


class OrganisationSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    identifier = serializers.CharField()
    legal_form = serializers.CharField()
    verified_by = serializers.CharField(help_text="login method that proved the organisation")


class IdentitySerializer(serializers.Serializer[Any]):
    trust_level = serializers.ChoiceField(
        choices=TrustLevel.choices, help_text="TR-03107-1 level of this login"
    )
    eidas_level = serializers.CharField()
    stork_level = serializers.CharField()
    login_method = serializers.CharField()
    authenticated_at = serializers.DateTimeField(allow_null=True)
    organisations = OrganisationSerializer(many=True)
    acting_for = serializers.IntegerField(
        allow_null=True, help_text="id of the organisation acted for, or null"
    )


class OrganisationChoiceSerializer(serializers.Serializer[Any]):
    organisation = serializers.IntegerField(allow_null=True, help_text="null: act as a private person")


def _identity(request: Request) -> dict[str, Any]:
    summary = identity_summary(request._request, citizen_of(request))
    info = LEVELS[TrustLevel(summary["level"])]
    return {
        "trust_level": summary["level"],
        "eidas_level": info.eidas,
        "stork_level": info.stork,
        "login_method": summary["method"],
        "authenticated_at": summary["authenticated_at"],
        "organisations": [
            {
                "id": o.pk,
                "name": o.name,
                "identifier": o.identifier,
                "legal_form": o.legal_form,
                "verified_by": o.verified_by,
            }
            for o in summary["organisations"]
        ],
        "acting_for": summary["acting_for"].pk if summary["acting_for"] else None,
    }


@extend_schema(tags=TAGS)
class MyIdentity(APIView):
    """The caller's login: trust level (with eIDAS and STORK names), method, organisations."""

    permission_classes = [IsCitizenAccount]

    @extend_schema(responses=IdentitySerializer)
    def get(self, request: Request) -> Response:
        return Response(IdentitySerializer(_identity(request)).data)


@extend_schema(tags=TAGS)
class MyOrganisationChoice(APIView):
    """Act for one of one's organisations from now on in this session (null: privately)."""

    permission_classes = [IsCitizenAccount]

    @extend_schema(
        request=OrganisationChoiceSerializer,
        responses={200: IdentitySerializer, 404: OpenApiResponse(description="application/problem+json")},
    )
    def post(self, request: Request) -> Response:
        choice = OrganisationChoiceSerializer(data=request.data)
        choice.is_valid(raise_exception=True)
        value = choice.validated_data["organisation"]
        organisation = organisation_for(citizen_of(request), value) if value is not None else None
        if value is not None and organisation is None:
            raise Problem(
                "Für diese Organisation dürfen Sie nicht handeln.",
                "You may not act for this organisation.",
                status_code=404,
                code="organisation-not-yours",
            )
        organisation_choose(request._request, organisation)
        return Response(IdentitySerializer(_identity(request)).data)


urlpatterns = [
    path("me/identity", MyIdentity.as_view(), name="api-me-identity"),
    path("me/identity/organisation", MyOrganisationChoice.as_view(), name="api-me-identity-organisation"),
]
