"""API of the process handbook: ``/api/v1/staff/processes/<id>/handbook`` (all steps, or several entries
at once) and ``…/handbook/<bpmn_id>`` (one step). Reads: staff of the alliance; writes: the
administrators who may change the model (see :mod:`amtsweg.processes.handbook`)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem

from .handbook import (
    handbook_definition_get,
    handbook_entry_save,
    handbook_for,
    handbook_save,
    handbook_step,
    handbook_version,
)
from .models import ProcessDefinition
from .serializers_handbook import (
    HandbookEntryInputSerializer,
    HandbookInputSerializer,
    HandbookQuerySerializer,
    HandbookSerializer,
    HandbookStepSerializer,
)

PROBLEMS = {
    403: OpenApiResponse(description="not allowed to change this handbook (problem+json)"),
    404: OpenApiResponse(description="no such process model, or not visible to you (problem+json)"),
    422: OpenApiResponse(description="unknown step or invalid entry (problem+json)"),
}


def _definition(request: Request, pk: int) -> ProcessDefinition:
    try:
        return handbook_definition_get(user=request.user, pk=pk)
    except Http404:
        raise NotFoundProblem(
            "Dieses Prozessmodell gibt es nicht.", "There is no such process model."
        ) from None


def _handbook(definition: ProcessDefinition, version_id: int | None) -> dict[str, Any]:
    try:
        version = handbook_version(definition, version_id)
    except Http404:
        raise NotFoundProblem("Diese Version gibt es nicht.", "There is no such version.") from None
    return {"definition": definition, "version": version, "steps": handbook_for(definition, version)}


class HandbookView(generics.GenericAPIView[Any]):
    """The handbook of a process model: every activity of the version in flow order with its entry,
    then orphaned entries (their element is not in the version)."""

    serializer_class = HandbookSerializer
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="staff_processes_handbook_retrieve",
        parameters=[HandbookQuerySerializer],
        responses={200: HandbookSerializer, 404: PROBLEMS[404]},
        tags=["staff"],
    )
    def get(self, request: Request, pk: int) -> Response:
        params = validated_query(HandbookQuerySerializer, request)
        definition = _definition(request, pk)
        return Response(HandbookSerializer(_handbook(definition, params.get("version"))).data)

    @extend_schema(
        operation_id="staff_processes_handbook_update",
        request=HandbookInputSerializer,
        responses={200: HandbookSerializer, **PROBLEMS},
        tags=["staff"],
    )
    def put(self, request: Request, pk: int) -> Response:
        definition = _definition(request, pk)
        payload = HandbookInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        handbook_save(
            definition=definition,
            entries=payload.validated_data["entries"],
            actor=request.user,
            channel=CHANNEL_API,
        )
        return Response(HandbookSerializer(_handbook(definition, None)).data)


class HandbookStepView(generics.GenericAPIView[Any]):
    """One step of the handbook (of the published version; orphaned entries too)."""

    serializer_class = HandbookStepSerializer
    permission_classes = [IsStaffAccount]

    def _step(self, definition: ProcessDefinition, bpmn_id: str) -> Any:
        try:
            return handbook_step(definition, handbook_version(definition), bpmn_id)
        except Http404:
            raise NotFoundProblem("Diesen Schritt gibt es nicht.", "There is no such step.") from None

    @extend_schema(
        operation_id="staff_processes_handbook_step_retrieve",
        parameters=[OpenApiParameter("bpmn_id", str, OpenApiParameter.PATH)],
        responses={200: HandbookStepSerializer, 404: PROBLEMS[404]},
        tags=["staff"],
    )
    def get(self, request: Request, pk: int, bpmn_id: str) -> Response:
        definition = _definition(request, pk)
        return Response(HandbookStepSerializer(self._step(definition, bpmn_id)).data)

    @extend_schema(
        operation_id="staff_processes_handbook_step_update",
        parameters=[OpenApiParameter("bpmn_id", str, OpenApiParameter.PATH)],
        request=HandbookEntryInputSerializer,
        responses={200: HandbookStepSerializer, **PROBLEMS},
        tags=["staff"],
    )
    def put(self, request: Request, pk: int, bpmn_id: str) -> Response:
        definition = _definition(request, pk)
        payload = HandbookEntryInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        handbook_entry_save(
            definition=definition,
            bpmn_id=bpmn_id,
            actor=request.user,
            channel=CHANNEL_API,
            **payload.validated_data,
        )
        return Response(HandbookStepSerializer(self._step(definition, bpmn_id)).data)


urlpatterns: list[URLPattern] = [
    path("staff/processes/<int:pk>/handbook", HandbookView.as_view(), name="api-staff-process-handbook"),
    path(
        "staff/processes/<int:pk>/handbook/<str:bpmn_id>",
        HandbookStepView.as_view(),
        name="api-staff-process-handbook-step",
    ),
]
