"""Staff case API (``/api/v1/staff/cases``): list, detail, status, assignment, notes, requests, decision.

Every endpoint reads through ``cases.selectors`` (scoped by ``tenancy.access``): a case of another
authority is 404 for every method, so nobody can probe which cases exist elsewhere. Writes go through
``cases.services``; a refusal is a problem+json response.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.http import HttpResponseBase
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from . import services
from .documents import document_response
from .models import Case
from .selectors import (
    InboxFilter,
    InboxSort,
    InboxView,
    case_detail,
    case_document,
    case_for_action,
    case_get_for_user,
    cases_for_staff,
    inbox_page,
    status_definitions,
    status_of,
)
from .serializers_staff import (
    AssignInput,
    CaseDetailSerializer,
    CaseListQuery,
    CaseListResponse,
    CaseListSerializer,
    DecisionInput,
    InformationRequestInput,
    InformationRequestSerializer,
    NoteInput,
    NoteSerializer,
    StatusChangeInput,
)

PROBLEM = OpenApiResponse(description="application/problem+json")
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM}
ACTION_ERRORS = {**ERRORS, 400: PROBLEM, 409: PROBLEM}


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaffAccount let only staff accounts through
    return user


def _detail(case: Case) -> dict[str, Any]:
    detail = case_detail(case=case)
    return dict(
        CaseDetailSerializer(case, context={"detail": detail, "statuses": {case.pk: detail.status}}).data
    )


def _fresh(request: Request, pk: int) -> Case:
    """The case as it is after an action, for the response (not recorded as another read)."""
    return (
        cases_for_staff(user=_user(request))
        .select_related("authority", "service", "team", "assignee", "submission__form_version")
        .get(pk=pk)
    )


class StaffCaseList(APIView):
    """The cases of the acting user's authorities, filtered like the back-office inbox.

    Seek pagination: follow ``next`` and ``previous``; ``count`` stops at 1000 (``count_capped``).
    """

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=["staff"],
        parameters=[CaseListQuery],
        responses={200: CaseListResponse, **ERRORS},
        summary="List cases",
        operation_id="staff_cases_list",
    )
    def get(self, request: Request) -> Response:
        user = _user(request)
        params = validated_query(CaseListQuery, request)
        authorities: list[Authority | int] | None = None
        if "authority" in params:
            found = Authority.objects.filter(ags=params["authority"]).values_list("pk", flat=True).first()
            authorities = [found] if found is not None else []
        service_id: int | None = None
        if "service" in params:
            service_id = (
                Service.objects.filter(leika_key=params["service"]).values_list("pk", flat=True).first()
            )
            if service_id is None:
                service_id = 0  # an unknown service matches no case
        filters = InboxFilter(
            view=InboxView(params["view"]),
            phase=params["phase"],
            status=params.get("status", ""),
            service_id=service_id,
            team_id=params.get("team"),
            overdue=params["overdue"],
            text=params.get("q", ""),
            sort=InboxSort(params["sort"]),
        )
        page = inbox_page(
            user=user,
            filters=filters,
            authorities=authorities,
            cursor=params.get("cursor"),
            limit=params["limit"],
            related=("authority", "service", "team", "assignee"),
        )
        models = status_definitions({c.service_id for c in page.cases})
        statuses = {case.pk: status_of(models, case) for case in page.cases}
        query = {k: v for k, v in request.query_params.items() if k != "cursor"}
        base = request.build_absolute_uri(request.path)

        def link(cursor: str | None) -> str | None:
            return f"{base}?{urlencode({**query, 'cursor': cursor})}" if cursor else None

        return Response(
            {
                "count": page.count,
                "count_capped": page.count_capped,
                "next": link(page.next_cursor),
                "previous": link(page.previous_cursor),
                "results": CaseListSerializer(page.cases, many=True, context={"statuses": statuses}).data,
            }
        )


@extend_schema(tags=["staff"], responses={200: CaseDetailSerializer, **ERRORS}, summary="Read a case")
class StaffCaseDetail(APIView):
    """One case with its data, documents, history, information requests and notices (audited read)."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, pk: int) -> Response:
        case = case_get_for_user(user=_user(request), pk=pk, channel=CHANNEL_API)
        return Response(_detail(case))


@extend_schema(
    tags=["staff"],
    request=StatusChangeInput,
    responses={200: CaseDetailSerializer, **ACTION_ERRORS},
    summary="Change the status",
)
class StaffCaseStatus(APIView):
    """Move the case to a following status of its status model (``allowed_statuses`` of the case).

    Deciding and requesting information have their own endpoints, since they issue a notice or a
    postbox message.
    """

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        case = case_for_action(user=_user(request), pk=pk)
        data = _validated(StatusChangeInput, request)
        services.case_change_status(
            case=case,
            status_key=data["status"],
            actor=_user(request),
            channel=CHANNEL_API,
            comment=data["comment"],
        )
        return Response(_detail(_fresh(request, pk)))


