"""API of authorities, offices, teams, audit events and responsibility routing."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.catalog.serializers import OfferingSerializer, ServiceSummarySerializer
from amtsweg.core.api import IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem

from . import access
from .models import AuditEvent, Authority, Membership, Office, Team
from .responsibility import responsibility_resolve
from .serializers import (
    AuditEventSerializer,
    AuthoritySerializer,
    OfficeSerializer,
    StaffAuthoritySerializer,
    TeamSerializer,
)


class AuthorityFilter(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=Authority.Kind.choices, required=False)
    # DRF collects declared fields by name, so shadowing Field.parent is fine at run time.
    parent = serializers.RegexField(  # type: ignore[assignment]
        r"^\d{8}$", required=False, help_text="AGS of the parent authority"
    )


@extend_schema(parameters=[AuthorityFilter], tags=["authorities"])
class AuthorityList(generics.ListAPIView[Authority]):
    """Active authorities of the installation (the Kreis and its towns)."""

    serializer_class = AuthoritySerializer

    def get_queryset(self) -> QuerySet[Authority]:
        params = validated_query(AuthorityFilter, self.request)
        queryset = (
            Authority.objects.filter(is_active=True).select_related("parent", "alliance").order_by("ags")
        )
        if "kind" in params:
            queryset = queryset.filter(kind=params["kind"])
        if "parent" in params:
            queryset = queryset.filter(parent__ags=params["parent"])
        return queryset


@extend_schema(tags=["authorities"])
class AuthorityDetail(generics.RetrieveAPIView[Authority]):
    serializer_class = AuthoritySerializer
    lookup_field = "ags"
    queryset = Authority.objects.filter(is_active=True).select_related("parent", "alliance")


class OfficeFilter(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS of the authority")


@extend_schema(parameters=[OfficeFilter], tags=["authorities"])
class OfficeList(generics.ListAPIView[Office]):
    serializer_class = OfficeSerializer

    def get_queryset(self) -> QuerySet[Office]:
        params = validated_query(OfficeFilter, self.request)
        queryset = (
            Office.objects.filter(authority__is_active=True)
            .select_related("authority")
            .prefetch_related("opening_hours")
            .order_by("id")
        )
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        return queryset


@extend_schema(tags=["authorities"])
class OfficeDetail(generics.RetrieveAPIView[Office]):
    serializer_class = OfficeSerializer
    queryset = (
        Office.objects.filter(authority__is_active=True)
        .select_related("authority")
        .prefetch_related("opening_hours")
    )


class ResponsibilityQuery(serializers.Serializer[Any]):
    leika = serializers.RegexField(
        r"^\d{14}$",
        help_text="14-digit LeiKa key of the service",
        error_messages={"invalid": "LeiKa key must have 14 digits."},
    )
    ags = serializers.CharField(required=False, max_length=20, help_text="AGS of the citizen's municipality")
    postcode = serializers.CharField(required=False, max_length=20)
    street = serializers.CharField(required=False, max_length=200)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("ags") and not attrs.get("postcode"):
            raise serializers.ValidationError("Give either ags or postcode (with street where needed).")
        return attrs


class ResponsibilitySerializer(serializers.Serializer[Any]):
    service = ServiceSummarySerializer()
    area = AuthoritySerializer()
    authority = AuthoritySerializer()
    offering = OfferingSerializer(allow_null=True)
    rule = serializers.ChoiceField(choices=["town", "kreis", "override"])


@extend_schema(parameters=[ResponsibilityQuery], responses=ResponsibilitySerializer, tags=["responsibility"])
class ResponsibilityView(APIView):
    """Which authority handles a service for a citizen's address (AGS, or postcode and street)."""

    def get(self, request: Request) -> Response:
        params = validated_query(ResponsibilityQuery, request)
        service = Service.objects.filter(leika_key=params["leika"]).first()
        if service is None:
            raise NotFoundProblem(
                "Diese Leistung gibt es im Katalog nicht.",
                "There is no service with this LeiKa key in the catalogue.",
                code="unknown-service",
            )
        result = responsibility_resolve(
            service=service,
            ags=params.get("ags"),
            postcode=params.get("postcode"),
            street=params.get("street"),
        )
        return Response(ResponsibilitySerializer(result).data)


# --- staff endpoints: everything below is scoped through tenancy.access ---------------------


@extend_schema(tags=["staff"])
class StaffAuthorityList(generics.ListAPIView[Authority]):
    """The authorities the acting staff member works for, with their roles there."""

    serializer_class = StaffAuthoritySerializer
    permission_classes = [IsStaffAccount]
    pagination_class = None

    def get_queryset(self) -> QuerySet[Authority]:
        return access.authorities_for(self.request.user).select_related("parent", "alliance").order_by("ags")

    def get_serializer_context(self) -> dict[str, Any]:
        context = dict(super().get_serializer_context())
        roles: dict[int, list[str]] = {}
        for authority_id, role in Membership.objects.filter(user_id=self.request.user.pk or 0).values_list(
            "authority_id", "role"
        ):
            roles.setdefault(authority_id, []).append(role)
        context["roles"] = roles
        return context


class StaffAuthorityFilter(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS: only this authority")


@extend_schema(parameters=[StaffAuthorityFilter], tags=["staff"])
class TeamList(generics.ListAPIView[Team]):
    serializer_class = TeamSerializer
    permission_classes = [IsStaffAccount]

    def get_queryset(self) -> QuerySet[Team]:
        params = validated_query(StaffAuthorityFilter, self.request)
        queryset = access.scope(Team.objects.all(), self.request.user).select_related("authority")
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        return queryset.prefetch_related("members").order_by("authority__ags", "name")


@extend_schema(tags=["staff"])
class TeamDetail(generics.RetrieveAPIView[Team]):
    serializer_class = TeamSerializer
    permission_classes = [IsStaffAccount]

    def get_object(self) -> Team:
        return access.get_for_user(
            Team.objects.select_related("authority").prefetch_related("members"),
            self.request.user,
            channel="api",
            pk=self.kwargs["pk"],
        )


@extend_schema(parameters=[StaffAuthorityFilter], tags=["staff"])
class AuditEventList(generics.ListAPIView[AuditEvent]):
    """The access audit of the authorities the acting user administers."""

    serializer_class = AuditEventSerializer
    permission_classes = [IsStaffAccount]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        params = validated_query(StaffAuthorityFilter, self.request)
        queryset = access.scope(AuditEvent.objects.all(), self.request.user, administer=True)
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        return queryset.select_related("actor", "authority").order_by("-at", "-id")


urlpatterns = [
    path("authorities", AuthorityList.as_view(), name="api-authority-list"),
    path("authorities/<str:ags>", AuthorityDetail.as_view(), name="api-authority-detail"),
    path("offices", OfficeList.as_view(), name="api-office-list"),
    path("offices/<int:pk>", OfficeDetail.as_view(), name="api-office-detail"),
    path("responsibility", ResponsibilityView.as_view(), name="api-responsibility"),
    path("staff/authorities", StaffAuthorityList.as_view(), name="api-staff-authority-list"),
    path("staff/teams", TeamList.as_view(), name="api-staff-team-list"),
    path("staff/teams/<int:pk>", TeamDetail.as_view(), name="api-staff-team-detail"),
    path("staff/audit-events", AuditEventList.as_view(), name="api-staff-audit-list"),
]
