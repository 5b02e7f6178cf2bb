"""REST API of the forms module (mounted under /api/v1/): the published form of a service, and form
management for staff (list, detail, XDatenfelder import, publish), scoped through ``tenancy.access``."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from amtsweg.catalog.models import Service
from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import FormDefinition, FormVersion
from .selectors import (
    form_definition_get,
    form_definitions_for,
    form_version_get,
    may_change_forms_of,
    published_form_for,
)
from .serializers import (
    FormDefinitionSerializer,
    FormImportResultSerializer,
    FormImportSerializer,
    FormVersionSerializer,
    PublishedFormSerializer,
)
from .services import form_import_xdatenfelder, form_version_publish
from .xdatenfelder import MAX_FILE_BYTES

# Multipart overhead on top of the file itself; anything larger is refused before it is parsed.
UPLOAD_OVERHEAD_BYTES = 64 * 1024


class PublishedFormQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(
        r"^\d{8}$",
        required=False,
        help_text="AGS of the responsible authority: its variant is returned when it has one",
    )


class PublishedFormView(generics.GenericAPIView[FormVersion]):
    """The published form of a service: the authority's variant if it has one, else the alliance form."""

    serializer_class = PublishedFormSerializer

    @extend_schema(
        parameters=[PublishedFormQuery],
        responses=PublishedFormSerializer,
        tags=["forms"],
        operation_id="services_form_retrieve",
    )
    def get(self, request: Request, leika_key: str) -> Response:
        params = validated_query(PublishedFormQuery, request)
        service = Service.objects.filter(leika_key=leika_key).first()
        if service is None:
            raise NotFoundProblem("Diese Leistung gibt es nicht.", "There is no such service.")
        authority = None
        if "authority" in params:
            authority = Authority.objects.filter(ags=params["authority"], is_active=True).first()
            if authority is None:
                raise NotFoundProblem("Diese Behörde gibt es nicht.", "There is no such authority.")
        version = published_form_for(service=service, authority=authority)
        if version is None:
            raise NotFoundProblem(
                "Für diese Leistung ist kein Online-Formular veröffentlicht.",
                "No online form is published for this service.",
                code="no-form",
            )
        return Response(PublishedFormSerializer(version).data)


class StaffFormFilter(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$", required=False, help_text="LeiKa key of the service")
    authority = serializers.RegexField(
        r"^\d{8}$", required=False, help_text="Only the variants of this authority (AGS)"
    )
    alliance = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only alliance forms; false: only variants",
    )


@extend_schema(parameters=[StaffFormFilter], tags=["staff"])
class StaffFormList(generics.ListAPIView[FormDefinition]):
    """Forms the acting user may see: alliance forms of services their authorities offer, and variants."""

    serializer_class = FormDefinitionSerializer
    permission_classes = [IsStaffAccount]

    def get_queryset(self) -> QuerySet[FormDefinition]:
        params = validated_query(StaffFormFilter, self.request)
        queryset = form_definitions_for(self.request.user).select_related("service", "authority")
        if "service" in params:
            queryset = queryset.filter(service__leika_key=params["service"])
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        if params.get("alliance") is not None:
            queryset = queryset.filter(authority__isnull=params["alliance"])
        return queryset.prefetch_related("versions").order_by("service__name", "authority__ags", "id")


@extend_schema(tags=["staff"])
class StaffFormDetail(generics.GenericAPIView[FormDefinition]):
    """One form with all its versions (newest first)."""

    serializer_class = FormDefinitionSerializer
    permission_classes = [IsStaffAccount]

    def get(self, request: Request, pk: int) -> Response:
        definition = form_definition_get(user=request.user, pk=pk, channel=CHANNEL_API)
        return Response(FormDefinitionSerializer(definition).data)


@extend_schema(tags=["staff"])
class StaffFormVersionDetail(generics.GenericAPIView[FormVersion]):
    """One version with its full definition (steps, fields, unsupported constructs of the source)."""

    serializer_class = FormVersionSerializer
    permission_classes = [IsStaffAccount]

    def get(self, request: Request, pk: int) -> Response:
        version = form_version_get(user=request.user, pk=pk, channel=CHANNEL_API)
        return Response(FormVersionSerializer(version).data)


