"""REST API of the care finder: place alerts (see api.py). Public, no login: subscribing sends a
confirmation e-mail; the key from that e-mail confirms or deletes the alert. The key is never in an
API answer (else the double opt-in could be skipped)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core import ratelimit
from amtsweg.core.problems import Problem

from . import alerts, search_params
from .models import CareType, Specialisation, specialisations_of

PROBLEM = OpenApiResponse(description="application/problem+json")


class AlertRateLimited(Problem):
    status_code = 429
    code = "care-alert-rate-limited"


class SubscribeSerializer(serializers.Serializer[Any]):
    """Where (one of postcode, town, q, or lat + lon), what and to which address."""

    email = serializers.CharField(max_length=254)
    care_type = serializers.ChoiceField(choices=CareType.choices)
    postcode = serializers.CharField(required=False, allow_blank=True, max_length=5)
    town = serializers.CharField(required=False, allow_blank=True, max_length=200)
    q = serializers.CharField(required=False, allow_blank=True, max_length=200)
    lat = serializers.FloatField(required=False, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, min_value=-180, max_value=180)
    radius_km = serializers.FloatField(required=False, default=5.0, min_value=0.5, max_value=100.0)
    specialisation = serializers.ListField(
        child=serializers.ChoiceField(choices=Specialisation.choices), required=False, default=list
    )
    language = serializers.ChoiceField(choices=[code for code, _name in settings.LANGUAGES], default="de")


class AlertSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=["pending", "active", "unsubscribed"])
    care_type = serializers.CharField()
    radius_km = serializers.FloatField()
    place_label = serializers.CharField()
    specialisation = serializers.ListField(child=serializers.CharField())
    confirmed_at = serializers.DateTimeField(allow_null=True)


def _alert_data(subscription: Any) -> dict[str, Any]:
    state = (
        "unsubscribed"
        if subscription.unsubscribed_at
        else ("active" if subscription.confirmed_at else "pending")
    )
    return {
        "status": state,
        "care_type": subscription.care_type,
        "radius_km": subscription.radius_km,
        "place_label": subscription.place_label,
        "specialisation": specialisations_of(subscription.specialisation_bits),
        "confirmed_at": subscription.confirmed_at,
    }


class AlertSubscribe(APIView):
    """Subscribe to a place alert; a confirmation e-mail is sent (double opt-in)."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="care_alert_subscribe",
        summary="Subscribe to a place alert (sends a confirmation e-mail)",
        request=SubscribeSerializer,
        responses={
            202: inline_serializer(
                "CareAlertSubscribed",
                {"status": serializers.CharField(), "confirm_within_days": serializers.IntegerField()},
            ),
            400: PROBLEM,
            429: PROBLEM,
        },
        tags=["care"],
    )
    def post(self, request: Request) -> Response:
        if not ratelimit.hit(
            "care-alert-subscribe",
            ratelimit.client_address(request),
            limit=int(settings.CARE_ALERT_SUBSCRIBE_LIMIT),
            window=3600,
        ):
            raise AlertRateLimited(
                "Zu viele Anmeldungen von diesem Anschluss in der letzten Stunde. Bitte später erneut "
                "versuchen.",
                "Too many subscriptions from this address in the last hour. Please try again later.",
                extra={"retry_after": ratelimit.window_remaining(3600)},
            )
        serializer = SubscribeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        where = {
            key: str(data[key])
            for key in ("postcode", "town", "q", "lat", "lon")
            if data.get(key) not in (None, "")
        }
        where["radius_km"] = str(data["radius_km"])
        _query, place = search_params.parse_search(where)
        alerts.alert_subscribe(
            email=data["email"],
            care_type=data["care_type"],
            place=place,
            radius_km=data["radius_km"],
            specialisations=list(data["specialisation"]),
            language=data["language"],
        )
        return Response(
            {"status": "confirmation_sent", "confirm_within_days": alerts.confirm_days()},
            status=status.HTTP_202_ACCEPTED,
        )


class AlertConfirm(APIView):
    """Confirm a place alert with the key from its confirmation e-mail."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="care_alert_confirm",
        summary="Confirm a place alert (double opt-in)",
        request=None,
        responses={200: AlertSerializer, 404: PROBLEM, 410: PROBLEM},
        tags=["care"],
    )
    def post(self, request: Request, key: str) -> Response:
        return Response(_alert_data(alerts.alert_confirm(key=key)))


class AlertDelete(APIView):
    """Unsubscribe a place alert with the key from one of its e-mails."""

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="care_alert_delete",
        summary="Unsubscribe a place alert",
        request=None,
        responses={204: None, 404: PROBLEM},
        tags=["care"],
    )
    def delete(self, request: Request, key: str) -> Response:
        alerts.alert_unsubscribe(key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("care/alerts", AlertSubscribe.as_view(), name="api-care-alert-subscribe"),
    path("care/alerts/<str:key>/confirm", AlertConfirm.as_view(), name="api-care-alert-confirm"),
    path("care/alerts/<str:key>", AlertDelete.as_view(), name="api-care-alert-delete"),
]
