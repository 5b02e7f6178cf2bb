"""API representations of desired plates (Wunschkennzeichen): availability and reservations."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import serializers

from . import reservations
from .models import PlateReservation


class AvailabilityQuery(serializers.Serializer[Any]):
    plate = serializers.CharField(
        max_length=20,
        help_text="The desired plate in any usual spelling: 'NE-AB 123', 'ne ab 123', 'NE:AB123E'.",
    )


class AvailabilitySerializer(serializers.Serializer[reservations.Availability]):
    query = serializers.CharField(help_text="The plate as asked.")
    plate = serializers.SerializerMethodField(help_text="Canonical plate ('NE-AB 123'), null if invalid.")
    verdict = serializers.ChoiceField(
        choices=[v.value for v in reservations.Verdict],
        help_text="invalid, wrong_district, issued, reserved or available.",
    )
    available = serializers.BooleanField()
    reason = serializers.CharField(help_text="For 'invalid': what is wrong (a stable code).")
    detail = serializers.CharField(source="message_en")
    detail_de = serializers.CharField(source="message_de")
    suggestions = serializers.ListField(
        child=serializers.CharField(), help_text="Free alternatives for an issued or reserved plate."
    )

    def get_plate(self, obj: reservations.Availability) -> str | None:
        return obj.plate.text if obj.plate else None


class ReservationInput(serializers.Serializer[Any]):
    plate = serializers.CharField(max_length=20, help_text="The plate to reserve, any usual spelling.")


class PaymentBrief(serializers.Serializer[Any]):
    id = serializers.UUIDField()
    amount_cents = serializers.IntegerField()
    status = serializers.CharField()
    kassenzeichen = serializers.CharField()
    due_date = serializers.DateField(allow_null=True)


class ReservationSerializer(serializers.ModelSerializer[PlateReservation]):
    """A reservation as its holder sees it: plate, state, end, whether it can be extended now, and
    the payments of its case (fee of the reservation and of each extension)."""

    case_reference = serializers.CharField(source="case.reference", default=None, allow_null=True)
    active = serializers.SerializerMethodField()
    extendable = serializers.SerializerMethodField()
    payments = serializers.SerializerMethodField()

    class Meta:
        model = PlateReservation
        fields = [
            "id",
            "plate",
            "status",
            "active",
            "reserved_at",
            "expires_at",
            "extensions",
            "extendable",
            "ended_at",
            "case_reference",
            "payments",
        ]
        read_only_fields = fields

    def get_active(self, obj: PlateReservation) -> bool:
        return reservations.is_active(obj, now=self.context.get("now") or timezone.now())

    def get_extendable(self, obj: PlateReservation) -> bool:
        return reservations.can_extend(obj, now=self.context.get("now") or timezone.now())

    def get_payments(self, obj: PlateReservation) -> list[dict[str, Any]]:
        if obj.case is None:
            return []
        payments = sorted(obj.case.payments.all(), key=lambda p: p.created_at)
        return list(PaymentBrief(payments, many=True).data)


class StaffReservationQuery(serializers.Serializer[Any]):
    plate = serializers.CharField(required=False, allow_blank=True, max_length=20)


class StaffReservationSerializer(serializers.ModelSerializer[PlateReservation]):
    authority = serializers.CharField(source="authority.ags")
    holder_name = serializers.SerializerMethodField()
    case_reference = serializers.CharField(source="case.reference", default=None, allow_null=True)

    class Meta:
        model = PlateReservation
        fields = [
            "id",
            "authority",
            "plate",
            "status",
            "reserved_at",
            "expires_at",
            "extensions",
            "ended_at",
            "holder_name",
            "case_reference",
        ]
        read_only_fields = fields

    def get_holder_name(self, obj: PlateReservation) -> str:
        return obj.holder.get_full_name() or obj.holder.email
