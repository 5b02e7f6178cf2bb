"""Staff API of the vehicle part at the Zulassungsstelle (under /api/v1/), scoped by ``tenancy.access``.

- ``GET staff/vehicles/changes?case=<id>``: the vehicles of a case (another authority's: empty);
- ``POST staff/vehicles/changes/<id>/record`` and ``…/refuse``: as the buttons on the vehicle-part
  page (exactly once; another authority's vehicle: 404).
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from .models import VehicleChange
from .serializers_staff import ChangeListQuery, RecordInput, RefuseInput, VehicleChangeSerializer
from .services import vehicle_change_record, vehicle_change_refuse

PROBLEM = OpenApiResponse(description="application/problem+json")
VIA = "case__authority"


def _staff(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsStaffAccount
    return request.user


def _change(request: Request, change_id: int) -> VehicleChange:
    return access.get_for_user(
        VehicleChange.objects.select_related("case", "recorded_by"),
        request.user,
        channel=CHANNEL_API,
        via=VIA,
        pk=change_id,
    )


@extend_schema(
    tags=["vehicles"],
    parameters=[ChangeListQuery],
    responses={200: VehicleChangeSerializer(many=True), 400: PROBLEM},
)
class VehicleChangeList(APIView):
    """The vehicles of a move handed over to the Zulassungsstelle, with register result and outcome."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request) -> Response:
        query = validated_query(ChangeListQuery, request)
        rows = (
            access.scope(VehicleChange.objects.filter(case_id=query["case"]), request.user, via=VIA)
            .select_related("case", "recorded_by")
            .order_by("position")
        )
        return Response(VehicleChangeSerializer(rows, many=True).data)


@extend_schema(
    tags=["vehicles"],
    request=RecordInput,
    responses={200: VehicleChangeSerializer, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM, 503: PROBLEM},
)
class VehicleChangeRecord(APIView):
    """Record the new address of the vehicle in the register (once; a repeat returns the result)."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, change_id: int) -> Response:
        change = _change(request, change_id)
        data = RecordInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = vehicle_change_record(
            change=change,
            keep_plate=data.validated_data["keep_plate"],
            new_plate=data.validated_data.get("new_plate", ""),
            holder_verified=data.validated_data["holder_verified"],
            actor=_staff(request),
            channel=CHANNEL_API,
        )
        return Response(VehicleChangeSerializer(change).data)


@extend_schema(
    tags=["vehicles"],
    request=RefuseInput,
    responses={200: VehicleChangeSerializer, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
class VehicleChangeRefuse(APIView):
    """Refuse the address change of the vehicle, with the reason."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, change_id: int) -> Response:
        change = _change(request, change_id)
        data = RefuseInput(data=request.data)
        data.is_valid(raise_exception=True)
        change = vehicle_change_refuse(
            change=change, reason=data.validated_data["reason"], actor=_staff(request), channel=CHANNEL_API
        )
        return Response(VehicleChangeSerializer(change).data)


urlpatterns: list[URLPattern] = [
    path("staff/vehicles/changes", VehicleChangeList.as_view(), name="api-staff-vehicle-change-list"),
    path(
        "staff/vehicles/changes/<int:change_id>/record",
        VehicleChangeRecord.as_view(),
        name="api-staff-vehicle-change-record",
    ),
    path(
        "staff/vehicles/changes/<int:change_id>/refuse",
        VehicleChangeRefuse.as_view(),
        name="api-staff-vehicle-change-refuse",
    ),
]
