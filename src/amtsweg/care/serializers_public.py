"""Shapes of the public care API (search, detail, meta): what the alliance's app reads."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import CareType, Specialisation
from .selectors import SortOrder, Status

# The traffic light's choice set; named CareVacancyStatusEnum in the schema (ENUM_NAME_OVERRIDES).
STATUS_CHOICES = [(s.value, s.value) for s in Status]


class StatusField(serializers.ChoiceField):
    """The traffic light (green, yellow, red, unknown)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=STATUS_CHOICES, **kwargs)


class SpecialisationField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=Specialisation.values, **kwargs)


class CareSearchQuerySerializer(serializers.Serializer[Any]):
    """The query parameters of the search (documentation; ``search_params.parse_search`` reads them)."""

    postcode = serializers.CharField(required=False, help_text="German postcode, e.g. 41460.")
    town = serializers.CharField(required=False, help_text="Town name, e.g. Dormagen.")
    q = serializers.CharField(
        required=False, help_text="Free text: postcode, town or address (geocoded; address needs a geocoder)."
    )
    lat = serializers.FloatField(required=False, help_text="Latitude (WGS 84) of the position; needs lon.")
    lon = serializers.FloatField(required=False, help_text="Longitude (WGS 84) of the position; needs lat.")
    radius_km = serializers.FloatField(
        required=False, default=5, min_value=0.5, max_value=100, help_text="Radius in km (0.5–100)."
    )
    care_type = serializers.ChoiceField(choices=CareType.choices, required=False)
    needed_on = serializers.DateField(
        required=False, help_text="Day a place is needed (not in the past): counts expected places."
    )
    specialisation = serializers.ListField(
        child=SpecialisationField(),
        required=False,
        help_text="Repeatable; all must match.",
    )
    language = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="ISO 639-1 codes; repeatable; all must match.",
    )
    only_available = serializers.BooleanField(required=False, default=False)
    sort = serializers.ChoiceField(choices=[s.value for s in SortOrder], required=False, default="distance")
    limit = serializers.IntegerField(required=False, default=20, min_value=1, max_value=200)
    offset = serializers.IntegerField(required=False, default=0, min_value=0)


class CareExpectedSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    places = serializers.IntegerField()


class CareOfferSerializer(serializers.Serializer[Any]):
    care_type = serializers.ChoiceField(choices=CareType.choices)
    capacity = serializers.IntegerField()
    free_now = serializers.IntegerField(
        allow_null=True, help_text="Free places reported; null: never reported."
    )
    places = serializers.IntegerField(
        allow_null=True, help_text="Free places on needed_on (expected), else free_now."
    )
    status = StatusField()
    reported_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField(help_text="The report is older than the finder's limit, or missing.")
    expected = CareExpectedSerializer(many=True)


class CarePlaceSerializer(serializers.Serializer[Any]):
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF Field.label; the API field is "label"
    precision = serializers.ChoiceField(choices=["postcode", "town", "address", "position"])


class CareFacilityHitSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    street = serializers.CharField()
    postcode = serializers.CharField()
    town = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    distance_km = serializers.FloatField()
    specialisations = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    status = StatusField(help_text="Best traffic light of the matching offers.")
    last_reported_at = serializers.DateTimeField(
        allow_null=True, help_text="Oldest report of the matching offers; null if one never reported."
    )
    stale = serializers.BooleanField()
    offers = CareOfferSerializer(many=True)


class CareFacilityPageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="All matches (the page is limit/offset).")
    place = CarePlaceSerializer()
    radius_km = serializers.FloatField()
    results = CareFacilityHitSerializer(many=True)


class CareOwnShareSerializer(serializers.Serializer[Any]):
    pflegegrad = serializers.IntegerField()
    euro_per_month = serializers.DecimalField(max_digits=8, decimal_places=2)


class CareDetailOfferSerializer(CareOfferSerializer):
    own_share = CareOwnShareSerializer(many=True)


class CarePhotoSerializer(serializers.Serializer[Any]):
    url = serializers.CharField()
    alt_text = serializers.CharField()


class CareFacilityDetailSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    street = serializers.CharField()
    postcode = serializers.CharField()
    town = serializers.CharField()
    latitude = serializers.FloatField()
    longitude = serializers.FloatField()
    operator = serializers.CharField()
    phone = serializers.CharField()
    email = serializers.CharField()
    website = serializers.CharField()
    description = serializers.CharField()
    specialisations = serializers.ListField(child=serializers.CharField())
    languages = serializers.ListField(child=serializers.CharField())
    stale_after_hours = serializers.IntegerField()
    last_reported_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField()
    offers = CareDetailOfferSerializer(many=True)
    photos = CarePhotoSerializer(many=True)


class CareChoiceSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # DRF Field.label; the API field is "label"


class CareMetaSerializer(serializers.Serializer[Any]):
    care_types = CareChoiceSerializer(many=True)
    specialisations = CareChoiceSerializer(many=True)
    statuses = CareChoiceSerializer(many=True)
    default_radius_km = serializers.FloatField()
    min_radius_km = serializers.FloatField()
    max_radius_km = serializers.FloatField()
