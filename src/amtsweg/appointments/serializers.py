"""API representations of appointment offices, services, free slots and bookings, and the validated
inputs of the appointments API (query strings and request bodies)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Appointment, AppointmentItem, AppointmentOffice, OfficeService

MAX_SLOT_DAYS = 92
_SERVICE_ITEM = re.compile(r"^(?P<key>\d{14})(?::(?P<quantity>[1-9]\d?))?$")


class ServiceItemField(serializers.CharField):
    """A service in a query string: ``<LeiKa key>`` or ``<LeiKa key>:<quantity>`` → ``(key, quantity)``."""

    def to_internal_value(self, data: Any) -> tuple[str, int]:  # type: ignore[override]
        text = super().to_internal_value(data)
        match = _SERVICE_ITEM.match(text)
        if match is None:
            raise serializers.ValidationError("expected <14-digit LeiKa key>[:<quantity 1-99>]")
        return match["key"], int(match["quantity"] or 1)


class AwareDateTimeField(serializers.DateTimeField):
    """An instant with its offset: a naive time would be read in the server's zone without a word."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise serializers.ValidationError("a time zone offset (e.g. +01:00 or Z) is required")
        return super().enforce_timezone(value)


# --- inputs -----------------------------------------------------------------------------------------


class OfficeQuery(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS of the authority")
    service = serializers.RegexField(
        r"^\d{14}$", required=False, help_text="Only offices that give appointments for this LeiKa key"
    )


class ServiceQuery(serializers.Serializer[Any]):
    office = serializers.IntegerField(min_value=1, required=False, help_text="Office id (/api/v1/offices)")
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS of the authority")
    service = serializers.RegexField(r"^\d{14}$", required=False, help_text="LeiKa key")


class SlotQuery(serializers.Serializer[Any]):
    office = serializers.IntegerField(min_value=1, help_text="Office id (/api/v1/offices)")
    service = serializers.ListField(
        child=ServiceItemField(),
        min_length=1,
        max_length=5,
        help_text="Repeat for several services: `service=99008001012000:2&service=99085001012000`",
    )
    mode = serializers.ChoiceField(choices=Appointment.Mode.choices, default=Appointment.Mode.IN_PERSON)
    days = serializers.IntegerField(
        min_value=1, max_value=MAX_SLOT_DAYS, required=False, help_text="Default: to the end of the window"
    )

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        # ``from`` is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.DateField(
            required=False, help_text="First day (default: the first bookable day)"
        )
        return fields


class EarliestQuery(serializers.Serializer[Any]):
    service = serializers.ListField(child=ServiceItemField(), min_length=1, max_length=5)
    authority = serializers.RegexField(
        r"^\d{8}$", required=False, help_text="AGS: only this authority's offices (default: the alliance)"
    )
    mode = serializers.ChoiceField(choices=Appointment.Mode.choices, default=Appointment.Mode.IN_PERSON)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class ServiceItemInput(serializers.Serializer[Any]):
    service = serializers.RegexField(r"^\d{14}$", help_text="LeiKa key")
    quantity = serializers.IntegerField(min_value=1, max_value=10, default=1)


class BookingInput(serializers.Serializer[Any]):
    office = serializers.IntegerField(min_value=1, help_text="Office id (/api/v1/offices)")
    services = ServiceItemInput(many=True, min_length=1, max_length=5)  # type: ignore[call-arg]
    starts_at = AwareDateTimeField(help_text="A start from /appointments/slots, with its offset")
    mode = serializers.ChoiceField(choices=Appointment.Mode.choices, default=Appointment.Mode.IN_PERSON)
    name = serializers.CharField(max_length=200, trim_whitespace=True)
    email = serializers.EmailField(max_length=254)
    phone = serializers.RegexField(r"^[0-9 +()/\-]{0,40}$", required=False, default="", allow_blank=True)
    language = serializers.ChoiceField(choices=[code for code, _name in settings.LANGUAGES], default="de")
    challenge = serializers.CharField(
        max_length=200, required=False, default="", allow_blank=True, help_text="From /appointments/challenge"
    )
    solution = serializers.RegexField(
        r"^\d{1,20}$", required=False, default="", allow_blank=True, help_text="Decimal counter"
    )


class TokenInput(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=200)


class RescheduleInput(serializers.Serializer[Any]):
    starts_at = AwareDateTimeField(help_text="A start from /appointments/slots, with its offset")


class StaffAppointmentQuery(serializers.Serializer[Any]):
    office = serializers.IntegerField(min_value=1, required=False, help_text="Office id")
    date = serializers.DateField(required=False, help_text="Day (local time); default: today")
    status = serializers.ChoiceField(choices=Appointment.Status.choices, required=False)


# --- outputs ----------------------------------------------------------------------------------------


class OfficeServiceSerializer(serializers.ModelSerializer[OfficeService]):
    office = serializers.IntegerField(source="office.office_id", read_only=True)
    service = serializers.CharField(source="service.leika_key", read_only=True)
    name = serializers.CharField(source="service.name", read_only=True)

    class Meta:
        model = OfficeService
        fields = ["office", "service", "name", "duration_minutes", "max_quantity", "video"]


class _OfficeServiceBrief(OfficeServiceSerializer):
    class Meta(OfficeServiceSerializer.Meta):
        fields = ["service", "name", "duration_minutes", "max_quantity", "video"]


