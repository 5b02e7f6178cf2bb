"""Shapes of the register's staff API: entries (list row, detail with obligors, input), history,
the parcel lookup and the search parameters."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from .models import Baulast, BaulastKind, BaulastParcel, BaulastVersion
from .selectors import MAX_LIMIT


class SearchQuery(serializers.Serializer[Any]):
    parcel = serializers.CharField(
        required=False,
        default="",
        help_text="20-character Flurstückskennzeichen, or a parcel number (119/2) with gemarkung.",
    )
    address = serializers.CharField(
        required=False, default="", help_text="Part of the Lage (street, house number)."
    )
    gemarkung = serializers.CharField(
        required=False, default="", help_text="Gemarkung key, 6 digits (053359)."
    )
    flur = serializers.IntegerField(required=False, min_value=1, max_value=999, default=None)
    owner = serializers.CharField(
        required=False, default="", help_text="Part of an obligor's name (reads are audited)."
    )
    q = serializers.CharField(
        required=False, default="", help_text="Full text (German stemming) over entries and scans."
    )
    include_deleted = serializers.BooleanField(required=False, default=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=MAX_LIMIT, default=50)
    offset = serializers.IntegerField(required=False, min_value=0, default=0)


class ParcelLinkSerializer(serializers.Serializer[BaulastParcel]):
    kennzeichen = serializers.CharField(source="parcel.kennzeichen")
    display = serializers.CharField(source="parcel.__str__")
    location = serializers.CharField(source="parcel.location")
    role = serializers.ChoiceField(choices=BaulastParcel.Role.choices)


class EntryRowSerializer(serializers.ModelSerializer[Baulast]):
    """An entry in a list: without the obligors (personal data is read one entry at a time, audited)."""

    kind_label = serializers.CharField(source="get_kind_display")
    is_deleted = serializers.BooleanField()
    parcels = ParcelLinkSerializer(source="parcel_links", many=True)

    class Meta:
        model = Baulast
        fields = [
            "id",
            "sheet",
            "number",
            "kind",
            "kind_label",
            "text",
            "entered_on",
            "deleted_on",
            "is_deleted",
            "file_reference",
            "version",
            "parcels",
        ]


class EntrySerializer(EntryRowSerializer):
    class Meta(EntryRowSerializer.Meta):
        fields = [*EntryRowSerializer.Meta.fields, "obligors", "deletion_reason"]


class SearchResultSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    count_is_lower_bound = serializers.BooleanField(
        help_text="true: more full-text hits than `count` (the cap); refine the query. Not ranked then."
    )
    limit = serializers.IntegerField()
    offset = serializers.IntegerField()
    results = EntryRowSerializer(many=True)


class ParcelInput(serializers.Serializer[Any]):
    """A parcel: its 20-character key, or Gemarkung + Flur + Flurstücksnummer."""

    kennzeichen = serializers.CharField(required=False, default="", max_length=30)
    gemarkung = serializers.CharField(required=False, default="", max_length=6)
    flur = serializers.IntegerField(required=False, default=None, allow_null=True)
    flurstueck = serializers.CharField(required=False, default="", max_length=20, help_text="119 or 119/2")
    location = serializers.CharField(required=False, default="", allow_blank=True, max_length=200)


class EntryInput(serializers.Serializer[Any]):
    sheet = serializers.IntegerField(min_value=1)
    number = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=BaulastKind.choices)
    text = serializers.CharField(max_length=20000)
    obligors = serializers.CharField(required=False, default="", allow_blank=True, max_length=2000)
    entered_on = serializers.DateField()
    file_reference = serializers.CharField(required=False, default="", allow_blank=True, max_length=100)
    burdened = ParcelInput(many=True)
    benefiting = ParcelInput(many=True, required=False, default=list)


class EntryPatch(EntryInput):
    version = serializers.IntegerField(min_value=1, help_text="The version you edited (optimistic lock).")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


class EntryDeleteInput(serializers.Serializer[Any]):
    deleted_on = serializers.DateField()
    reason = serializers.CharField(max_length=2000)
    version = serializers.IntegerField(min_value=1, required=False, default=None)


class EntryRestoreInput(serializers.Serializer[Any]):
    version = serializers.IntegerField(
        min_value=1, help_text="The version of the deleted entry you are restoring (409 when stale)."
    )


class BaulastVersionSerializer(serializers.ModelSerializer[BaulastVersion]):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = BaulastVersion
        fields = ["number", "change", "at", "channel", "actor", "snapshot"]

    def get_actor(self, version: BaulastVersion) -> str:
        return version.actor.get_full_name() if version.actor else ""


class ParcelEntrySerializer(serializers.ModelSerializer[Baulast]):
    """An entry found for a parcel, with the parcel's role in it (no obligors)."""

    kind_label = serializers.CharField(source="get_kind_display")
    is_deleted = serializers.BooleanField()
    role = serializers.ChoiceField(source="parcel_role", choices=BaulastParcel.Role.choices)

    class Meta:
        model = Baulast
        fields = [
            "id",
            "sheet",
            "number",
            "kind",
            "kind_label",
            "text",
            "entered_on",
            "deleted_on",
            "is_deleted",
            "role",
        ]


class ParcelLookupSerializer(serializers.Serializer[Any]):
    kennzeichen = serializers.CharField()
    display = serializers.CharField(help_text="Gemarkung X, Flur 3, Flurstück 119/2")
    known = serializers.BooleanField(help_text="Whether the register knows the parcel at all.")
    location = serializers.CharField()
    entries = ParcelEntrySerializer(many=True)
