"""API representations of the catalogue and of offerings."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from amtsweg.tenancy.models import Office

from .models import Lebenslage, OzgService, Service, ServiceOffering, Themenfeld


class ThemenfeldSerializer(serializers.ModelSerializer[Themenfeld]):
    class Meta:
        model = Themenfeld
        fields = ["slug", "name"]


class LebenslageSerializer(serializers.ModelSerializer[Lebenslage]):
    themenfeld: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Lebenslage
        fields = ["slug", "name", "themenfeld"]


class OzgServiceSerializer(serializers.ModelSerializer[OzgService]):
    themenfeld = ThemenfeldSerializer(read_only=True)
    lebenslage: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = OzgService
        fields = ["ozg_id", "name", "themenfeld", "lebenslage"]


class ServiceSummarySerializer(serializers.ModelSerializer[Service]):
    ozg_id = serializers.CharField(source="ozg_service.ozg_id", default=None, read_only=True)

    class Meta:
        model = Service
        fields = ["leika_key", "name", "ozg_id", "responsible_level", "required_trust_level"]


class ServiceSerializer(serializers.ModelSerializer[Service]):
    ozg_service = OzgServiceSerializer(read_only=True)

    class Meta:
        model = Service
        fields = [
            "leika_key",
            "name",
            "leika_type",
            "ozg_service",
            "summary",
            "eligibility",
            "required_documents",
            "fees",
            "legal_basis",
            "processing_time",
            "required_trust_level",
            "responsible_level",
        ]


class OfferingSerializer(serializers.ModelSerializer[ServiceOffering]):
    service: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="leika_key", read_only=True
    )
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags", read_only=True
    )

    class Meta:
        model = ServiceOffering
        fields = [
            "id",
            "service",
            "authority",
            "enabled",
            "maturity",
            "online_url",
            "contact_email",
            "contact_phone",
            "office",
        ]


class OfferingUpdateSerializer(serializers.Serializer[ServiceOffering]):
    """The fields an authority administrator may change; all optional (PATCH)."""

    enabled = serializers.BooleanField(required=False)
    maturity = serializers.ChoiceField(choices=ServiceOffering.Maturity.choices, required=False)
    online_url = serializers.URLField(required=False, allow_blank=True, max_length=200)
    contact_email = serializers.EmailField(required=False, allow_blank=True)
    contact_phone = serializers.CharField(required=False, allow_blank=True, max_length=40)
    office = serializers.PrimaryKeyRelatedField(
        queryset=Office.objects.all(), required=False, allow_null=True
    )
