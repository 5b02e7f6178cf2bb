"""API representations of authorities, offices, teams and audit events."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import AuditEvent, Authority, Membership, Office, OpeningHours, Team


class OpeningHoursSerializer(serializers.ModelSerializer[OpeningHours]):
    class Meta:
        model = OpeningHours
        fields = ["weekday", "opens", "closes"]


class OfficeSerializer(serializers.ModelSerializer[Office]):
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags", read_only=True
    )
    opening_hours = OpeningHoursSerializer(many=True, read_only=True)

    class Meta:
        model = Office
        fields = [
            "id",
            "authority",
            "name",
            "slug",
            "street",
            "postcode",
            "city",
            "phone",
            "email",
            "accessibility",
            "latitude",
            "longitude",
            "opening_hours",
        ]


class AuthoritySerializer(serializers.ModelSerializer[Authority]):
    parent: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(  # type: ignore[assignment]
        slug_field="ags", read_only=True
    )
    alliance: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Authority
        fields = [
            "ags",
            "regional_key",
            "name",
            "official_name",
            "kind",
            "slug",
            "parent",
            "alliance",
            "primary_colour",
            "accent_colour",
            "coat_of_arms",
            "website",
            "email",
            "phone",
        ]


class StaffAuthoritySerializer(AuthoritySerializer):
    roles = serializers.SerializerMethodField()

    class Meta(AuthoritySerializer.Meta):
        fields = [*AuthoritySerializer.Meta.fields, "roles"]

    def get_roles(self, authority: Authority) -> list[str]:
        roles: dict[int, list[str]] = self.context.get("roles", {})
        return roles.get(authority.pk, [])


class TeamSerializer(serializers.ModelSerializer[Team]):
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags", read_only=True
    )
    members: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="email", many=True, read_only=True
    )

    class Meta:
        model = Team
        fields = ["id", "authority", "name", "members"]


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags", read_only=True
    )
    actor: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="email", read_only=True
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "authority",
            "action",
            "object_type",
            "object_id",
            "channel",
            "changes",
        ]


__all__ = [
    "AuditEventSerializer",
    "AuthoritySerializer",
    "Membership",
    "OfficeSerializer",
    "StaffAuthoritySerializer",
    "TeamSerializer",
]
