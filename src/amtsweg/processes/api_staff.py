"""Staff API of process models, tasks and hand-overs.

``/api/v1/staff/processes`` (list, BPMN import), ``/staff/process-versions/<id>`` (detail, publish),
``/staff/tasks`` (open tasks of the user's authorities; detail, claim, complete) and
``/staff/handovers`` (received hand-overs; detail, answer). Reads go through ``processes.selectors``
(scoped by ``tenancy.access``); a task or hand-over of another authority is 404 for every method.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem, Problem
from amtsweg.forms.selectors import may_change_forms_of
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import services
from .models import Handover, ProcessDefinition, ProcessTask, ProcessVersion
from .selectors import (
    handover_get_for_user,
    handovers_received,
    open_tasks_for,
    process_definitions_for,
    task_get_for_user,
)
from .selectors_viewer import process_version_get_for_user

PROBLEM = OpenApiResponse(description="application/problem+json")
ERRORS = {401: PROBLEM, 403: PROBLEM, 404: PROBLEM}
ACTION_ERRORS = {**ERRORS, 400: PROBLEM, 409: PROBLEM, 422: PROBLEM}


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def may_change_processes_of(user: Any, authority_id: int | None) -> bool:
    """Variants of an authority: its administrators; reference models: alliance administrators
    (the same rule as for forms)."""
    return may_change_forms_of(user, authority_id)


# --- serializers -----------------------------------------------------------------------------------


class ProblemSerializer(serializers.Serializer[Any]):
    element = serializers.CharField()
    de = serializers.CharField()
    en = serializers.CharField()


class VersionSerializer(serializers.ModelSerializer[ProcessVersion]):
    execution_problems = ProblemSerializer(many=True)
    activities = serializers.SerializerMethodField()
    lanes = serializers.SerializerMethodField()

    class Meta:
        model = ProcessVersion
        fields = [
            "id",
            "number",
            "status",
            "process_id",
            "source",
            "sha256",
            "executable",
            "execution_problems",
            "activities",
            "lanes",
            "created_at",
            "published_at",
        ]

    def get_activities(self, version: ProcessVersion) -> list[dict[str, str]]:
        return [
            {
                "id": n.id,
                "name": n.name,
                "type": n.type,
                "lane": n.lane,
                "medium": n.medium,
                "action": n.action,
            }
            for n in version.parsed.activities
        ]

    def get_lanes(self, version: ProcessVersion) -> list[str]:
        return list(version.parsed.lanes)


class DefinitionSerializer(serializers.ModelSerializer[ProcessDefinition]):
    service = serializers.CharField(source="service.leika_key")
    authority = serializers.CharField(source="authority.ags", allow_null=True, default=None)
    versions = serializers.SerializerMethodField()

    class Meta:
        model = ProcessDefinition
        fields = ["id", "name", "service", "authority", "versions"]

    def get_versions(self, definition: ProcessDefinition) -> list[dict[str, Any]]:
        return [
            {"id": v.pk, "number": v.number, "status": v.status, "executable": v.executable}
            for v in definition.versions.all()
        ]


class ImportSerializer(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$", help_text="LeiKa key of the service")
    authority = serializers.RegexField(
        r"^\d{8}$", required=False, help_text="AGS of the authority (its variant); empty: the reference model"
    )
    file = serializers.FileField(help_text="BPMN 2.0 XML with diagram (as saved by Camunda Modeler)")
    called = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="BPMN files of processes the model calls"
    )


class TaskSerializer(serializers.ModelSerializer[ProcessTask]):
    case = serializers.IntegerField(source="case_id")
    case_reference = serializers.CharField(source="case.reference")
    team = serializers.CharField(source="team.name", allow_null=True, default=None)

    class Meta:
        model = ProcessTask
        fields = [
            "id",
            "case",
            "case_reference",
            "bpmn_id",
            "name",
            "kind",
            "lane",
            "team",
            "state",
            "created_at",
            "claimed_at",
            "due_at",
            "completed_at",
        ]


class TaskFieldSerializer(serializers.Serializer[Any]):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    type = serializers.CharField()
    required = serializers.BooleanField()  # type: ignore[assignment]
    options = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))


class TaskDetailSerializer(TaskSerializer):
    form = serializers.SerializerMethodField()

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "form", "result"]

    @extend_schema_field(TaskFieldSerializer(many=True))
    def get_form(self, task: ProcessTask) -> list[dict[str, Any]]:
        return [
            {
                "id": f.id,
                "label": f.label,
                "type": f.type,
                "required": f.required,
                "options": [list(o) for o in f.options],
            }
            for f in services.task_form(task)
        ]


class CompleteSerializer(serializers.Serializer[Any]):
    data = serializers.DictField(  # type: ignore[assignment]
        required=False, default=dict, help_text="the form's fields or process variables"
    )


class TaskListQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False)
    team = serializers.IntegerField(required=False, min_value=1)


class HandoverSerializer(serializers.ModelSerializer[Handover]):
    from_authority = serializers.CharField(source="from_authority.name")
    to_authority = serializers.CharField(source="to_authority.name")
    to_team = serializers.CharField(source="to_team.name", allow_null=True, default=None)
    reference = serializers.CharField(read_only=True, help_text="the sender's file reference")

    class Meta:
        model = Handover
        fields = [
            "id",
            "reference",
            "subject",
            "from_authority",
            "to_authority",
            "to_team",
            "data",
            "status",
            "reply",
            "created_at",
            "answered_at",
        ]


class AnswerSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["accepted", "completed", "declined"])
    reply = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


# --- views ---------------------------------------------------------------------------------------


class ProcessList(APIView):
    permission_classes = [IsStaffAccount]
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(
        responses={200: DefinitionSerializer(many=True), **ERRORS},
        tags=["staff"],
        operation_id="staff_processes_list",
    )
    def get(self, request: Request) -> Response:
        definitions = process_definitions_for(request.user).prefetch_related("versions")
        return Response(DefinitionSerializer(definitions, many=True).data)

    @extend_schema(
        request={"multipart/form-data": ImportSerializer},
        responses={201: VersionSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_processes_import",
    )
    def post(self, request: Request) -> Response:
        payload = ImportSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        authority = None
        if payload.validated_data.get("authority"):
            authority = access.authority_for_user(request.user, payload.validated_data["authority"])
        if not may_change_processes_of(request.user, authority.pk if authority else None):
            raise Problem(
                "Sie dürfen dieses Prozessmodell nicht ändern.",
                "You may not change this process model.",
                status_code=403,
                code="permission-denied",
            )
        service = Service.objects.filter(leika_key=payload.validated_data["service"]).first()
        if service is None:
            raise NotFoundProblem("Diese Leistung gibt es nicht.", "There is no such service.")
        upload = payload.validated_data["file"]
        called = payload.validated_data.get("called") or []
        version = services.process_version_import(
            service=service,
            authority=authority,
            xml=upload.read(services.MAX_BPMN_BYTES + 1),
            filename=upload.name or "process.bpmn",
            actor=_user(request),
            supporting=[(f.name or "called.bpmn", f.read(services.MAX_BPMN_BYTES + 1)) for f in called],
            channel=CHANNEL_API,
        )
        return Response(VersionSerializer(version).data, status=status.HTTP_201_CREATED)


class VersionDetail(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        responses={200: VersionSerializer, **ERRORS},
        tags=["staff"],
        operation_id="staff_process_versions_retrieve",
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(VersionSerializer(process_version_get_for_user(request.user, pk)).data)


class VersionPublish(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        request=None,
        responses={200: VersionSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_process_versions_publish",
    )
    def post(self, request: Request, pk: int) -> Response:
        version = process_version_get_for_user(request.user, pk)
        if not may_change_processes_of(request.user, version.definition.authority_id):
            raise Problem(
                "Sie dürfen dieses Prozessmodell nicht veröffentlichen.",
                "You may not publish this process model.",
                status_code=403,
                code="permission-denied",
            )
        published = services.process_version_publish(
            version=version, actor=_user(request), channel=CHANNEL_API
        )
        return Response(VersionSerializer(published).data)


class TaskList(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        parameters=[TaskListQuery],
        responses={200: TaskSerializer(many=True), **ERRORS},
        tags=["staff"],
        operation_id="staff_tasks_list",
    )
    def get(self, request: Request) -> Response:
        query = validated_query(TaskListQuery, request)
        authority_id = None
        if "authority" in query:
            authority_id = access.authority_for_user(request.user, query["authority"]).pk
        tasks = open_tasks_for(request.user, authority_id=authority_id, team_id=query.get("team"))[:500]
        return Response(TaskSerializer(tasks, many=True).data)


class TaskDetail(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        responses={200: TaskDetailSerializer, **ERRORS}, tags=["staff"], operation_id="staff_tasks_retrieve"
    )
    def get(self, request: Request, pk: UUID) -> Response:
        return Response(TaskDetailSerializer(task_get_for_user(request.user, pk, channel=CHANNEL_API)).data)


class TaskClaim(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        request=None,
        responses={200: TaskSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_tasks_claim",
    )
    def post(self, request: Request, pk: UUID) -> Response:
        task = task_get_for_user(request.user, pk, channel=CHANNEL_API)
        task = services.process_task_claim(task=task, actor=_user(request), channel=CHANNEL_API)
        return Response(TaskSerializer(task).data)


class TaskComplete(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        request=CompleteSerializer,
        responses={200: TaskSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_tasks_complete",
    )
    def post(self, request: Request, pk: UUID) -> Response:
        task = task_get_for_user(request.user, pk, channel=CHANNEL_API)
        payload = CompleteSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        done = services.process_task_complete(
            task=task, data=payload.validated_data["data"], actor=_user(request), channel=CHANNEL_API
        )
        return Response(TaskSerializer(done).data)


class HandoverList(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        responses={200: HandoverSerializer(many=True), **ERRORS},
        tags=["staff"],
        operation_id="staff_handovers_list",
    )
    def get(self, request: Request) -> Response:
        return Response(HandoverSerializer(handovers_received(request.user)[:500], many=True).data)


class HandoverDetail(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        responses={200: HandoverSerializer, **ERRORS}, tags=["staff"], operation_id="staff_handovers_retrieve"
    )
    def get(self, request: Request, pk: UUID) -> Response:
        return Response(HandoverSerializer(handover_get_for_user(request.user, pk, channel=CHANNEL_API)).data)


class HandoverAnswer(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        request=AnswerSerializer,
        responses={200: HandoverSerializer, **ACTION_ERRORS},
        tags=["staff"],
        operation_id="staff_handovers_answer",
    )
    def post(self, request: Request, pk: UUID) -> Response:
        handover = handover_get_for_user(request.user, pk, channel=CHANNEL_API)
        payload = AnswerSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        answered = services.handover_answer(
            handover=handover,
            status=payload.validated_data["status"],
            reply=payload.validated_data["reply"],
            actor=_user(request),
            channel=CHANNEL_API,
        )
        return Response(HandoverSerializer(answered).data)


urlpatterns = [
    path("staff/processes", ProcessList.as_view(), name="api-staff-process-list"),
    path("staff/process-versions/<int:pk>", VersionDetail.as_view(), name="api-staff-process-version"),
    path(
        "staff/process-versions/<int:pk>/publish",
        VersionPublish.as_view(),
        name="api-staff-process-version-publish",
    ),
    path("staff/tasks", TaskList.as_view(), name="api-staff-task-list"),
    path("staff/tasks/<uuid:pk>", TaskDetail.as_view(), name="api-staff-task-detail"),
    path("staff/tasks/<uuid:pk>/claim", TaskClaim.as_view(), name="api-staff-task-claim"),
    path("staff/tasks/<uuid:pk>/complete", TaskComplete.as_view(), name="api-staff-task-complete"),
    path("staff/handovers", HandoverList.as_view(), name="api-staff-handover-list"),
    path("staff/handovers/<uuid:pk>", HandoverDetail.as_view(), name="api-staff-handover-detail"),
    path("staff/handovers/<uuid:pk>/answer", HandoverAnswer.as_view(), name="api-staff-handover-answer"),
]
