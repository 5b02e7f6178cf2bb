"""The health office's staff API of the instruction (under ``/api/v1/ifsg/staff/<ags>/``): statistics,
certificates (list, revoke), material versions and the question pool. Staff accounts only; the
authority comes from the URL through ``tenancy.access`` (another authority: 404 problem+json).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.identity.models import User
from amtsweg.notices.models import Notice
from amtsweg.tenancy import access

from . import selectors_stats, services_admin
from .forms_staff import parse_month
from .models import Certificate, Material, Programme, Question
from .serializers_staff import (
    CertificateListQuery,
    CertificateSerializer,
    MaterialSerializer,
    QuestionSerializer,
    RevokeInput,
    StatisticsQuery,
    StatisticsSerializer,
)

PROBLEM = OpenApiResponse(description="application/problem+json")
TAGS = ["ifsg"]
VIA_PROGRAMME = "programme__authority"


def _staff(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsStaffAccount
    return request.user


def _programme(request: Request, ags: str) -> Programme:
    authority = access.authority_for_user(request.user, ags)
    programme = access.scope(Programme.objects.filter(authority=authority), request.user).first()
    if programme is None:
        raise Http404
    return programme


class StaffStatistics(APIView):
    """Certificates per month and language, pass rates, the items failing most often, revocations."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_staff_statistics",
        parameters=[StatisticsQuery],
        responses={200: StatisticsSerializer, 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str) -> Response:
        programme = _programme(request, ags)
        query = validated_query(StatisticsQuery, request)
        stats = selectors_stats.statistics(
            programme=programme,
            user=_staff(request),
            month=parse_month(query.get("month", "")),
            language=query.get("language"),
        )
        return Response(StatisticsSerializer(stats).data)


class StaffCertificateList(ListAPIView[Certificate]):
    """The authority's certificates, newest first; filter by name, month of issue and status."""

    permission_classes = [IsStaffAccount]
    serializer_class = CertificateSerializer

    def get_queryset(self) -> QuerySet[Certificate]:
        programme = _programme(self.request, self.kwargs["ags"])
        query = validated_query(CertificateListQuery, self.request)
        rows = access.scope(
            Certificate.objects.filter(authority_id=programme.authority_id), self.request.user
        ).select_related("notice", "authority")
        if query.get("q"):
            rows = rows.filter(holder_name__icontains=query["q"].strip())
        if query.get("month"):
            period = selectors_stats.period_for(parse_month(query["month"]))
            rows = rows.filter(issued_at__gte=period.start, issued_at__lt=period.end)
        if query.get("status") == "revoked":
            rows = rows.filter(notice__status=Notice.Status.REVOKED)
        elif query.get("status") == "valid":
            rows = rows.exclude(notice__status=Notice.Status.REVOKED)
        return rows.order_by("-issued_at", "-pk")

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_staff_certificates_list",
        parameters=[CertificateListQuery],
        responses={200: CertificateSerializer(many=True), 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffCertificateRevoke(APIView):
    """Revoke a certificate: the public verification answers "revoked" from now on."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_staff_certificates_revoke",
        request=RevokeInput,
        responses={200: CertificateSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, ags: str, pk: int) -> Response:
        programme = _programme(request, ags)
        certificate = access.get_for_user(
            Certificate.objects.filter(authority_id=programme.authority_id).select_related(
                "notice", "authority"
            ),
            request.user,
            channel=CHANNEL_API,
            pk=pk,
        )
        data = RevokeInput(data=request.data)
        data.is_valid(raise_exception=True)
        certificate = services_admin.certificate_revoke(
            certificate=certificate,
            actor=_staff(request),
            reason=data.validated_data["reason"],
            channel=CHANNEL_API,
        )
        return Response(CertificateSerializer(certificate).data)


class StaffMaterialList(ListAPIView[Material]):
    """Every version of the material per language (draft, published, retired)."""

    permission_classes = [IsStaffAccount]
    serializer_class = MaterialSerializer

    def get_queryset(self) -> QuerySet[Material]:
        programme = _programme(self.request, self.kwargs["ags"])
        return access.scope(
            Material.objects.filter(programme=programme), self.request.user, via=VIA_PROGRAMME
        ).order_by("language", "-version")

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_staff_materials_list",
        responses={200: MaterialSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class StaffQuestionList(ListAPIView[Question]):
    """The question pool with the texts per language and the languages still missing."""

    permission_classes = [IsStaffAccount]
    serializer_class = QuestionSerializer

    def get_queryset(self) -> QuerySet[Question]:
        programme = _programme(self.request, self.kwargs["ags"])
        return access.scope(
            Question.objects.filter(programme=programme), self.request.user, via=VIA_PROGRAMME
        ).order_by("number")

    @extend_schema(
        tags=TAGS,
        operation_id="ifsg_staff_questions_list",
        responses={200: QuestionSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


P = "ifsg/staff/<str:ags>/"

urlpatterns: list[URLPattern] = [
    path(f"{P}statistics/", StaffStatistics.as_view(), name="api-ifsg-staff-statistics"),
    path(f"{P}certificates/", StaffCertificateList.as_view(), name="api-ifsg-staff-certificate-list"),
    path(
        f"{P}certificates/<int:pk>/revoke/",
        StaffCertificateRevoke.as_view(),
        name="api-ifsg-staff-certificate-revoke",
    ),
    path(f"{P}materials/", StaffMaterialList.as_view(), name="api-ifsg-staff-material-list"),
    path(f"{P}questions/", StaffQuestionList.as_view(), name="api-ifsg-staff-question-list"),
]