class _ImportTarget(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$")
    authority = serializers.RegexField(r"^\d{8}$", required=False)


class StaffFormImport(generics.GenericAPIView[FormVersion]):
    """Import an XDatenfelder file as a new draft version (201), or find it unchanged (200).

    Variants need the authority's administrator role, alliance forms the alliance administrator role.
    An invalid file is rejected with every error (file, line, element, reason) in ``errors``.
    """

    serializer_class = FormImportSerializer
    permission_classes = [IsStaffAccount]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        request={"multipart/form-data": FormImportSerializer},
        responses={
            201: FormImportResultSerializer,
            200: OpenApiResponse(
                FormImportResultSerializer, description="Unchanged: identical to the newest version"
            ),
        },
        tags=["staff"],
        operation_id="staff_forms_import",
    )
    def post(self, request: Request) -> Response:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES:
            raise _too_large()
        # Who may import where is decided before the file is looked at, so other towns learn nothing.
        target = _ImportTarget(data=request.data)
        target.is_valid(raise_exception=True)
        authority = None
        if "authority" in target.validated_data:
            authority = access.authority_for_user(request.user, target.validated_data["authority"])
        if not may_change_forms_of(request.user, authority):
            raise Problem(
                "Sie dürfen dieses Formular nicht ändern.",
                "You may not change this form.",
                status_code=403,
                code="permission-denied",
            )
        service = Service.objects.filter(leika_key=target.validated_data["service"]).first()
        if service is None:
            raise NotFoundProblem("Diese Leistung gibt es nicht.", "There is no such service.")
        payload = FormImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        upload = payload.validated_data["file"]
        if upload.size is not None and upload.size > MAX_FILE_BYTES:
            raise _too_large()
        result = form_import_xdatenfelder(
            service=service,
            authority=authority,
            data=upload.read(MAX_FILE_BYTES + 1),
            filename=str(upload.name or "upload.xml")[:100],
            actor=request.user,
            publish=payload.validated_data["publish"],
            channel=CHANNEL_API,
        )
        body = FormImportResultSerializer({"created": result.created, "version": result.version}).data
        return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


def _too_large() -> Problem:
    limit = MAX_FILE_BYTES // (1024 * 1024)
    return Problem(
        f"Die Datei ist zu groß (höchstens {limit} MB).",
        f"The file is too large (at most {limit} MB).",
        status_code=413,
        code="too-large",
    )


class StaffFormVersionPublish(generics.GenericAPIView[FormVersion]):
    """Publish a version; the version published so far is retired. Citizens' drafts keep their version."""

    serializer_class = FormVersionSerializer
    permission_classes = [IsStaffAccount]

    @extend_schema(request=None, responses=FormVersionSerializer, tags=["staff"])
    def post(self, request: Request, pk: int) -> Response:
        version = form_version_get(user=request.user, pk=pk, channel=CHANNEL_API)
        published = form_version_publish(version=version, actor=request.user, channel=CHANNEL_API)
        return Response(FormVersionSerializer(published).data)


urlpatterns = [
    path("services/<str:leika_key>/form", PublishedFormView.as_view(), name="api-service-form"),
    path("staff/forms", StaffFormList.as_view(), name="api-staff-form-list"),
    path("staff/forms/import", StaffFormImport.as_view(), name="api-staff-form-import"),
    path("staff/forms/<int:pk>", StaffFormDetail.as_view(), name="api-staff-form-detail"),
    path(
        "staff/form-versions/<int:pk>", StaffFormVersionDetail.as_view(), name="api-staff-form-version-detail"
    ),
    path(
        "staff/form-versions/<int:pk>/publish",
        StaffFormVersionPublish.as_view(),
        name="api-staff-form-version-publish",
    ),
]

# The citizen's application API (drafts, uploads, submission) lives in its own module.
from . import api_drafts  # noqa: E402

urlpatterns += api_drafts.urlpatterns
