"""REST API of the care finder: the Heimaufsicht's reads (see api.py). Staff accounts of the
supervising authority only (``tenancy.access``: another authority → 404 problem+json)."""

from __future__ import annotations

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import IsStaffAccount, validated_query
from amtsweg.tenancy import access

from .models import CareFinder
from .selectors_supervision import facility_rows

PROBLEM = OpenApiResponse(description="application/problem+json")


class SupervisionQuery(serializers.Serializer[dict[str, object]]):
    overdue = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Only facilities whose last report is escalate_after_days or more days old (or missing).",
    )


class SupervisionRowSerializer(serializers.Serializer[object]):
    facility_id = serializers.IntegerField()
    name = serializers.CharField()
    town = serializers.CharField()
    operator = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField(
        help_text="Reminder address (report_email, else the public e-mail); empty: none."
    )
    last_reported_at = serializers.DateTimeField(allow_null=True)
    days_since = serializers.IntegerField(allow_null=True, help_text="Calendar days since the last report.")
    reminders_30d = serializers.IntegerField()


class SupervisionFacilities(APIView):
    """The supervised facilities with their reporting record, worst first (the Heimaufsicht's list)."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="care_supervision_facilities",
        tags=["care"],
        parameters=[SupervisionQuery, OpenApiParameter("ags", str, OpenApiParameter.PATH)],
        responses={200: SupervisionRowSerializer(many=True), 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str) -> Response:
        authority = access.authority_for_user(request.user, ags)
        finder = access.scope(CareFinder.objects.filter(authority=authority), request.user).first()
        if finder is None:
            raise Http404
        query = validated_query(SupervisionQuery, request)
        rows = facility_rows(finder, overdue_only=bool(query.get("overdue")))
        return Response(SupervisionRowSerializer(rows, many=True).data)


urlpatterns: list[URLPattern] = [
    path(
        "care/supervision/<str:ags>/facilities",
        SupervisionFacilities.as_view(),
        name="api-care-supervision-facilities",
    ),
]
