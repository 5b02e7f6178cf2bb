"""Serializers of the staff API of the vehicle part (``/api/v1/staff/vehicles/…``)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import VehicleChange


class ChangeListQuery(serializers.Serializer[Any]):
    case = serializers.IntegerField(min_value=1, help_text="id des Vorgangs der Zulassungsstelle")


class VehicleChangeSerializer(serializers.ModelSerializer[VehicleChange]):
    case_reference = serializers.CharField(source="case.reference", read_only=True)
    new_plate = serializers.SerializerMethodField()
    recorded_by = serializers.SerializerMethodField()

    class Meta:
        model = VehicleChange
        fields = [
            "id",
            "case",
            "case_reference",
            "position",
            "plate",
            "register_check",
            "check_detail",
            "checked_at",
            "keep_plate",
            "new_plate",
            "outcome",
            "reason",
            "recorded_at",
            "recorded_by",
        ]
        read_only_fields = fields

    def get_new_plate(self, obj: VehicleChange) -> str | None:
        value = obj.check_detail.get("new_plate")
        return str(value) if value else None

    def get_recorded_by(self, obj: VehicleChange) -> str | None:
        return obj.recorded_by.email if obj.recorded_by else None


class RecordInput(serializers.Serializer[Any]):
    keep_plate = serializers.BooleanField(
        default=True, help_text="Nur bei Zuzug aus einem anderen Bezirk: Kennzeichen behalten"
    )
    new_plate = serializers.CharField(
        required=False, allow_blank=True, max_length=20, help_text="Neues Kennzeichen, wenn nicht behalten"
    )
    holder_verified = serializers.BooleanField(
        default=False, help_text="Identität geprüft, obwohl die Halterdaten abweichen"
    )


class RefuseInput(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)
