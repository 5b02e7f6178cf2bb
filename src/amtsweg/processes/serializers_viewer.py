"""Serializers of the viewer API: a case's process (version, state, markers, open tasks)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import ProcessInstance, ProcessTask

NO_PROCESS = "none"
# The states of a case's process as the API reports them (settings' ENUM_NAME_OVERRIDES names the enum).
CASE_PROCESS_STATUS = [*ProcessInstance.Status.values, NO_PROCESS]


class TeamRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ProcessVersionRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField(help_text="name of the process model")
    process_id = serializers.CharField(help_text="id of the executable process in the BPMN file")
    authority = serializers.CharField(
        allow_null=True, help_text="AGS of the variant's authority; null: reference model"
    )
    bpmn = serializers.URLField(help_text="the BPMN 2.0 file (application/xml)")


class MarkersSerializer(serializers.Serializer[Any]):
    completed = serializers.ListField(child=serializers.CharField(), help_text="ids of executed elements")
    current = serializers.ListField(
        child=serializers.CharField(), help_text="ids of open or waiting elements"
    )
    flows = serializers.ListField(child=serializers.CharField(), help_text="ids of the sequence flows taken")


class OpenTaskSerializer(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    bpmn_id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=ProcessTask.Kind.choices)
    state = serializers.ChoiceField(choices=ProcessTask.State.choices, help_text="open or waiting")
    lane = serializers.CharField()
    team = TeamRefSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField(allow_null=True)


class CaseProcessSerializer(serializers.Serializer[Any]):
    case = serializers.IntegerField()
    reference = serializers.CharField()
    status = serializers.ChoiceField(
        choices=CASE_PROCESS_STATUS,
        help_text=f"state of the process; '{NO_PROCESS}' when the case does not run on a process model",
    )
    version = ProcessVersionRefSerializer(allow_null=True)
    started_at = serializers.DateTimeField(allow_null=True)
    completed_at = serializers.DateTimeField(allow_null=True)
    markers = MarkersSerializer()
    open_tasks = OpenTaskSerializer(many=True)
