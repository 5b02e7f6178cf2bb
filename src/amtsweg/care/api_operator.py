"""REST API of the care finder: the operators' write API for facility software (token or session).

An operator's account (token: ``Authorization: Token …``) sees and changes only the facilities of its
operator (``care.access``); any other id is a 404. Reports take an optional ``Idempotency-Key``
header: a retried request with the same key stores nothing new and answers 200 with the reports
stored the first time (201 when new).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User

from . import access, services, services_facilities
from .models import Facility, VacancyReport
from .serializers_operator import (
    FacilityPatchSerializer,
    OperatorFacilitySerializer,
    ReportRequestSerializer,
    ReportSerializer,
)

TAGS = ["care-operator"]
PROBLEM = OpenApiResponse(description="application/problem+json")
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 100 characters (e.g. a UUID) per report; a retry with the "
    "same key returns the stored reports (200) instead of storing again.",
)


def _user(request: Request) -> User:
    assert isinstance(request.user, User)
    return request.user


def _facility(request: Request, pk: int) -> Facility:
    return access.facility_for_operator(request.user, pk)


def _facility_data(facility: Facility) -> dict[str, Any]:
    return dict(OperatorFacilitySerializer(facility).data)


class OperatorFacilityList(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="care_operator_facility_list",
        summary="The facilities the caller's operator manages, with the current state of each offer",
        responses={200: OperatorFacilitySerializer(many=True), 401: PROBLEM, 403: PROBLEM},
    )
    def get(self, request: Request) -> Response:
        facilities = (
            access.operator_facilities(request.user).prefetch_related("offers").order_by("name", "id")
        )
        return Response(OperatorFacilitySerializer(facilities, many=True).data)


class OperatorFacilityDetail(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="care_operator_facility_update",
        summary="Change contact, description, specialisations, languages and own share (partial)",
        request=FacilityPatchSerializer,
        responses={200: OperatorFacilitySerializer, 400: PROBLEM, 401: PROBLEM, 404: PROBLEM},
    )
    def patch(self, request: Request, pk: int) -> Response:
        facility = _facility(request, pk)
        serializer = FacilityPatchSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        own_shares: dict[str, dict[str, Decimal]] | None = None
        if "own_share" in data:
            own_shares = {
                care_type: {grade: value for grade, value in grades.items() if value is not None}
                for care_type, grades in data["own_share"].items()
            }
        details = services_facilities.FacilityDetails(
            phone=data.get("phone"),
            email=data.get("email"),
            report_email=data.get("report_email"),
            website=data.get("website"),
            description=data.get("description"),
            specialisations=data.get("specialisations"),
            languages=data.get("languages"),
            own_shares=own_shares,
        )
        services_facilities.facility_update_by_operator(
            facility=facility, actor=_user(request), details=details, channel=CHANNEL_API
        )
        fresh = Facility.objects.prefetch_related("offers").get(pk=facility.pk)
        return Response(_facility_data(fresh))


class OperatorReports(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        operation_id="care_operator_report_list",
        summary="Report history of a facility, newest first (paginated)",
        responses={200: ReportSerializer(many=True), 401: PROBLEM, 404: PROBLEM},
        parameters=[
            OpenApiParameter("limit", int, OpenApiParameter.QUERY, required=False),
            OpenApiParameter("offset", int, OpenApiParameter.QUERY, required=False),
        ],
    )
    def get(self, request: Request, pk: int) -> Response:
        facility = _facility(request, pk)
        reports = (
            VacancyReport.objects.filter(offer__facility=facility)
            .select_related("offer")
            .order_by("-reported_at", "-id")
        )
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(reports, request, view=self)
        return paginator.get_paginated_response(ReportSerializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="care_operator_report_create",
        summary="Report free places now (and optionally expected free places by date) per care type",
        description='One line per care type; all lines get the same time. "All full" is a report of '
        "0 for every care type. With an Idempotency-Key a retry returns the stored reports (200).",
        request=ReportRequestSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={
            201: ReportSerializer(many=True),
            200: ReportSerializer(many=True),
            400: PROBLEM,
            401: PROBLEM,
            404: PROBLEM,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        facility = _facility(request, pk)
        serializer = ReportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key", "").strip()
        if len(key) > 100:
            raise Problem(
                "Der Idempotency-Key ist länger als 100 Zeichen.",
                "The Idempotency-Key exceeds 100 characters.",
                code="care-report-invalid",
            )
        lines = [
            services.ReportLine(
                care_type=line["care_type"],
                free_places=line["free_places"],
                expected=[(entry["date"], entry["places"]) for entry in line.get("expected", [])],
            )
            for line in serializer.validated_data["lines"]
        ]
        now = timezone.now()
        reports = services.vacancy_report_submit(
            facility=facility,
            actor=_user(request),
            lines=lines,
            channel=CHANNEL_API,
            request_key=key,
            now=now,
        )
        # A replayed key returns the reports stored by the first request, with their own time.
        replayed = reports[0].reported_at != now
        return Response(
            ReportSerializer(reports, many=True).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )


urlpatterns: list[URLPattern] = [
    path("care/operator/facilities", OperatorFacilityList.as_view(), name="api-care-operator-facility-list"),
    path(
        "care/operator/facilities/<int:pk>",
        OperatorFacilityDetail.as_view(),
        name="api-care-operator-facility-detail",
    ),
    path(
        "care/operator/facilities/<int:pk>/reports",
        OperatorReports.as_view(),
        name="api-care-operator-reports",
    ),
]