@extend_schema(
    tags=["staff"],
    request=AssignInput,
    responses={200: CaseDetailSerializer, **ACTION_ERRORS},
    summary="Assign the case",
)
class StaffCaseAssign(APIView):
    """Give the case to a colleague of its authority (by e-mail address), or to nobody (``null``)."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        case = case_for_action(user=user, pk=pk)
        data = _validated(AssignInput, request)
        assignee: User | None = None
        if data["assignee"] is not None:
            assignee = User.objects.filter(email__iexact=data["assignee"], kind=User.Kind.STAFF).first()
            if assignee is None:
                # The same answer as for staff of another authority: no probing for accounts.
                raise Problem(
                    "Diese Person arbeitet nicht für die zuständige Behörde.",
                    "This person does not work for the responsible authority.",
                    status_code=400,
                    code="assignee-not-member",
                )
        services.case_assign(case=case, assignee=assignee, actor=user, channel=CHANNEL_API)
        return Response(_detail(_fresh(request, pk)))


@extend_schema(
    tags=["staff"],
    request=None,
    responses={200: CaseDetailSerializer, **ACTION_ERRORS},
    summary="Claim the case",
)
class StaffCaseClaim(APIView):
    """Take the case into one's own work (a new case goes into progress); 409 if a colleague has it."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        services.case_claim(case=case_for_action(user=user, pk=pk), actor=user, channel=CHANNEL_API)
        return Response(_detail(_fresh(request, pk)))


class StaffCaseNotes(APIView):
    """The internal notes of a case (never shown to the applicant)."""

    permission_classes = [IsStaffAccount]

    @extend_schema(tags=["staff"], responses={200: NoteSerializer(many=True), **ERRORS}, summary="List notes")
    def get(self, request: Request, pk: int) -> Response:
        case = case_for_action(user=_user(request), pk=pk)
        notes = case.notes.select_related("author").order_by("created_at", "id")
        return Response(NoteSerializer(notes, many=True).data)

    @extend_schema(
        tags=["staff"],
        request=NoteInput,
        responses={201: NoteSerializer, **ACTION_ERRORS},
        summary="Add a note",
    )
    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        case = case_for_action(user=user, pk=pk)
        data = _validated(NoteInput, request)
        note = services.case_add_note(case=case, text=data["text"], actor=user, channel=CHANNEL_API)
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["staff"],
    request=InformationRequestInput,
    responses={201: InformationRequestSerializer, **ACTION_ERRORS},
    summary="Request information",
)
class StaffCaseInformationRequests(APIView):
    """Ask the applicant for missing information; the case waits until they answer in the portal."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        case = case_for_action(user=user, pk=pk)
        data = _validated(InformationRequestInput, request)
        created = services.case_request_information(
            case=case, message=data["message"], due_date=data["due_date"], actor=user, channel=CHANNEL_API
        )
        return Response(InformationRequestSerializer(created).data, status=status.HTTP_201_CREATED)


@extend_schema(
    tags=["staff"],
    request=DecisionInput,
    responses={200: CaseDetailSerializer, **ACTION_ERRORS},
    summary="Decide the case",
)
class StaffCaseDecision(APIView):
    """Decide the case and issue the notice (Bescheid); the worker renders its PDF."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        user = _user(request)
        case = case_for_action(user=user, pk=pk)
        data = _validated(DecisionInput, request)
        services.case_decide(
            case=case,
            decision=data["decision"],
            actor=user,
            channel=CHANNEL_API,
            body=data["body"],
            fee_lines=data["fee_lines"],
        )
        return Response(_detail(_fresh(request, pk)))


@extend_schema(
    tags=["staff"],
    responses={
        (200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The file, with its stored content type, as an attachment."
        ),
        **ERRORS,
    },
    summary="Download a document",
)
class StaffCaseDocument(APIView):
    """A document of the case (attachment, answer, receipt, notice PDF); the download is audited."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, pk: int, doc: UUID) -> HttpResponseBase:
        user = _user(request)
        case = case_for_action(user=user, pk=pk)
        document = case_document(case=case, document_id=doc)
        access.audit(
            actor=user,
            action=AuditEvent.Action.READ,
            obj=document,
            authority_id=case.authority_id,
            channel=CHANNEL_API,
        )
        return document_response(document)


def _validated(serializer_class: type[Any], request: Request) -> dict[str, Any]:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


urlpatterns = [
    path("staff/cases", StaffCaseList.as_view(), name="api-staff-case-list"),
    path("staff/cases/<int:pk>", StaffCaseDetail.as_view(), name="api-staff-case-detail"),
    path("staff/cases/<int:pk>/status", StaffCaseStatus.as_view(), name="api-staff-case-status"),
    path("staff/cases/<int:pk>/assign", StaffCaseAssign.as_view(), name="api-staff-case-assign"),
    path("staff/cases/<int:pk>/claim", StaffCaseClaim.as_view(), name="api-staff-case-claim"),
    path("staff/cases/<int:pk>/notes", StaffCaseNotes.as_view(), name="api-staff-case-notes"),
    path(
        "staff/cases/<int:pk>/information-requests",
        StaffCaseInformationRequests.as_view(),
        name="api-staff-case-information-requests",
    ),
    path("staff/cases/<int:pk>/decision", StaffCaseDecision.as_view(), name="api-staff-case-decision"),
    path(
        "staff/cases/<int:pk>/documents/<uuid:doc>",
        StaffCaseDocument.as_view(),
        name="api-staff-case-document",
    ),
]
