"""Serializers of the comparison API: the query, and the comparison with its figures (seconds)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .comparison import ActivityRow, AuthorityColumn, Comparison


class ComparisonQuery(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$", help_text="LeiKa key of the service")
    authority = serializers.ListField(
        child=serializers.RegexField(r"^\d{8}$"),
        min_length=2,
        max_length=50,
        help_text="AGS of an authority of your alliance; at least two (repeat the parameter)",
    )

    def validate_authority(self, value: list[str]) -> list[str]:
        distinct = list(dict.fromkeys(value))
        if len(distinct) < 2:
            raise serializers.ValidationError("Name at least two different authorities.")
        return distinct


class ComparisonNodeSerializer(serializers.Serializer[Any]):
    bpmn_id = serializers.CharField(source="id")
    name = serializers.CharField()
    lane = serializers.CharField()
    medium = serializers.CharField(help_text="paper, post, fax, in_person: a media break; empty: online")


class ComparisonVersionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="version.pk")
    number = serializers.IntegerField(source="version.number")
    status = serializers.CharField(source="version.status")
    definition = serializers.CharField(source="version.definition.name")
    # A field named like Field.source: DRF's metaclass takes declared fields off the class.
    source = serializers.ChoiceField(  # type: ignore[assignment]
        choices=["variant", "reference", "latest_variant", "latest_reference"],
        help_text="why this version: the authority's published variant, else the published reference "
        "model, else the newest version of the variant, else of the reference model",
    )


class ComparisonAuthoritySerializer(serializers.Serializer[Any]):
    ags = serializers.CharField(source="authority.ags")
    name = serializers.CharField(source="authority.name")
    version = serializers.SerializerMethodField()
    lanes = serializers.ListField(child=serializers.CharField())
    activity_count = serializers.IntegerField()
    media_breaks = ComparisonNodeSerializer(many=True)
    handovers = ComparisonNodeSerializer(many=True)
    handover_count = serializers.SerializerMethodField()
    cases = serializers.IntegerField(source="cases.cases")
    finished_cases = serializers.IntegerField(source="cases.finished")
    median_case_lead_seconds = serializers.FloatField(source="cases.median_lead", allow_null=True)

    @extend_schema_field(ComparisonVersionSerializer(allow_null=True))
    def get_version(self, column: AuthorityColumn) -> dict[str, Any] | None:
        if column.version.version is None:
            return None
        return dict(ComparisonVersionSerializer(column.version).data)

    def get_handover_count(self, column: AuthorityColumn) -> int:
        return len(column.handovers)


class ComparisonStepSerializer(serializers.Serializer[Any]):
    authority = serializers.CharField(help_text="AGS")
    bpmn_id = serializers.CharField()
    name = serializers.CharField()
    lane = serializers.CharField()
    medium = serializers.CharField()
    handover = serializers.BooleanField()
    count = serializers.IntegerField(help_text="completed executions")
    median_waiting_seconds = serializers.FloatField(allow_null=True)
    median_lead_seconds = serializers.FloatField(allow_null=True)


class ComparisonActivitySerializer(serializers.Serializer[Any]):
    key = serializers.CharField(help_text="the normalised name the activities were matched by")
    name = serializers.CharField(source="label")
    in_all = serializers.BooleanField(help_text="whether every authority's model has this activity")
    steps = serializers.SerializerMethodField()

    @extend_schema_field(ComparisonStepSerializer(many=True))
    def get_steps(self, row: ActivityRow) -> list[dict[str, Any]]:
        authorities: list[str] = self.context["authorities"]
        return [
            {
                "authority": ags,
                "bpmn_id": cell.node.id,
                "name": cell.node.name,
                "lane": cell.node.lane,
                "medium": cell.node.medium,
                "handover": cell.node.is_handover,
                "count": cell.count,
                "median_waiting_seconds": cell.median_waiting,
                "median_lead_seconds": cell.median_lead,
            }
            for ags, cell in zip(authorities, row.cells, strict=True)
            if cell is not None
        ]


class ComparisonServiceSerializer(serializers.Serializer[Any]):
    leika_key = serializers.CharField()
    name = serializers.CharField()


class ProcessComparisonSerializer(serializers.Serializer[Any]):
    service = ComparisonServiceSerializer()
    authorities = ComparisonAuthoritySerializer(many=True, source="columns")
    activities = serializers.SerializerMethodField()

    @extend_schema_field(ComparisonActivitySerializer(many=True))
    def get_activities(self, comparison: Comparison) -> list[dict[str, Any]]:
        context = {"authorities": [a.ags for a in comparison.authorities]}
        return list(ComparisonActivitySerializer(comparison.rows, many=True, context=context).data)
