"""REST API of the outbox (under /api/v1/): deliveries for staff, scoped to their authorities."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import OutboxMessage
from .selectors import ATTENTION, deliveries_for_user
from .services import outbox_retry


class DeliverySerializer(serializers.ModelSerializer[OutboxMessage]):
    authority: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="ags", read_only=True
    )

    class Meta:
        model = OutboxMessage
        fields = [
            "id",
            "authority",
            "kind",
            "payload",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "locked_until",
            "done_at",
        ]
        read_only_fields = fields


class DeliveryFilter(serializers.Serializer[Any]):
    status = serializers.ChoiceField(
        choices=[ATTENTION, *OutboxMessage.Status.values],
        default=ATTENTION,
        help_text="attention (default): failed, or pending for longer than expected; or one stored status",
    )
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS: only this authority")


@extend_schema(parameters=[DeliveryFilter], tags=["staff"])
class DeliveryList(generics.ListAPIView[OutboxMessage]):
    """Deliveries (e-mails, documents, hand-overs) of the acting user's authorities, newest first."""

    serializer_class = DeliverySerializer
    permission_classes = [IsStaffAccount]

    def get_queryset(self) -> QuerySet[OutboxMessage]:
        params = validated_query(DeliveryFilter, self.request)
        authority_id = None
        if "authority" in params:
            authority_id = (
                Authority.objects.filter(ags=params["authority"]).values_list("pk", flat=True).first() or 0
            )
        return deliveries_for_user(self.request.user, status=params["status"], authority_id=authority_id)


@extend_schema(request=None, responses=DeliverySerializer, tags=["staff"])
class DeliveryRetry(APIView):
    """Attempt a failed or delayed delivery again now (the attempt count is kept); audited."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, pk: int) -> Response:
        message = access.get_for_user(OutboxMessage.objects.all(), request.user, channel=CHANNEL_API, pk=pk)
        message = outbox_retry(message=message, actor=request.user, channel=CHANNEL_API)
        return Response(DeliverySerializer(message).data)


urlpatterns: list[URLPattern] = [
    path("staff/deliveries", DeliveryList.as_view(), name="api-staff-delivery-list"),
    path("staff/deliveries/<int:pk>/retry", DeliveryRetry.as_view(), name="api-staff-delivery-retry"),
]
