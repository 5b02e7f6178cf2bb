"""Payments API (under /api/v1/); reconciliation endpoints live in ``api_reconcile``.

- ``payments/<id>`` and ``payments/<id>/begin``: the payer's own payment (citizen accounts);
- ``payments/notifications/<provider>``: the provider's server-to-server notification (no login:
  the HMAC signature is the authentication; see ``payments.epayment``);
- ``staff/payments[/<id>]`` and ``staff/fees``: staff, scoped by ``tenancy.access``.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.urls import URLPattern, path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsCitizenAccount, IsStaffAccount, citizen_of, validated_query
from amtsweg.core.problems import PROBLEM_CONTENT_TYPE
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from . import api_reconcile, selectors, services
from .models import Fee, Payment
from .notifications import notification_receive
from .serializers import (
    BeginInput,
    BeginOutput,
    FeeCreateInput,
    FeeSerializer,
    MyPaymentSerializer,
    NotificationOutput,
    PaymentListQuery,
    StaffPaymentDetailSerializer,
    StaffPaymentSerializer,
)

PROBLEM = OpenApiResponse(description="application/problem+json")


def _staff(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsStaffAccount
    return request.user


@extend_schema(tags=["payments"], responses={200: MyPaymentSerializer, 404: PROBLEM})
class MyPayment(APIView):
    """One of the caller's payments: amount, Kassenzeichen, status."""

    permission_classes = [IsCitizenAccount]

    def get(self, request: Request, payment_id: uuid.UUID) -> Response:
        payment = selectors.payment_for_payer(user=citizen_of(request), payment_id=payment_id)
        return Response(MyPaymentSerializer(payment).data)


@extend_schema(
    tags=["payments"],
    request=BeginInput,
    responses={200: BeginOutput, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM},
)
class MyPaymentBegin(APIView):
    """Start paying with a provider: where to send the payer (redirect) or the invoice to show."""

    permission_classes = [IsCitizenAccount]

    def post(self, request: Request, payment_id: uuid.UUID) -> Response:
        user = citizen_of(request)
        payment = selectors.payment_for_payer(user=user, payment_id=payment_id)
        data = BeginInput(data=request.data)
        data.is_valid(raise_exception=True)
        return_url = data.validated_data.get("return_url") or request.build_absolute_uri(
            reverse("portal:payment_return", kwargs={"payment_id": payment.pk})
        )
        begin = services.payment_begin(
            payment=payment,
            provider_key=data.validated_data["provider"],
            actor=user,
            return_url=return_url,
            request=request._request,
        )
        return Response({"redirect_url": begin.redirect_url, "invoice_url": begin.invoice_url})


@extend_schema(
    tags=["payments"],
    request={"application/json": OpenApiTypes.OBJECT},
    responses={200: NotificationOutput, 400: PROBLEM, 403: PROBLEM, 404: PROBLEM},
    auth=[],
)
class PaymentNotification(APIView):
    """The provider's server-to-server notification about a payment (signed; see docs/payments.md).

    200 for applied, duplicate and stale notifications (the provider stops retrying); 403 for a
    forged signature, 404 for an unknown payment, 400 for a malformed or expired notification.
    Every notification is logged, forged ones included.
    """

    permission_classes = [AllowAny]
    authentication_classes: list[Any] = []  # the signature is the authentication; no CSRF, no session

    def post(self, request: Request, provider_key: str) -> HttpResponse:
        received = notification_receive(
            provider_key=provider_key,
            body=request.body,
            headers={key.lower(): value for key, value in request.headers.items()},
            remote_address=request.META.get("REMOTE_ADDR"),
        )
        if received.http_status == 200:
            return Response({"outcome": received.outcome})
        # Built by hand: the refusal is part of the fast path and says nothing about the payment.
        return HttpResponse(
            f'{{"type":"about:blank","title":"{received.outcome}","status":{received.http_status},'
            f'"code":"notification-{received.outcome}"}}',
            status=received.http_status,
            content_type=PROBLEM_CONTENT_TYPE,
        )


@extend_schema(tags=["staff"], parameters=[PaymentListQuery])
class StaffPaymentList(generics.ListAPIView[Payment]):
    """Payments of the caller's authorities, newest first; filter by authority (AGS), status, provider."""

    permission_classes = [IsStaffAccount]
    serializer_class = StaffPaymentSerializer

    def get_queryset(self) -> QuerySet[Payment]:
        query = validated_query(PaymentListQuery, self.request)
        authority = None
        if query.get("authority"):
            authority = access.authority_for_user(self.request.user, query["authority"])
        return selectors.payments_for_staff(
            user=_staff(self.request),
            authority=authority,
            status=query.get("status", ""),
            provider=query.get("provider", ""),
        )


@extend_schema(tags=["staff"], responses={200: StaffPaymentDetailSerializer, 404: PROBLEM})
class StaffPaymentDetail(APIView):
    """One payment with its event history."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, payment_id: uuid.UUID) -> Response:
        payment = access.get_for_user(
            Payment.objects.select_related("authority", "case").prefetch_related("events"),
            request.user,
            channel=CHANNEL_API,
            pk=payment_id,
        )
        return Response(StaffPaymentDetailSerializer(payment).data)


@extend_schema(tags=["staff"])
class StaffFeeList(generics.ListCreateAPIView[Fee]):
    """Fees of the caller's authorities (and the alliance-wide ones); administrators create fees."""

    permission_classes = [IsStaffAccount]
    serializer_class = FeeSerializer

    def get_queryset(self) -> QuerySet[Fee]:
        user = _staff(self.request)
        own = access.scope(Fee.objects.all(), user)
        return (
            (own | Fee.objects.filter(authority__isnull=True))
            .select_related("service", "authority")
            .order_by("service__leika_key", "authority_id", "key")
        )

    @extend_schema(
        request=FeeCreateInput, responses={201: FeeSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM}
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        user = _staff(request)
        data = FeeCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        authority = access.authority_for_user(user, values.pop("authority"), administer=True)
        fee = services.fee_save(fee=Fee(**values), authority=authority, actor=user, channel=CHANNEL_API)
        return Response(FeeSerializer(fee).data, status=201)


urlpatterns: list[URLPattern] = [
    path(
        "payments/notifications/<str:provider_key>",
        PaymentNotification.as_view(),
        name="api-payment-notification",
    ),
    path("payments/<uuid:payment_id>", MyPayment.as_view(), name="api-payment-detail"),
    path("payments/<uuid:payment_id>/begin", MyPaymentBegin.as_view(), name="api-payment-begin"),
    path("staff/payments", StaffPaymentList.as_view(), name="api-staff-payment-list"),
    path("staff/payments/<uuid:payment_id>", StaffPaymentDetail.as_view(), name="api-staff-payment-detail"),
    path("staff/fees", StaffFeeList.as_view(), name="api-staff-fee-list"),
    *api_reconcile.urlpatterns,
]
