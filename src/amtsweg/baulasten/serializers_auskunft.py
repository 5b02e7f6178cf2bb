"""Serializers of the Auskunft staff API."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import AuskunftParcel, AuskunftRequest


class AuskunftParcelSerializer(serializers.ModelSerializer[AuskunftParcel]):
    class Meta:
        model = AuskunftParcel
        fields = ["position", "kennzeichen", "result", "entries_found", "fee_cents"]
        read_only_fields = fields


class AuskunftSerializer(serializers.ModelSerializer[AuskunftRequest]):
    """An Auskunft request as staff see it; ``extract`` is the snapshot taken at the decision."""

    case_id = serializers.IntegerField(read_only=True)
    reference = serializers.CharField(source="case.reference", read_only=True)
    register = serializers.CharField(source="register.name", read_only=True)
    applicant_name = serializers.CharField(source="case.applicant_name", read_only=True)
    parcels = AuskunftParcelSerializer(many=True, read_only=True)
    extract = serializers.JSONField(read_only=True)

    class Meta:
        model = AuskunftRequest
        fields = [
            "case_id",
            "reference",
            "register",
            "applicant_name",
            "source",
            "interest_category",
            "interest_text",
            "decision",
            "refusal_reason",
            "decided_at",
            "fee_cents",
            "parcels",
            "extract",
            "created_at",
        ]
        read_only_fields = fields


class FeeRowSerializer(serializers.Serializer[Any]):
    position = serializers.IntegerField()
    kennzeichen = serializers.CharField()
    display = serializers.CharField()
    result = serializers.CharField()
    entries = serializers.ListField(child=serializers.DictField())
    fee_cents = serializers.IntegerField()
    editable = serializers.BooleanField()


class FeePreviewSerializer(serializers.Serializer[Any]):
    rows = FeeRowSerializer(many=True)
    total_cents = serializers.IntegerField()
    min_cents = serializers.IntegerField()
    max_cents = serializers.IntegerField()
    negative_cents = serializers.IntegerField()
    legal_basis = serializers.CharField()


class AuskunftDetailSerializer(AuskunftSerializer):
    fee_preview = serializers.SerializerMethodField()

    class Meta(AuskunftSerializer.Meta):
        fields = [*AuskunftSerializer.Meta.fields, "fee_preview"]
        read_only_fields = fields

    def get_fee_preview(self, obj: AuskunftRequest) -> dict[str, Any] | None:
        from .services_auskunft import auskunft_fee_preview

        if obj.decision != AuskunftRequest.Decision.PENDING:
            return None
        return dict(FeePreviewSerializer(auskunft_fee_preview(obj)).data)


class AuskunftDecisionInput(serializers.Serializer[Any]):
    accepted = serializers.BooleanField()
    reason = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    extract_fees = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        help_text="Fee in cents per parcel position (parcels with entries, inside the register's frame).",
    )
