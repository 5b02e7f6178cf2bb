"""API of the processes module: viewer — a version's BPMN file and a case's process position.

``GET staff/processes/versions/<id>/bpmn``: any staff of the alliance (process models are shared);
``GET staff/cases/<id>/process``: only staff of the case's authority, through
``cases.selectors.case_get_for_user`` (audited; 404 for other towns' cases).
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse
from django.urls import URLPattern, path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.cases.selectors import case_get_for_user
from amtsweg.core.api import CHANNEL_API, IsStaffAccount
from amtsweg.identity.models import User

from .selectors_viewer import CaseProcess, case_process, process_version_get_for_user
from .serializers_viewer import NO_PROCESS, CaseProcessSerializer
from .views_viewer import bpmn_response

PROBLEM = OpenApiResponse(description="application/problem+json")
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM}


class BpmnXmlRenderer(BaseRenderer):
    """Lets clients ask for ``Accept: application/xml``. The file itself is returned as it is stored;
    this renderer only ever renders errors, which stay problem+json (the handler sets the type)."""

    media_type = "application/xml"
    format = "bpmn"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        if isinstance(data, str):
            return data.encode("utf-8")
        return json.dumps(data, ensure_ascii=False).encode("utf-8")


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaffAccount let only staff accounts through
    return user


class ProcessVersionBpmn(APIView):
    """The BPMN 2.0 XML of a process version (reference model or any variant of the alliance)."""

    permission_classes = [IsStaffAccount]
    renderer_classes = [JSONRenderer, BpmnXmlRenderer]

    @extend_schema(
        tags=["staff"],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The BPMN 2.0 file of the version, as uploaded (with its diagram).",
            ),
            **ERRORS,
        },
        summary="Download the BPMN file of a process version",
        operation_id="staff_process_version_bpmn",
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        version = process_version_get_for_user(_user(request), pk)
        return bpmn_response(request, version, inline=False)


def case_process_data(
    request: Request, process: CaseProcess, *, case_id: int, reference: str
) -> dict[str, Any]:
    instance = process.instance
    version = process.version
    return {
        "case": case_id,
        "reference": reference,
        "status": instance.status if instance else NO_PROCESS,
        "version": {
            "id": version.pk,
            "number": version.number,
            "name": version.definition.name,
            "process_id": version.process_id,
            "authority": version.definition.authority.ags if version.definition.authority else None,
            "bpmn": request.build_absolute_uri(
                reverse("api-staff-process-version-bpmn", kwargs={"pk": version.pk})
            ),
        }
        if version
        else None,
        "started_at": instance.started_at if instance else None,
        "completed_at": instance.completed_at if instance else None,
        "markers": process.markers,
        "open_tasks": [
            {
                "id": task.pk,
                "bpmn_id": task.bpmn_id,
                "name": task.name,
                "kind": task.kind,
                "state": task.state,
                "lane": task.lane,
                "team": {"id": task.team.pk, "name": task.team.name} if task.team else None,
                "created_at": task.created_at,
                "due_at": task.due_at,
            }
            for task in process.open_tasks
        ],
    }


class CaseProcessView(APIView):
    """The process of a case: the version it runs on, its state, the elements done and open, the
    sequence flows taken (the viewer's markers) and the open tasks (audited read of the case)."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=["staff"],
        responses={200: CaseProcessSerializer, **ERRORS},
        summary="Read where a case stands in its process",
        operation_id="staff_case_process",
    )
    def get(self, request: Request, pk: int) -> Response:
        case = case_get_for_user(user=_user(request), pk=pk, channel=CHANNEL_API)
        data = case_process_data(request, case_process(case), case_id=case.pk, reference=case.reference)
        return Response(CaseProcessSerializer(data).data)


urlpatterns: list[URLPattern] = [
    path(
        "staff/processes/versions/<int:pk>/bpmn",
        ProcessVersionBpmn.as_view(),
        name="api-staff-process-version-bpmn",
    ),
    path("staff/cases/<int:pk>/process", CaseProcessView.as_view(), name="api-staff-case-process"),
]
