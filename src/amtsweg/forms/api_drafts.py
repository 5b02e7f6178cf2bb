"""The citizen's application API (``/api/v1/applications``): start, fill in, upload, submit, read.

The same services as the portal: a draft is started at the authority responsible for the
applicant's town, steps are validated by the form engine (422 problem+json with the errors per
field path), uploads are sniffed, size-checked and scanned, and submission is idempotent (the same
response for every repeat, also under an ``Idempotency-Key``). Session or token authentication,
citizen accounts only (staff 403, anonymous 401); another person's application is a 404.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, citizen_of
from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.identity.assurance import assurance_of
from amtsweg.identity.models import User
from amtsweg.tenancy.responsibility import responsibility_resolve

from . import engine, services
from .models import Draft

TAGS = ["applications"]
PROBLEM = OpenApiResponse(description="application/problem+json")
IDEMPOTENCY_SECONDS = 24 * 3600


class InvalidAnswers(Problem):
    status_code = 422
    code = "invalid-answers"


# --- serializers ------------------------------------------------------------------------------


class ApplicationStartSerializer(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$", help_text="LeiKa key of the service")
    authority = serializers.RegexField(
        r"^\d{8}$",
        help_text="AGS of the applicant's town (place of residence); the responsible authority is resolved "
        "from it (a Kreis-level service goes to the Kreis)",
    )


class ApplicationSerializer(serializers.Serializer[Draft]):
    id = serializers.UUIDField()
    service = serializers.CharField(source="service.leika_key", help_text="LeiKa key")
    service_name = serializers.CharField(source="service.name")
    authority = serializers.CharField(source="authority.ags", help_text="AGS of the responsible authority")
    authority_name = serializers.CharField(source="authority.name")
    status = serializers.SerializerMethodField(help_text="draft or submitted")
    reference = serializers.SerializerMethodField(help_text="the case's reference number once submitted")
    current_step = serializers.CharField()
    completed_steps = serializers.ListField(child=serializers.CharField())
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    submitted_at = serializers.DateTimeField(allow_null=True)

    @extend_schema_field(serializers.CharField(help_text="draft or submitted"))
    def get_status(self, draft: Draft) -> str:
        return "submitted" if draft.submitted_at else "draft"

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_reference(self, draft: Draft) -> str | None:
        submission = getattr(draft, "submission", None) if draft.submitted_at else None
        case = getattr(submission, "case", None) if submission is not None else None
        return case.reference if case is not None else None


class ApplicationDocumentSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    field = serializers.CharField(source="field_key", help_text="the file field it was uploaded for")
    filename = serializers.CharField()
    content_type = serializers.CharField(help_text="sniffed from the content")
    size = serializers.IntegerField()
    sha256 = serializers.CharField()


class ApplicationStepSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    title = serializers.CharField()
    completed = serializers.BooleanField()


class ApplicationDetailSerializer(ApplicationSerializer):
    form_version = serializers.IntegerField(source="form_version.number")
    form = serializers.JSONField(
        source="form_version.schema",
        help_text="The form definition (FormSchema) this application is filled in on",
    )
    # "data" and "partial" are the API's field names; DRF takes declared fields off the class, so they do
    # not shadow Serializer.data/.partial at run time (the type checker cannot know that).
    data = serializers.JSONField(help_text="the answers saved so far, by field key")  # type: ignore[assignment]
    steps = serializers.SerializerMethodField(help_text="the steps that apply with the answers so far")
    documents = serializers.SerializerMethodField()

    @extend_schema_field(ApplicationStepSerializer(many=True))
    def get_steps(self, draft: Draft) -> list[dict[str, Any]]:
        return [
            {"key": step.key, "title": str(step.title), "completed": step.key in draft.completed_steps}
            for step in engine.visible_steps(draft.form_version.parsed, draft.data)
        ]

    @extend_schema_field(ApplicationDocumentSerializer(many=True))
    def get_documents(self, draft: Draft) -> Any:
        return ApplicationDocumentSerializer(draft.documents.order_by("created_at"), many=True).data


class StepSaveSerializer(serializers.Serializer[Any]):
    step = serializers.RegexField(r"^[a-z][a-z0-9_]{0,62}$", help_text="key of the step")
    data = serializers.DictField(  # type: ignore[assignment]
        child=serializers.JSONField(),
        help_text="answers of that step by field key, as in the form definition",
    )
    partial = serializers.BooleanField(  # type: ignore[assignment]
        default=False,
        help_text="true: save what is well-formed without requiring completeness (save for later)",
    )


class DocumentUploadSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="PDF, JPEG or PNG (unless the field says otherwise)")
    field = serializers.RegexField(r"^[a-z][a-z0-9_]{0,62}$", help_text="key of the file field")


class SubmissionSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField(help_text="the application (draft) id")
    submission = serializers.UUIDField()
    reference = serializers.CharField(allow_null=True)
    authority = serializers.CharField(help_text="AGS of the authority the application went to")
    authority_name = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    status = serializers.CharField()


# --- views ------------------------------------------------------------------------------------


def _own_drafts(user: User) -> QuerySet[Draft]:
    return (
        Draft.objects.filter(applicant=user)
        .select_related("service", "authority", "form_version", "submission__case")
        .order_by("-updated_at", "id")
    )


def _draft(request: Request, pk: uuid.UUID) -> Draft:
    draft = services.draft_get_for_applicant(draft_id=pk, applicant=citizen_of(request))
    return draft


def _detail(draft: Draft) -> Any:
    fresh = _own_drafts(draft.applicant).get(pk=draft.pk)
    return ApplicationDetailSerializer(fresh).data


class ApplicationList(generics.GenericAPIView[Draft]):
    """The caller's applications: drafts in progress and submitted ones (with their reference)."""

    permission_classes = [IsCitizenAccount]
    serializer_class = ApplicationSerializer

    def get_queryset(self) -> QuerySet[Draft]:
        return _own_drafts(citizen_of(self.request))

    @extend_schema(
        tags=TAGS, operation_id="applications_list", responses={200: ApplicationSerializer(many=True)}
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # the API always paginates lists
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="applications_create",
        request=ApplicationStartSerializer,
        responses={201: ApplicationDetailSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
    )
    def post(self, request: Request) -> Response:
        """Start an application at the authority responsible for the applicant's town."""
        body = ApplicationStartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        service = Service.objects.filter(leika_key=body.validated_data["service"]).first()
        if service is None:
            raise NotFoundProblem(
                "Diese Leistung gibt es nicht.", "There is no such service.", code="unknown-service"
            )
        responsibility = responsibility_resolve(service=service, ags=body.validated_data["authority"])
        draft = services.draft_start(
            service=service, authority=responsibility.authority, applicant=citizen_of(request)
        )
        return Response(_detail(draft), status=status.HTTP_201_CREATED)


class ApplicationDetail(APIView):
    """One application: its form definition, the answers so far, steps, uploads; save a step; delete."""

    permission_classes = [IsCitizenAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="applications_retrieve",
        responses={200: ApplicationDetailSerializer, 404: PROBLEM},
    )
    def get(self, request: Request, pk: uuid.UUID) -> Response:
        return Response(_detail(_draft(request, pk)))

    @extend_schema(
        tags=TAGS,
        operation_id="applications_step_save",
        request=StepSaveSerializer,
        responses={200: ApplicationDetailSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def patch(self, request: Request, pk: uuid.UUID) -> Response:
        """Save the answers of one step; 422 with ``errors`` (field path → messages) saves nothing."""
        draft = _draft(request, pk)
        body = StepSaveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.draft_step_save(
            draft=draft,
            step_key=body.validated_data["step"],
            raw=body.validated_data["data"],
            actor=citizen_of(request),
            partial=body.validated_data["partial"],
        )
        if result.errors:
            raise InvalidAnswers(
                "Einige Angaben sind ungültig oder fehlen; siehe „errors“.",
                "Some answers are invalid or missing; see 'errors'.",
                extra={"errors": result.errors},
            )
        return Response(_detail(result.draft))

    @extend_schema(
        tags=TAGS, operation_id="applications_destroy", responses={204: None, 404: PROBLEM, 409: PROBLEM}
    )
    def delete(self, request: Request, pk: uuid.UUID) -> Response:
        """Delete a draft with its uploads; a submitted application cannot be deleted (409)."""
        services.draft_delete(draft=_draft(request, pk), actor=citizen_of(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApplicationDocuments(APIView):
    """Upload a file for a file field; answer the field with the returned id (PATCH)."""

    permission_classes = [IsCitizenAccount]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAGS,
        operation_id="applications_documents_create",
        request={"multipart/form-data": DocumentUploadSerializer},
        responses={
            201: ApplicationDocumentSerializer,
            400: PROBLEM,
            404: PROBLEM,
            409: PROBLEM,
            413: PROBLEM,
            422: PROBLEM,
            503: PROBLEM,
        },
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        draft = _draft(request, pk)
        body = DocumentUploadSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        document = services.draft_document_add(
            draft=draft,
            upload=body.validated_data["file"],
            field_key=body.validated_data["field"],
            actor=citizen_of(request),
        )
        return Response(ApplicationDocumentSerializer(document).data, status=status.HTTP_201_CREATED)


class ApplicationDocument(APIView):
    permission_classes = [IsCitizenAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="applications_documents_destroy",
        responses={204: None, 404: PROBLEM, 409: PROBLEM},
    )
    def delete(self, request: Request, pk: uuid.UUID, document_id: uuid.UUID) -> Response:
        """Delete an upload of a draft (and its id from the answers)."""
        services.draft_document_remove(
            draft=_draft(request, pk), document_id=document_id, actor=citizen_of(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


def _idempotency_check(request: Request, draft: Draft) -> None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise Problem(
            "Der Idempotency-Key muss 1 bis 255 druckbare Zeichen lang sein.",
            "The Idempotency-Key must be 1 to 255 printable characters.",
            code="invalid-idempotency-key",
        )
    digest = hashlib.sha256(key.encode()).hexdigest()
    cache_key = f"idempotency:submit:{draft.applicant_id}:{digest}"
    cache.add(cache_key, str(draft.id), timeout=IDEMPOTENCY_SECONDS)
    if cache.get(cache_key) != str(draft.id):
        raise Problem(
            "Dieser Idempotency-Key wurde schon für einen anderen Antrag verwendet.",
            "This Idempotency-Key was already used for another application.",
            status_code=422,
            code="idempotency-key-reused",
        )


class ApplicationSubmit(APIView):
    """Submit the application: exactly once, whatever the number of retries."""

    permission_classes = [IsCitizenAccount]

    @extend_schema(
        tags=TAGS,
        operation_id="applications_submit",
        request=None,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="A key of the client's choice; a repeat with the same key gets the same "
                "response, the same key for another application is refused (422).",
            )
        ],
        responses={201: SubmissionSerializer, 404: PROBLEM, 422: PROBLEM},
    )
    def post(self, request: Request, pk: uuid.UUID) -> Response:
        """Every repeat (a retry after a timeout, a double click) returns the same submission."""
        from amtsweg.cases.services import submission_submit  # cases imports forms; imported late

        user = citizen_of(request)
        draft = _draft(request, pk)
        _idempotency_check(request, draft)
        # Incomplete answers raise InvalidSubmission (422, code "invalid-answers", with "errors").
        submission = submission_submit(
            draft=draft, actor=user, channel=CHANNEL_API, assurance=assurance_of(request)
        )
        case = getattr(submission, "case", None)
        body = {
            "id": draft.id,
            "submission": submission.id,
            "reference": case.reference if case is not None else None,
            "authority": draft.authority.ags,
            "authority_name": draft.authority.name,
            "submitted_at": submission.submitted_at,
            "status": "submitted",
        }
        return Response(SubmissionSerializer(body).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("applications", ApplicationList.as_view(), name="api-application-list"),
    path("applications/<uuid:pk>", ApplicationDetail.as_view(), name="api-application-detail"),
    path(
        "applications/<uuid:pk>/documents", ApplicationDocuments.as_view(), name="api-application-documents"
    ),
    path(
        "applications/<uuid:pk>/documents/<uuid:document_id>",
        ApplicationDocument.as_view(),
        name="api-application-document",
    ),
    path("applications/<uuid:pk>/submit", ApplicationSubmit.as_view(), name="api-application-submit"),
]
