"""/api/v1/baulasten/{ags}/scans…: bulk upload, the capture queue, a scan's text and suggestions,
indexing, the four-eyes check, OCR retry and progress. Staff of the keeping authority only
(``tenancy.access``: another authority → 404 problem+json); writes through ``services_capture``."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import selectors_capture, services_capture
from .models import Register, ScanFile
from .serializers_capture import (
    CheckSerializer,
    IndexSerializer,
    ProgressSerializer,
    QueueQuery,
    ScanDetailSerializer,
    ScanSerializer,
    ScanUploadSerializer,
    UploadResultSerializer,
)

PROBLEM = OpenApiResponse(description="application/problem+json")
AGS = OpenApiParameter("ags", str, OpenApiParameter.PATH, description="AGS of the keeping authority")
PK = OpenApiParameter("pk", int, OpenApiParameter.PATH)


def _register(request: Request, ags: str) -> Register:
    authority = access.authority_for_user(request.user, ags)
    register = access.scope(Register.objects.filter(authority=authority), request.user).first()
    if register is None:
        raise Http404
    return register


def _scan(request: Request, ags: str, pk: int) -> ScanFile:
    register = _register(request, ags)
    return access.get_for_user(
        ScanFile.objects.filter(batch__register=register), request.user, channel=CHANNEL_API, pk=pk
    )


def _actor(request: Request) -> User:
    assert isinstance(request.user, User)  # IsStaffAccount
    return request.user


class ScanList(APIView):
    """The capture queue (oldest first, optionally one status) and the bulk upload."""

    permission_classes = [IsStaffAccount]
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="baulasten_scan_list",
        tags=["baulasten"],
        parameters=[AGS, QueueQuery],
        responses={200: ScanSerializer(many=True), 400: PROBLEM, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str) -> Response:
        register = _register(request, ags)
        query = validated_query(QueueQuery, request)
        scans = access.scope(selectors_capture.scans_of(register), request.user).prefetch_related(
            "parcels", "entries"
        )
        if query.get("status"):
            scans = scans.filter(status=query["status"])
        paginator = LimitOffsetPagination()
        page = paginator.paginate_queryset(scans.order_by("created_at", "pk"), request, view=self)
        return paginator.get_paginated_response(ScanSerializer(page, many=True).data)

    @extend_schema(
        operation_id="baulasten_scan_upload",
        tags=["baulasten"],
        parameters=[AGS],
        request={"multipart/form-data": ScanUploadSerializer},
        responses={
            201: UploadResultSerializer,
            200: UploadResultSerializer,
            413: PROBLEM,
            415: PROBLEM,
            422: PROBLEM,
        },
        description="Upload scanned files (PDF, TIFF): checked by content; a file the authority already "
        "has is reported under `duplicates` (200 when every file was a duplicate). All or nothing.",
    )
    def post(self, request: Request, ags: str) -> Response:
        register = _register(request, ags)
        files = request.FILES.getlist("files")
        result = services_capture.scan_batch_upload_report(
            register=register,
            actor=_actor(request),
            files=files,
            label=str(request.POST.get("name", ""))[:200],
            channel=CHANNEL_API,
        )
        body = UploadResultSerializer(
            {
                "batch": result.batch.pk if result.batch else None,
                "created": result.created,
                "duplicates": result.duplicates,
            }
        ).data
        return Response(body, status=201 if result.created else 200)


class ScanDetail(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_scan_detail",
        tags=["baulasten"],
        parameters=[AGS, PK],
        responses={200: ScanDetailSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str, pk: int) -> Response:
        return Response(ScanDetailSerializer(_scan(request, ags, pk)).data)


class ScanIndex(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_scan_index",
        tags=["baulasten"],
        parameters=[AGS, PK],
        request=IndexSerializer,
        responses={200: ScanDetailSerializer, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def post(self, request: Request, ags: str, pk: int) -> Response:
        scan = _scan(request, ags, pk)
        data = _valid(IndexSerializer, request)
        scan = services_capture.scan_index(
            scan=scan,
            actor=_actor(request),
            parcels=data["parcels"],
            entries=data["entries"],
            channel=CHANNEL_API,
        )
        return Response(ScanDetailSerializer(scan).data)


class ScanCheck(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_scan_check",
        tags=["baulasten"],
        parameters=[AGS, PK],
        request=CheckSerializer,
        responses={200: ScanDetailSerializer, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        description="Four eyes: approve or send back (note required). The indexer gets 409.",
    )
    def post(self, request: Request, ags: str, pk: int) -> Response:
        scan = _scan(request, ags, pk)
        data = _valid(CheckSerializer, request)
        scan = services_capture.scan_check(
            scan=scan, actor=_actor(request), approve=data["approve"], note=data["note"], channel=CHANNEL_API
        )
        return Response(ScanDetailSerializer(scan).data)


class ScanOcrRetry(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_scan_ocr_retry",
        tags=["baulasten"],
        parameters=[AGS, PK],
        request=None,
        responses={202: ScanSerializer, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request, ags: str, pk: int) -> Response:
        scan = services_capture.scan_ocr_retry(
            scan=_scan(request, ags, pk), actor=_actor(request), channel=CHANNEL_API
        )
        return Response(ScanSerializer(scan).data, status=202)


class ScanProgress(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_scan_progress",
        tags=["baulasten"],
        parameters=[AGS],
        responses={200: ProgressSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str) -> Response:
        register = _register(request, ags)
        scans = access.scope(selectors_capture.scans_of(register), request.user)
        towns = selectors_capture.progress_by_town(register, scans)
        towns[-2].label, towns[-1].label = "noch nicht zugeordnet", "gesamt"
        batches = selectors_capture.progress_by_batch(scans)
        return Response(ProgressSerializer({"towns": towns, "batches": batches}).data)


def _valid(serializer_class: Any, request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


urlpatterns: list[URLPattern] = [
    path("baulasten/<str:ags>/scans", ScanList.as_view(), name="api-baulasten-scans"),
    path("baulasten/<str:ags>/scans/progress", ScanProgress.as_view(), name="api-baulasten-scan-progress"),
    path("baulasten/<str:ags>/scans/<int:pk>", ScanDetail.as_view(), name="api-baulasten-scan"),
    path("baulasten/<str:ags>/scans/<int:pk>/index", ScanIndex.as_view(), name="api-baulasten-scan-index"),
    path("baulasten/<str:ags>/scans/<int:pk>/check", ScanCheck.as_view(), name="api-baulasten-scan-check"),
    path(
        "baulasten/<str:ags>/scans/<int:pk>/ocr-retry",
        ScanOcrRetry.as_view(),
        name="api-baulasten-scan-ocr-retry",
    ),
]
