"""API representations of payments, their events and fees (amounts in integer cents)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from amtsweg.catalog.models import Service

from .models import Fee, Payment, PaymentEvent


class PaymentEventSerializer(serializers.ModelSerializer[PaymentEvent]):
    class Meta:
        model = PaymentEvent
        fields = ["created_at", "from_status", "to_status", "source", "external_id"]


class MyPaymentSerializer(serializers.ModelSerializer[Payment]):
    authority = serializers.CharField(source="authority.ags", read_only=True)
    case = serializers.IntegerField(source="case_id", read_only=True, allow_null=True)
    draft = serializers.UUIDField(source="draft_id", read_only=True, allow_null=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "authority",
            "case",
            "draft",
            "purpose",
            "amount_cents",
            "currency",
            "kassenzeichen",
            "provider",
            "status",
            "due_date",
            "created_at",
            "paid_at",
        ]


class StaffPaymentSerializer(MyPaymentSerializer):
    case_reference = serializers.CharField(
        source="case.reference", read_only=True, allow_null=True, default=None
    )

    class Meta(MyPaymentSerializer.Meta):
        fields = [*MyPaymentSerializer.Meta.fields, "case_reference", "provider_reference", "updated_at"]


class StaffPaymentDetailSerializer(StaffPaymentSerializer):
    events = PaymentEventSerializer(many=True, read_only=True)

    class Meta(StaffPaymentSerializer.Meta):
        fields = [*StaffPaymentSerializer.Meta.fields, "events"]


class BeginInput(serializers.Serializer[Any]):
    provider = serializers.CharField(max_length=40)
    return_url = serializers.URLField(required=False, help_text="Default: the portal's return page.")


class BeginOutput(serializers.Serializer[Any]):
    redirect_url = serializers.CharField()
    invoice_url = serializers.CharField()


class NotificationOutput(serializers.Serializer[Any]):
    outcome = serializers.ChoiceField(choices=["applied", "duplicate", "stale"])


class PaymentListQuery(serializers.Serializer[Any]):
    authority = serializers.CharField(required=False, help_text="AGS")
    status = serializers.ChoiceField(choices=Payment.Status.choices, required=False)
    provider = serializers.CharField(required=False, max_length=40)


class FeeSerializer(serializers.ModelSerializer[Fee]):
    authority = serializers.CharField(source="authority.ags", read_only=True, allow_null=True, default=None)
    service = serializers.SlugRelatedField(slug_field="leika_key", queryset=Service.objects.all())

    class Meta:
        model = Fee
        fields = [
            "id",
            "service",
            "authority",
            "key",
            "title",
            "kind",
            "amount_cents",
            "unit_field",
            "formula",
            "timing",
            "legal_basis",
            "active",
        ]
        read_only_fields = ["id", "authority"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        from amtsweg.core.problems import Problem

        from .fees import validate_formula

        kind = attrs.get("kind", Fee.Kind.FIXED)
        if kind == Fee.Kind.FORMULA:
            try:
                validate_formula(attrs.get("formula", ""))
            except Problem as problem:
                raise serializers.ValidationError({"formula": problem.localized()}) from problem
        if kind == Fee.Kind.PER_UNIT and not attrs.get("unit_field"):
            raise serializers.ValidationError({"unit_field": "required for per_unit fees"})
        return attrs


class FeeCreateInput(FeeSerializer):
    authority = serializers.CharField(
        write_only=True, help_text="AGS of the authority (its administrators only)"
    )

    class Meta(FeeSerializer.Meta):
        read_only_fields = ["id"]
