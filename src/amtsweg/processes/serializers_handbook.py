"""API shapes of the process handbook."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .handbook import MAX_LENGTHS, HandbookStep
from .models import HandbookEntry, ProcessDefinition, ProcessVersion


class HandbookEntrySerializer(serializers.ModelSerializer[HandbookEntry]):
    templates = serializers.SerializerMethodField(help_text="one template per line, as a list")
    updated_by = serializers.SerializerMethodField()

    class Meta:
        model = HandbookEntry
        fields = ["instructions", "legal_basis", "templates", "contact", "updated_at", "updated_by"]

    def get_templates(self, entry: HandbookEntry) -> list[str]:
        return [line.strip() for line in entry.templates.splitlines() if line.strip()]

    def get_updated_by(self, entry: HandbookEntry) -> str | None:
        user = entry.updated_by
        return (user.get_full_name() or user.email) if user is not None else None


class HandbookStepSerializer(serializers.Serializer[HandbookStep]):
    number = serializers.IntegerField()
    bpmn_id = serializers.CharField(help_text="id of the BPMN element; the key of the entry across versions")
    name = serializers.CharField()
    lane = serializers.CharField()
    type = serializers.SerializerMethodField(help_text="BPMN element type, empty for orphaned entries")
    medium = serializers.SerializerMethodField(help_text="media break (paper, post, fax, in_person) or empty")
    orphaned = serializers.BooleanField(help_text="the entry's element is not in this version")
    entry = HandbookEntrySerializer(allow_null=True, help_text="null: no entry yet")

    def get_type(self, step: HandbookStep) -> str:
        return step.node.type if step.node is not None else ""

    def get_medium(self, step: HandbookStep) -> str:
        return step.node.medium if step.node is not None else ""


class HandbookVersionSerializer(serializers.ModelSerializer[ProcessVersion]):
    class Meta:
        model = ProcessVersion
        fields = ["id", "number", "status", "published_at"]


class HandbookSerializer(serializers.Serializer[Any]):
    """The handbook of a process model for one version."""

    definition = serializers.SerializerMethodField()
    version = HandbookVersionSerializer(allow_null=True)
    steps = HandbookStepSerializer(many=True)

    def get_definition(self, data: dict[str, Any]) -> dict[str, Any]:
        definition: ProcessDefinition = data["definition"]
        return {
            "id": definition.pk,
            "name": definition.name,
            "service": definition.service.leika_key,
            "authority": definition.authority.ags if definition.authority else None,
        }


class HandbookEntryInputSerializer(serializers.Serializer[Any]):
    instructions = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_LENGTHS["instructions"],
        trim_whitespace=False,
    )
    legal_basis = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_LENGTHS["legal_basis"],
        trim_whitespace=False,
    )
    templates = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_LENGTHS["templates"],
        trim_whitespace=False,
        help_text="one template per line",
    )
    contact = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=MAX_LENGTHS["contact"]
    )


class HandbookStepInputSerializer(HandbookEntryInputSerializer):
    bpmn_id = serializers.CharField(max_length=200)


class HandbookInputSerializer(serializers.Serializer[Any]):
    entries = HandbookStepInputSerializer(many=True, allow_empty=False)


class HandbookQuerySerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="id of a version (default: the published one)"
    )
