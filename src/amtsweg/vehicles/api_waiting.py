"""Public API of the road-traffic offices' waiting times (under /api/v1/vehicles/waiting-times).

No authentication and no personal data: counts, minutes and free appointment times. Answers may
be cached by clients and proxies for as long as the server caches the figures (``Cache-Control:
public, max-age``). The estimator is described in ``vehicles.waiting`` and docs/vehicles.md.
"""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.appointments import calendar
from amtsweg.core.problems import NotFoundProblem

from . import waiting
from .waiting import NextAppointment, OfficeWaiting, QueueState

TAG = "vehicles"


class NextAppointmentSerializer(serializers.Serializer[NextAppointment]):
    service = serializers.CharField(source="leika_key", help_text="LeiKa key of the service.")
    service_name = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    starts_at = serializers.SerializerMethodField(
        help_text="The next free start (Europe/Berlin, ISO 8601); null: nothing free in the booking window."
    )

    def get_starts_at(self, row: NextAppointment) -> str | None:
        return calendar.local(row.starts_at).isoformat() if row.starts_at is not None else None


class OfficeWaitingSerializer(serializers.Serializer[OfficeWaiting]):
    office = serializers.IntegerField(source="office_id", help_text="Office id as in /api/v1/offices.")
    name = serializers.CharField()
    authority = serializers.CharField(source="authority_ags", help_text="AGS of the authority.")
    authority_name = serializers.CharField()
    address = serializers.SerializerMethodField()
    as_of = serializers.SerializerMethodField(help_text="When these figures were computed.")
    open_now = serializers.BooleanField()
    closes_at = serializers.SerializerMethodField(help_text="End of the current opening period, if open.")
    queue_state = serializers.ChoiceField(
        source="state",
        choices=[QueueState.ESTIMATE, QueueState.NO_DATA, QueueState.CLOSED],
        help_text="estimate: figures below; no_data: the office's queue was not used in the past "
        "14 days, no estimate is made; closed: the office is closed now.",
    )
    waiting = serializers.IntegerField(allow_null=True, help_text="People in the waiting room now.")
    estimate_minutes = serializers.IntegerField(
        allow_null=True,
        help_text="Estimated wait for a walk-in drawing a number now: waiting × service_minutes ÷ counters.",
    )
    counters = serializers.IntegerField(
        allow_null=True, help_text="Counters serving (staffed) in the estimate."
    )
    counters_assumed = serializers.BooleanField(
        help_text="No counter has called anyone in the last hour: all active counters were assumed."
    )
    service_minutes = serializers.FloatField(allow_null=True, help_text="Median minutes per visit.")
    service_basis = serializers.CharField(
        allow_null=True,
        help_text="observed (finished visits, last 14 days) or configured (appointment durations).",
    )
    recent_median_wait_minutes = serializers.FloatField(
        allow_null=True, help_text="Median wait of the people called in the last hour (from 3 call-ups on)."
    )
    recent_calls = serializers.IntegerField()
    beyond_closing = serializers.BooleanField(
        help_text="The estimate runs past the end of the opening period."
    )
    online_booking = serializers.BooleanField()
    next_appointments = NextAppointmentSerializer(source="appointments", many=True)

    def get_address(self, row: OfficeWaiting) -> dict[str, str]:
        return {"street": row.street, "postcode": row.postcode, "city": row.city}

    def get_as_of(self, row: OfficeWaiting) -> str:
        return calendar.local(row.as_of).isoformat()

    def get_closes_at(self, row: OfficeWaiting) -> str | None:
        return calendar.local(row.closes_at).isoformat() if row.closes_at is not None else None


class WaitingTimesSerializer(serializers.Serializer[dict[str, Any]]):
    offices = OfficeWaitingSerializer(many=True)


_EXAMPLE = {
    "office": 12,
    "name": "Straßenverkehrsamt",
    "authority": "05162000",
    "authority_name": "Rhein-Kreis Neuss",
    "address": {"street": "Lindenstraße 10", "postcode": "41515", "city": "Grevenbroich"},
    "as_of": "2026-03-03T10:15:00+01:00",
    "open_now": True,
    "closes_at": "2026-03-03T12:30:00+01:00",
    "queue_state": "estimate",
    "waiting": 6,
    "estimate_minutes": 24,
    "counters": 3,
    "counters_assumed": False,
    "service_minutes": 12.0,
    "service_basis": "observed",
    "recent_median_wait_minutes": 18.0,
    "recent_calls": 11,
    "beyond_closing": False,
    "online_booking": True,
    "next_appointments": [
        {
            "service": "99036008071000",
            "service_name": "Adressänderung in der Zulassungsbescheinigung",
            "duration_minutes": 20,
            "starts_at": "2026-03-04T08:10:00+01:00",
        }
    ],
}


def _public(response: Response) -> Response:
    response["Cache-Control"] = f"public, max-age={waiting.cache_seconds()}"
    return response


@extend_schema(
    tags=[TAG],
    auth=[],
    responses={200: WaitingTimesSerializer},
    examples=[OpenApiExample("one office", value={"offices": [_EXAMPLE]}, response_only=True)],
)
class WaitingTimes(APIView):
    """Waiting time and next free appointment of every road-traffic office of the registration authority."""

    authentication_classes: list[type] = []

    @extend_schema(operation_id="vehicles_waiting_times_list")
    def get(self, request: Request) -> Response:
        rows = waiting.waiting_times()
        return _public(Response(WaitingTimesSerializer({"offices": rows}).data))


@extend_schema(
    tags=[TAG],
    auth=[],
    responses={200: OfficeWaitingSerializer, 404: OpenApiResponse(description="application/problem+json")},
    examples=[OpenApiExample("office", value=_EXAMPLE, response_only=True)],
)
class OfficeWaitingTime(APIView):
    """The waiting time of one road-traffic office (``office``: the id of ``/api/v1/offices``)."""

    authentication_classes: list[type] = []

    @extend_schema(operation_id="vehicles_waiting_times_office")
    def get(self, request: Request, office: int) -> Response:
        found = waiting.road_traffic_office(office)
        if found is None:
            raise NotFoundProblem(
                "Diese Dienststelle ist kein Straßenverkehrsamt mit Wartezeitangaben.",
                "This office is not a road-traffic office with waiting times.",
            )
        (row,) = waiting.figures_for([found])
        return _public(Response(OfficeWaitingSerializer(row).data))


urlpatterns: list[URLPattern] = [
    path("vehicles/waiting-times", WaitingTimes.as_view(), name="api-vehicles-waiting-list"),
    path(
        "vehicles/waiting-times/<int:office>",
        OfficeWaitingTime.as_view(),
        name="api-vehicles-waiting-detail",
    ),
]