class AppointmentOfficeSerializer(serializers.ModelSerializer[AppointmentOffice]):
    id = serializers.IntegerField(source="office_id", read_only=True)
    authority = serializers.CharField(source="office.authority.ags", read_only=True)
    authority_name = serializers.CharField(source="office.authority.name", read_only=True)
    name = serializers.CharField(source="office.name", read_only=True)
    street = serializers.CharField(source="office.street", read_only=True)
    postcode = serializers.CharField(source="office.postcode", read_only=True)
    city = serializers.CharField(source="office.city", read_only=True)
    video = serializers.BooleanField(source="video_enabled", read_only=True)
    services = serializers.SerializerMethodField()

    class Meta:
        model = AppointmentOffice
        fields = [
            "id",
            "authority",
            "authority_name",
            "name",
            "street",
            "postcode",
            "city",
            "grid_minutes",
            "book_from_days",
            "book_until_days",
            "video",
            "services",
        ]

    @extend_schema_field(_OfficeServiceBrief(many=True))
    def get_services(self, office: AppointmentOffice) -> list[dict[str, Any]]:
        services = [service for service in office.services.all() if service.bookable_online]
        return list(_OfficeServiceBrief(services, many=True).data)


class DaySlotsSerializer(serializers.Serializer[Any]):
    day = serializers.DateField()
    starts = serializers.ListField(child=serializers.DateTimeField())


class SlotsOutput(serializers.Serializer[Any]):
    office = serializers.IntegerField()
    mode = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    days = DaySlotsSerializer(many=True)


class OfferSerializer(serializers.Serializer[Any]):
    office = serializers.IntegerField(source="office.office_id")
    office_name = serializers.CharField(source="office.office.name")
    authority = serializers.CharField(source="office.office.authority.ags")
    authority_name = serializers.CharField(source="office.office.authority.name")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class ChallengeOutput(serializers.Serializer[Any]):
    challenge = serializers.CharField()
    difficulty = serializers.IntegerField(help_text="Leading zero bits required")
    expires_at = serializers.DateTimeField()
    algorithm = serializers.CharField(
        help_text="Find a decimal `solution` so that SHA-256 of `<challenge>:<solution>` (UTF-8) starts "
        "with `difficulty` zero bits"
    )


class AppointmentItemSerializer(serializers.ModelSerializer[AppointmentItem]):
    service = serializers.CharField(source="service.service.leika_key", read_only=True)
    name = serializers.CharField(source="service.service.name", read_only=True)

    class Meta:
        model = AppointmentItem
        fields = ["service", "name", "quantity"]


class BookingSerializer(serializers.ModelSerializer[Appointment]):
    """An appointment as its holder sees it (through the secret token or right after booking)."""

    office = serializers.IntegerField(source="office.office_id", read_only=True)
    office_name = serializers.CharField(source="office.office.name", read_only=True)
    office_address = serializers.SerializerMethodField()
    authority = serializers.CharField(source="authority.ags", read_only=True)
    services = AppointmentItemSerializer(source="items", many=True, read_only=True)

    class Meta:
        model = Appointment
        fields = [
            "reference",
            "status",
            "mode",
            "office",
            "office_name",
            "office_address",
            "authority",
            "starts_at",
            "ends_at",
            "hold_expires_at",
            "services",
            "name",
            "email",
            "phone",
            "language",
        ]

    def get_office_address(self, appointment: Appointment) -> str:
        office = appointment.office.office
        return f"{office.street}, {office.postcode} {office.city}"


class BookingCreated(BookingSerializer):
    """The answer to a booking: a guest's reservation waits for the e-mail link, so its token is only
    in that e-mail; a verified citizen's booking is final and carries the token for managing it."""

    token = serializers.CharField(read_only=True, allow_null=True, default=None)
    manage_url = serializers.CharField(read_only=True, allow_null=True, default=None)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "token", "manage_url"]


class BookingDetail(BookingSerializer):
    video_url = serializers.CharField(read_only=True, allow_null=True, default=None)

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "video_url"]


class StaffAppointmentSerializer(serializers.ModelSerializer[Appointment]):
    office = serializers.IntegerField(source="office.office_id", read_only=True)
    counter = serializers.CharField(source="counter.label", read_only=True)
    services = AppointmentItemSerializer(source="items", many=True, read_only=True)
    case = serializers.CharField(source="case.reference", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Appointment
        fields = [
            "reference",
            "status",
            "mode",
            "office",
            "counter",
            "starts_at",
            "ends_at",
            "services",
            "name",
            "case",
            "channel",
            "created_at",
        ]


class TicketSerializer(serializers.Serializer[Any]):
    number = serializers.CharField()
    status = serializers.CharField()
    checked_in_at = serializers.DateTimeField()


class StaffAppointmentDetailSerializer(StaffAppointmentSerializer):
    ticket = serializers.SerializerMethodField()

    class Meta(StaffAppointmentSerializer.Meta):
        fields = [
            *StaffAppointmentSerializer.Meta.fields,
            "email",
            "phone",
            "language",
            "hold_expires_at",
            "confirmed_at",
            "cancelled_at",
            "cancelled_by",
            "released_at",
            "ticket",
        ]

    @extend_schema_field(TicketSerializer(allow_null=True))
    def get_ticket(self, appointment: Appointment) -> dict[str, Any] | None:
        ticket = getattr(appointment, "ticket", None)
        if ticket is None:
            return None
        return dict(TicketSerializer(ticket).data)
