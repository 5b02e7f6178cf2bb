"""Serializers of the operators' write API (``api_operator``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from rest_framework import serializers

from .models import CareOffer, CareType, Facility, Specialisation, VacancyReport
from .services import MAX_EXPECTED_ENTRIES


class ExpectedEntrySerializer(serializers.Serializer[dict[str, Any]]):
    date = serializers.DateField(help_text="Day the places are expected to be free (after today).")
    places = serializers.IntegerField(min_value=0, help_text="Expected free places on that day.")


class OperatorOfferSerializer(serializers.ModelSerializer[CareOffer]):
    expected = ExpectedEntrySerializer(many=True, read_only=True)
    own_share = serializers.DictField(
        child=serializers.DecimalField(max_digits=7, decimal_places=2, coerce_to_string=True),
        read_only=True,
        help_text="Monthly own share in euros by Pflegegrad (keys 1–5; missing = not stated).",
    )

    class Meta:
        model = CareOffer
        fields = ["care_type", "capacity", "free_now", "reported_at", "expected", "own_share"]
        read_only_fields = fields


class OperatorFacilitySerializer(serializers.ModelSerializer[Facility]):
    specialisations = serializers.ListField(child=serializers.ChoiceField(choices=Specialisation.choices))
    offers = OperatorOfferSerializer(many=True, read_only=True)

    class Meta:
        model = Facility
        fields = [
            "id",
            "name",
            "street",
            "postcode",
            "town",
            "active",
            "phone",
            "email",
            "report_email",
            "website",
            "description",
            "specialisations",
            "languages",
            "offers",
        ]
        read_only_fields = fields


class ReportLineSerializer(serializers.Serializer[dict[str, Any]]):
    care_type = serializers.ChoiceField(choices=CareType.choices)
    free_places = serializers.IntegerField(min_value=0, max_value=32767)
    expected = serializers.ListField(
        child=ExpectedEntrySerializer(), required=False, max_length=MAX_EXPECTED_ENTRIES
    )


class ReportRequestSerializer(serializers.Serializer[dict[str, Any]]):
    lines = serializers.ListField(child=ReportLineSerializer(), min_length=1, max_length=len(CareType.values))


class ReportSerializer(serializers.ModelSerializer[VacancyReport]):
    care_type = serializers.CharField(source="offer.care_type", read_only=True)
    expected = ExpectedEntrySerializer(many=True, read_only=True)

    class Meta:
        model = VacancyReport
        fields = ["id", "care_type", "free_places", "expected", "reported_at", "channel"]
        read_only_fields = fields


class FacilityPatchSerializer(serializers.Serializer[dict[str, Any]]):
    """Every field optional (a partial update); name, address and capacity are not changed here."""

    phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    email = serializers.EmailField(required=False, allow_blank=True)
    report_email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    specialisations = serializers.ListField(
        child=serializers.ChoiceField(choices=Specialisation.choices), required=False, max_length=32
    )
    languages = serializers.ListField(
        child=serializers.RegexField(r"^[a-z]{2}$", max_length=2), required=False, max_length=20
    )
    own_share = serializers.DictField(
        child=serializers.DictField(
            child=serializers.DecimalField(
                max_digits=7, decimal_places=2, min_value=Decimal("0"), allow_null=True
            )
        ),
        required=False,
        help_text='By care type, then Pflegegrad: {"vollstationaer": {"2": "2480.00"}}. The mapping of a '
        "named care type replaces its stored one (a missing or null grade is not stated).",
    )
