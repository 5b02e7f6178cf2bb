"""/api/v1/baulasten/{ags}/…: the register for the staff of its keeping authority — search and
create entries, read/change/delete (Löschung) one, its history, and the parcel lookup.

Scoping only through ``tenancy.access``: another authority's staff get 404 problem+json; reading
one entry (with its obligors) is audited."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from . import selectors, services_register
from .flurstueck import display as parcel_display
from .models import Baulast, Parcel, Register
from .serializers_register import (
    BaulastVersionSerializer,
    EntryDeleteInput,
    EntryInput,
    EntryPatch,
    EntryRestoreInput,
    EntrySerializer,
    ParcelLookupSerializer,
    SearchQuery,
    SearchResultSerializer,
)

PROBLEM = OpenApiResponse(description="application/problem+json")
AGS = OpenApiParameter("ags", str, OpenApiParameter.PATH, description="AGS of the keeping authority")
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


def _register(request: Request, ags: str) -> tuple[Authority, Register]:
    authority = access.authority_for_user(request.user, ags)
    register = selectors.register_for_user(request.user, authority)
    if register is None:
        raise Http404
    return authority, register


def _entry(request: Request, ags: str, pk: int) -> Baulast:
    authority, _ = _register(request, ags)
    return selectors.entry_for_user(request.user, authority, pk, channel=CHANNEL_API)


def _parcel_keys(rows: list[dict[str, Any]]) -> tuple[list[str], dict[str, str]]:
    keys: list[str] = []
    locations: dict[str, str] = {}
    for row in rows:
        key = services_register.parcel_key(
            kennzeichen=row.get("kennzeichen", ""),
            gemarkung=row.get("gemarkung", ""),
            flur=row.get("flur"),
            flurstueck_nr=row.get("flurstueck", ""),
        )
        keys.append(key)
        if row.get("location"):
            locations[key] = row["location"]
    return keys, locations


def _fresh(entry: Baulast) -> Baulast:
    return selectors.entries_with_parcels(Baulast.objects.filter(pk=entry.pk)).get()


class EntryList(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_entries_search",
        tags=["baulasten"],
        parameters=[SearchQuery, AGS],
        responses={200: SearchResultSerializer, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM, 422: PROBLEM},
        description="Search the register (every given criterion must match); ranked for `q`, else by sheet "
        "and number. Rows carry no obligors; an `owner` search is audited per entry found.",
    )
    def get(self, request: Request, ags: str) -> Response:
        authority, _ = _register(request, ags)
        query = validated_query(SearchQuery, request)
        page = selectors.register_search(request.user, authority, channel=CHANNEL_API, **query)
        body = {
            "count": page.total,
            "count_is_lower_bound": page.more,
            "limit": page.limit,
            "offset": page.offset,
            "results": page.entries,
        }
        return Response(SearchResultSerializer(body).data)

    @extend_schema(
        operation_id="baulasten_entry_create",
        tags=["baulasten"],
        parameters=[AGS],
        request=EntryInput,
        responses={201: EntrySerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
    )
    def post(self, request: Request, ags: str) -> Response:
        _, register = _register(request, ags)
        data = EntryInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        burdened, locations = _parcel_keys(values.pop("burdened"))
        benefiting, more = _parcel_keys(values.pop("benefiting"))
        entry = services_register.baulast_create(
            register=register,
            actor=request.user,
            channel=CHANNEL_API,
            burdened=burdened,
            benefiting=benefiting,
            locations=locations | more,
            **values,
        )
        return Response(EntrySerializer(_fresh(entry)).data, status=status.HTTP_201_CREATED)


class EntryDetail(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_entry",
        tags=["baulasten"],
        parameters=[AGS, ID],
        responses={200: EntrySerializer, 404: PROBLEM},
    )
    def get(self, request: Request, ags: str, pk: int) -> Response:
        return Response(EntrySerializer(_entry(request, ags, pk)).data)

    @extend_schema(
        operation_id="baulasten_entry_update",
        tags=["baulasten"],
        parameters=[AGS, ID],
        request=EntryPatch,
        responses={200: EntrySerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        description="Change fields and/or parcels; `version` is the version you edited (409 when stale).",
    )
    def patch(self, request: Request, ags: str, pk: int) -> Response:
        entry = _entry(request, ags, pk)
        data = EntryPatch(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        version = changes.pop("version", None)
        if version is None:
            raise ValidationError({"version": ["Die bearbeitete Fassung ist anzugeben (version)."]})
        locations: dict[str, str] = {}
        for role in ("burdened", "benefiting"):
            if role in changes:
                changes[role], found = _parcel_keys(changes[role])
                locations |= found
        entry = services_register.baulast_update(
            baulast=entry,
            actor=request.user,
            channel=CHANNEL_API,
            expected_version=version,
            locations=locations,
            **changes,
        )
        return Response(EntrySerializer(_fresh(entry)).data)

    @extend_schema(
        operation_id="baulasten_entry_delete",
        tags=["baulasten"],
        parameters=[AGS, ID],
        request=EntryDeleteInput,
        responses={200: EntrySerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
        description="Löschung: the entry stays in the register, flagged deleted since `deleted_on`.",
    )
    def delete(self, request: Request, ags: str, pk: int) -> Response:
        entry = _entry(request, ags, pk)
        data = EntryDeleteInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services_register.baulast_delete(
            baulast=entry,
            actor=request.user,
            channel=CHANNEL_API,
            deleted_on=data.validated_data["deleted_on"],
            reason=data.validated_data["reason"],
            expected_version=data.validated_data["version"],
        )
        return Response(EntrySerializer(_fresh(entry)).data)


class EntryRestore(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_entry_restore",
        tags=["baulasten"],
        parameters=[AGS, ID],
        request=EntryRestoreInput,
        responses={200: EntrySerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
        description="Lift a Löschung entered by mistake: the entry is valid again; the deletion and its "
        "lifting stay in the history. 409 when the entry is not deleted (`baulasten-entry-not-deleted`) "
        "or `version` is stale (`baulasten-version-conflict`).",
    )
    def post(self, request: Request, ags: str, pk: int) -> Response:
        entry = _entry(request, ags, pk)
        data = EntryRestoreInput(data=request.data)
        data.is_valid(raise_exception=True)
        entry = services_register.baulast_restore(
            baulast=entry,
            actor=request.user,
            channel=CHANNEL_API,
            expected_version=data.validated_data["version"],
        )
        return Response(EntrySerializer(_fresh(entry)).data)


class EntryHistory(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_entry_history",
        tags=["baulasten"],
        parameters=[AGS, ID],
        responses={200: BaulastVersionSerializer(many=True), 404: PROBLEM},
    )
    def get(self, request: Request, ags: str, pk: int) -> Response:
        entry = _entry(request, ags, pk)
        versions = entry.versions.select_related("actor").order_by("number")
        return Response(BaulastVersionSerializer(versions, many=True).data)


class ParcelLookup(APIView):
    permission_classes = [IsStaffAccount]

    @extend_schema(
        operation_id="baulasten_parcel_lookup",
        tags=["baulasten"],
        parameters=[AGS, OpenApiParameter("kennzeichen", str, OpenApiParameter.PATH)],
        responses={200: ParcelLookupSerializer, 404: PROBLEM, 422: PROBLEM},
        description="The entries of this register burdening or benefiting the parcel (deleted ones flagged).",
    )
    def get(self, request: Request, ags: str, kennzeichen: str) -> Response:
        _, register = _register(request, ags)
        entries = selectors.entries_for_parcel(kennzeichen=kennzeichen, register=register)
        key = services_register.parcel_key(kennzeichen=kennzeichen)
        parcel = Parcel.objects.select_related("gemarkung").filter(kennzeichen=key).first()
        body = {
            "kennzeichen": key,
            "display": str(parcel) if parcel else parcel_display(key),
            "known": parcel is not None,
            "location": parcel.location if parcel else "",
            "entries": entries,
        }
        return Response(ParcelLookupSerializer(body).data)


P = "baulasten/<str:ags>/"
urlpatterns: list[URLPattern] = [
    path(f"{P}entries", EntryList.as_view(), name="api-baulasten-entries"),
    path(f"{P}entries/<int:pk>", EntryDetail.as_view(), name="api-baulasten-entry"),
    path(f"{P}entries/<int:pk>/restore", EntryRestore.as_view(), name="api-baulasten-entry-restore"),
    path(f"{P}entries/<int:pk>/history", EntryHistory.as_view(), name="api-baulasten-entry-history"),
    path(f"{P}parcels/<str:kennzeichen>", ParcelLookup.as_view(), name="api-baulasten-parcel"),
]
