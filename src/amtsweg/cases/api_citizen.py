"""The citizen's API (``/api/v1/me/...``): own cases, answers to information requests, postbox, documents.

Session or token authentication, citizen accounts only (staff get 403, anonymous 401). Every
lookup is scoped to the caller through ``selectors_citizen``: another person's id is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.cases.documents import document_response
from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, citizen_of, validated_query

from . import selectors_citizen as selectors
from .models import Case, PostboxMessage
from .serializers_citizen import (
    MyAnswerResultSerializer,
    MyAnswerSerializer,
    MyCaseDetailSerializer,
    MyCaseSerializer,
    MyPostboxMessageDetailSerializer,
    MyPostboxMessageSerializer,
)
from .services import postbox_mark_read
from .services_citizen import information_request_reply

TAGS = ["me"]
PROBLEM = OpenApiResponse(description="application/problem+json")


class CitizenAPIView(APIView):
    permission_classes = [IsCitizenAccount]


@extend_schema(tags=TAGS)
class MyCaseList(generics.ListAPIView[Case]):
    """The caller's cases, newest first, with their live status as the applicant sees it."""

    permission_classes = [IsCitizenAccount]
    serializer_class = MyCaseSerializer

    def get_queryset(self) -> QuerySet[Case]:
        return selectors.cases_for_citizen(user=citizen_of(self.request))

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # the API always paginates lists
        # Status labels and open requests for the whole page at once, not per case.
        return self.get_paginated_response(MyCaseSerializer(selectors.case_rows(page), many=True).data)


@extend_schema(tags=TAGS, responses={200: MyCaseDetailSerializer, 404: PROBLEM})
class MyCaseDetail(CitizenAPIView):
    """One of the caller's cases: status, visible history, documents, information requests, data."""

    def get(self, request: Request, pk: int) -> Response:
        view = selectors.case_view_for_citizen(user=citizen_of(request), pk=pk)
        return Response(MyCaseDetailSerializer(view).data)


@extend_schema(
    tags=TAGS,
    request={"multipart/form-data": MyAnswerSerializer, "application/json": MyAnswerSerializer},
    responses={200: MyAnswerResultSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
class MyInformationRequestAnswer(CitizenAPIView):
    """Answer an information request with text and/or files; the case resumes.

    All or nothing: if one file is refused (type, size, malware) or the request is already
    answered (409), nothing is stored and the request stays as it was.
    """

    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def post(self, request: Request, pk: int, request_pk: int) -> Response:
        user = citizen_of(request)
        info_request = selectors.information_request_get_for_citizen(user=user, case_pk=pk, pk=request_pk)
        serializer = MyAnswerSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        answered = information_request_reply(
            request=info_request,
            answer=serializer.validated_data["answer"],
            uploads=serializer.validated_data["files"],
            actor=user,
            channel=CHANNEL_API,
        )
        case = selectors.case_get_for_citizen(user=user, pk=pk)
        body = {
            "information_request": answered,
            "status": {"key": case.status, "label": selectors.status_label_for(case), "phase": case.phase},
            "documents": list(answered.documents.order_by("created_at", "filename")),
        }
        return Response(MyAnswerResultSerializer(body).data)


class PostboxFilter(serializers.Serializer[Any]):
    # default=None: DRF reads a missing boolean in a query string as False (an unticked checkbox).
    unread = serializers.BooleanField(
        required=False, allow_null=True, default=None, help_text="true: only unread; false: only read"
    )


@extend_schema(tags=TAGS, parameters=[PostboxFilter])
class MyPostboxList(generics.ListAPIView[PostboxMessage]):
    """The caller's postbox, newest first."""

    permission_classes = [IsCitizenAccount]
    serializer_class = MyPostboxMessageSerializer

    def get_queryset(self) -> QuerySet[PostboxMessage]:
        params = validated_query(PostboxFilter, self.request)
        queryset = selectors.postbox_for_citizen(user=citizen_of(self.request))
        if params.get("unread") is not None:
            queryset = queryset.filter(read_at__isnull=params["unread"])
        return queryset


@extend_schema(tags=TAGS, responses={200: MyPostboxMessageDetailSerializer, 404: PROBLEM})
class MyPostboxMessage(CitizenAPIView):
    """One message of the caller's postbox (reading it here does not mark it as read)."""

    def get(self, request: Request, pk: int) -> Response:
        message = selectors.postbox_message_get_for_citizen(user=citizen_of(request), pk=pk)
        return Response(MyPostboxMessageDetailSerializer(message).data)


@extend_schema(tags=TAGS, request=None, responses={200: MyPostboxMessageDetailSerializer, 404: PROBLEM})
class MyPostboxMessageRead(CitizenAPIView):
    """Mark a message as read (idempotent: the first reading time is kept)."""

    def post(self, request: Request, pk: int) -> Response:
        user = citizen_of(request)
        message = selectors.postbox_message_get_for_citizen(user=user, pk=pk)
        message = postbox_mark_read(message=message, actor=user)
        return Response(MyPostboxMessageDetailSerializer(message).data)


@extend_schema(
    tags=TAGS,
    responses={
        (200, "application/octet-stream"): OpenApiResponse(
            OpenApiTypes.BINARY, description="The file, with its stored content type, as an attachment."
        ),
        404: PROBLEM,
    },
)
class MyDocument(CitizenAPIView):
    """Download a document of the caller's cases or postbox (never an internal document)."""

    def get(self, request: Request, pk: uuid.UUID) -> FileResponse:
        return document_response(selectors.document_get_for_citizen(user=citizen_of(request), pk=pk))


urlpatterns = [
    path("me/cases", MyCaseList.as_view(), name="api-me-case-list"),
    path("me/cases/<int:pk>", MyCaseDetail.as_view(), name="api-me-case-detail"),
    path(
        "me/cases/<int:pk>/information-requests/<int:request_pk>/answer",
        MyInformationRequestAnswer.as_view(),
        name="api-me-information-request-answer",
    ),
    path("me/postbox", MyPostboxList.as_view(), name="api-me-postbox-list"),
    path("me/postbox/<int:pk>", MyPostboxMessage.as_view(), name="api-me-postbox-detail"),
    path("me/postbox/<int:pk>/read", MyPostboxMessageRead.as_view(), name="api-me-postbox-read"),
    path("me/documents/<uuid:pk>", MyDocument.as_view(), name="api-me-document"),
]
