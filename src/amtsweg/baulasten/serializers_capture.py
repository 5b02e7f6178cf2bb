"""API shapes of the capture part."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import ScanFile


class ScanSerializer(serializers.ModelSerializer[ScanFile]):
    batch = serializers.IntegerField(source="batch_id", read_only=True)
    parcels = serializers.SerializerMethodField(help_text="Flurstückskennzeichen of the indexed parcels.")
    entries = serializers.SerializerMethodField(help_text="Ids of the indexed entries.")
    indexed_by = serializers.IntegerField(source="indexed_by_id", read_only=True, allow_null=True)
    checked_by = serializers.IntegerField(source="checked_by_id", read_only=True, allow_null=True)
    has_ocr_pdf = serializers.SerializerMethodField()

    class Meta:
        model = ScanFile
        fields = [
            "id",
            "batch",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "pages",
            "status",
            "ocr_error",
            "ocr_seconds",
            "ocr_at",
            "parcels",
            "entries",
            "indexed_by",
            "indexed_at",
            "checked_by",
            "checked_at",
            "created_at",
            "has_ocr_pdf",
        ]
        read_only_fields = fields

    def get_parcels(self, scan: ScanFile) -> list[str]:
        return [p.kennzeichen for p in scan.parcels.all()]

    def get_entries(self, scan: ScanFile) -> list[int]:
        return [e.pk for e in scan.entries.all()]

    def get_has_ocr_pdf(self, scan: ScanFile) -> bool:
        return bool(scan.ocr_pdf)


class ScanDetailSerializer(ScanSerializer):
    suggestions = serializers.JSONField(read_only=True)

    class Meta(ScanSerializer.Meta):
        fields = [*ScanSerializer.Meta.fields, "text", "suggestions"]
        read_only_fields = fields


class ScanUploadSerializer(serializers.Serializer[dict[str, Any]]):
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), help_text="PDF or TIFF files (repeat the field)."
    )
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, default="", help_text="Label of the batch."
    )


class UploadResultSerializer(serializers.Serializer[dict[str, Any]]):
    batch = serializers.IntegerField(allow_null=True)
    created = ScanSerializer(many=True)
    duplicates = ScanSerializer(many=True)


class IndexSerializer(serializers.Serializer[dict[str, Any]]):
    parcels = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, default=list, max_length=200
    )
    entries = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=200
    )


class CheckSerializer(serializers.Serializer[dict[str, Any]]):
    approve = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class QueueQuery(serializers.Serializer[dict[str, Any]]):
    status = serializers.ChoiceField(choices=ScanFile.Status.choices, required=False)


class ProgressRowSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(source="label")
    key = serializers.CharField(help_text="AGS of the town, batch id, '' = not yet assigned, 'total'.")
    files = serializers.IntegerField()
    pages = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())
    percent_ocr = serializers.FloatField(allow_null=True)
    percent_indexed = serializers.FloatField(allow_null=True)
    percent_checked = serializers.FloatField(allow_null=True)


class ProgressSerializer(serializers.Serializer[Any]):
    towns = ProgressRowSerializer(many=True)
    batches = ProgressRowSerializer(many=True)
