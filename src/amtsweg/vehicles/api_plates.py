"""REST API of desired plates (Wunschkennzeichen), under /api/v1/.

- ``vehicles/plates/availability?plate=``: public, rate-limited per client address;
- ``vehicles/plates/reservations`` (GET list, POST reserve), ``…/{id}/extend``, ``…/{id}/release``:
  the citizen's own reservations (citizen accounts only; another person's id is 404);
- ``staff/{ags}/vehicles/plate-reservations?plate=``: staff of the Zulassungsbehörde, scoped by
  ``tenancy.access``.

Errors are problem+json with ``code``: ``plate-invalid`` (400, with ``reason``), ``wrong-district``
(422), ``plate-issued`` / ``plate-reserved`` / ``reservation-limit`` / ``reservation-ended`` /
``extension-too-early`` / ``extension-limit`` (409), ``rate-limited`` (429).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.urls import URLPattern, path
from django.utils import timezone
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core import ratelimit
from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, IsStaffAccount, citizen_of, validated_query
from amtsweg.core.problems import NotFoundProblem
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import reservations
from .models import PlateReservation
from .serializers_plates import (
    AvailabilityQuery,
    AvailabilitySerializer,
    ReservationInput,
    ReservationSerializer,
    StaffReservationQuery,
    StaffReservationSerializer,
)

TAG = "vehicles"
PROBLEM = OpenApiResponse(description="application/problem+json")
CONFLICT = OpenApiResponse(
    description="problem+json: `plate-issued`, `plate-reserved`, `reservation-limit`, `reservation-ended`, "
    "`extension-too-early` or `extension-limit`"
)
_RESERVED = OpenApiExample(
    "plate reserved",
    status_codes=["409"],
    response_only=True,
    value={
        "type": "https://amtsweg.de/probleme/plate-reserved",
        "title": "Conflict",
        "status": 409,
        "detail": "The plate NE-AB 123 is already reserved.",
        "title_de": "Konflikt",
        "detail_de": "Das Kennzeichen NE-AB 123 ist bereits reserviert.",
        "code": "plate-reserved",
    },
)


def _no_store(response: Response) -> Response:
    response["Cache-Control"] = "no-store"
    return response


def _own(request: Request, reservation_id: UUID) -> tuple[User, PlateReservation]:
    holder = citizen_of(request)
    reservation = reservations.reservation_of(holder, reservation_id)
    if reservation is None:
        raise NotFoundProblem("Diese Reservierung gibt es nicht.", "There is no such reservation.")
    return holder, reservation


def _one(reservation: PlateReservation) -> dict[str, Any]:
    fresh = reservations.reservations_of(reservation.holder).get(pk=reservation.pk)
    return dict(ReservationSerializer(fresh, context={"now": timezone.now()}).data)


@extend_schema(
    tags=[TAG],
    parameters=[AvailabilityQuery],
    responses={200: AvailabilitySerializer, 400: PROBLEM, 429: PROBLEM},
    auth=[],
)
class PlateAvailability(APIView):
    """Whether a desired plate can be reserved: the verdict, why not, and free alternatives.

    An invalid plate is an answer (200, verdict ``invalid`` with the reason), not an error: the
    form of a client shows it next to the field."""

    permission_classes: list[Any] = []

    def get(self, request: Request) -> Response:
        query = validated_query(AvailabilityQuery, request)
        reservations.rate_limit(
            "availability", ratelimit.client_address(request), per_hour=reservations.AVAILABILITY_PER_HOUR
        )
        availability = reservations.plate_availability(query["plate"])
        return _no_store(Response(AvailabilitySerializer(availability).data))


@extend_schema(tags=[TAG])
class ReservationList(generics.ListCreateAPIView[PlateReservation]):
    """The caller's reservations (GET), newest first; reserve a plate (POST) for 90 days: the answer
    carries the fee's payment (pay it through ``/api/v1/payments``)."""

    permission_classes = [IsCitizenAccount]
    serializer_class = ReservationSerializer

    def get_queryset(self) -> QuerySet[PlateReservation]:
        return reservations.reservations_of(citizen_of(self.request))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "now": timezone.now()}

    @extend_schema(
        request=ReservationInput,
        responses={
            201: ReservationSerializer,
            400: PROBLEM,
            403: PROBLEM,
            409: CONFLICT,
            422: PROBLEM,
            429: PROBLEM,
        },
        examples=[_RESERVED],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        holder = citizen_of(request)
        data = ReservationInput(data=request.data)
        data.is_valid(raise_exception=True)
        reservations.rate_limit("reserve", str(holder.pk), per_hour=reservations.RESERVATIONS_PER_HOUR)
        reservation = reservations.plate_reserve(
            plate=data.validated_data["plate"], holder=holder, channel=CHANNEL_API
        )
        return _no_store(Response(_one(reservation), status=201))


@extend_schema(tags=[TAG], request=None, responses={200: ReservationSerializer, 404: PROBLEM, 409: CONFLICT})
class ReservationExtend(APIView):
    """Extend the reservation by 90 days from its end (only in its last 30 days, once; fee again)."""

    permission_classes = [IsCitizenAccount]

    def post(self, request: Request, reservation_id: UUID) -> Response:
        holder, reservation = _own(request, reservation_id)
        reservation = reservations.plate_reservation_extend(
            reservation=reservation, actor=holder, channel=CHANNEL_API
        )
        return _no_store(Response(_one(reservation)))


@extend_schema(tags=[TAG], request=None, responses={200: ReservationSerializer, 404: PROBLEM, 409: CONFLICT})
class ReservationRelease(APIView):
    """Release the reservation now; the plate is free again at once (the fee is not refunded)."""

    permission_classes = [IsCitizenAccount]

    def post(self, request: Request, reservation_id: UUID) -> Response:
        holder, reservation = _own(request, reservation_id)
        reservation = reservations.plate_reservation_release(
            reservation=reservation, actor=holder, channel=CHANNEL_API
        )
        return _no_store(Response(_one(reservation)))


@extend_schema(tags=["staff"], parameters=[StaffReservationQuery])
class StaffReservationList(generics.ListAPIView[PlateReservation]):
    """The reservations at the authority (the Zulassungsbehörde), optionally of one plate."""

    permission_classes = [IsStaffAccount]
    serializer_class = StaffReservationSerializer

    def get_queryset(self) -> QuerySet[PlateReservation]:
        query = validated_query(StaffReservationQuery, self.request)
        user = self.request.user
        assert isinstance(user, User)
        authority = access.authority_for_user(user, self.kwargs["ags"])
        return reservations.reservations_for_staff(user, authority, plate=query.get("plate", ""))


urlpatterns: list[URLPattern] = [
    path("vehicles/plates/availability", PlateAvailability.as_view(), name="api-vehicles-plate-availability"),
    path("vehicles/plates/reservations", ReservationList.as_view(), name="api-vehicles-plate-reservations"),
    path(
        "vehicles/plates/reservations/<uuid:reservation_id>/extend",
        ReservationExtend.as_view(),
        name="api-vehicles-plate-reservation-extend",
    ),
    path(
        "vehicles/plates/reservations/<uuid:reservation_id>/release",
        ReservationRelease.as_view(),
        name="api-vehicles-plate-reservation-release",
    ),
    path(
        "staff/<str:ags>/vehicles/plate-reservations",
        StaffReservationList.as_view(),
        name="api-staff-vehicles-plate-reservations",
    ),
]
