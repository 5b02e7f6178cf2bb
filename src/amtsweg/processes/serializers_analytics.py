"""Serializers of the process analytics API: the query (filters) and the shape of the analysis."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class AnalyticsQuery(serializers.Serializer[Any]):
    date_from = serializers.DateField(required=False, help_text="only cases received on or after this day")
    date_to = serializers.DateField(required=False, help_text="only cases received on or before this day")
    version = serializers.IntegerField(
        required=False, min_value=1, help_text="only cases that run on this process version (id)"
    )
    authority = serializers.RegexField(
        r"^\d{8}$", required=False, help_text="AGS: only this authority's cases (one of your authorities)"
    )
    deviating = serializers.IntegerField(
        required=False, min_value=0, max_value=1000, default=100, help_text="deviating cases listed (at most)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("date_from"), attrs.get("date_to")
        if start and end and start > end:
            raise serializers.ValidationError({"date_to": "The period ends before it starts."})
        return attrs


class ExportQuery(AnalyticsQuery):
    deviating = None  # type: ignore[assignment]


class AnalyticsActivitySerializer(serializers.Serializer[Any]):
    id = serializers.CharField(help_text="BPMN element id")
    name = serializers.CharField()
    count = serializers.IntegerField()
    starts = serializers.IntegerField(help_text="cases that begin with this activity")
    ends = serializers.IntegerField(help_text="cases that end with this activity")


# "source" is an attribute of every DRF field, so this one is declared inline.
EdgeSerializer = inline_serializer(
    "AnalyticsEdge",
    fields={
        "source": serializers.CharField(help_text="activity id"),
        "target": serializers.CharField(help_text="activity id"),
        "count": serializers.IntegerField(),
    },
)


class AnalyticsDirectlyFollowsSerializer(serializers.Serializer[Any]):
    activities = AnalyticsActivitySerializer(many=True)
    edges = serializers.ListField(child=EdgeSerializer)


class AnalyticsVariantSerializer(serializers.Serializer[Any]):
    activities = serializers.ListField(child=serializers.CharField(), help_text="activity ids in order")
    count = serializers.IntegerField()
    share = serializers.FloatField(help_text="share of the cases, 0..1")
    deviating = serializers.IntegerField(help_text="cases of this variant that deviate from their model")
    examples = serializers.ListField(child=serializers.CharField(), help_text="case references")


class AnalyticsDeviationSerializer(serializers.Serializer[Any]):
    case = serializers.CharField(help_text="case reference")
    case_id = serializers.IntegerField()
    authority = serializers.CharField(help_text="AGS of the case's authority")
    kind = serializers.CharField(help_text="unknown, unexpected, skipped or ends_early")
    activity = serializers.CharField(help_text="the activity at which the trace left the model")
    position = serializers.IntegerField(help_text="0-based position of that activity in the trace")
    missing = serializers.CharField(help_text="kind skipped: the activity that was left out")
    expected = serializers.ListField(child=serializers.CharField(), help_text="what the model allowed here")


class AnalyticsDeviationCountSerializer(serializers.Serializer[Any]):
    activity = serializers.CharField()
    kind = serializers.CharField()
    count = serializers.IntegerField()


class AnalyticsConformanceSerializer(serializers.Serializer[Any]):
    checked = serializers.IntegerField(help_text="cases replayed on the model of their process version")
    fitting = serializers.IntegerField()
    fitness = serializers.FloatField(help_text="fitting / checked")
    without_model = serializers.IntegerField(help_text="cases without a process version (not checked)")
    deviating_total = serializers.IntegerField()
    deviating = AnalyticsDeviationSerializer(many=True)
    per_activity = AnalyticsDeviationCountSerializer(many=True)


class ProcessAnalysisSerializer(serializers.Serializer[Any]):
    service = serializers.CharField(help_text="LeiKa key")
    cases = serializers.IntegerField()
    labels = serializers.DictField(child=serializers.CharField(), help_text="activity id → name")
    directly_follows = AnalyticsDirectlyFollowsSerializer()
    variants = AnalyticsVariantSerializer(many=True)
    conformance = AnalyticsConformanceSerializer()
