"""API of the service catalogue, search and offerings."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.tenancy import access

from .models import Service, ServiceOffering, Themenfeld
from .selectors import service_search
from .serializers import (
    OfferingSerializer,
    OfferingUpdateSerializer,
    ServiceSerializer,
    ServiceSummarySerializer,
    ThemenfeldSerializer,
)
from .services import offering_update


class ServiceQuery(serializers.Serializer[Any]):
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=10_000,
        help_text="Search words, e.g. 'Auto ummelden'; results are ranked best first.",
    )
    themenfeld = serializers.SlugField(required=False, help_text="Only services of this Themenfeld (slug)")
    limit = serializers.IntegerField(required=False, min_value=1, max_value=100, default=20)
    offset = serializers.IntegerField(required=False, min_value=0, max_value=100_000, default=0)


class ServicePageSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    results = ServiceSummarySerializer(many=True)


class ServiceList(generics.GenericAPIView[Service]):
    """The catalogue; with ``q`` a German full-text search (stemming, compounds, everyday synonyms)."""

    serializer_class = ServiceSummarySerializer

    @extend_schema(
        parameters=[ServiceQuery],
        responses=ServicePageSerializer,
        tags=["catalogue"],
        operation_id="services_list",
    )
    def get(self, request: Request) -> Response:
        params = validated_query(ServiceQuery, request)
        limit, offset = params["limit"], params["offset"]
        if params.get("q", "").strip():
            page = service_search(query=params["q"], limit=limit, offset=offset)
            services, count = page.services, page.total
        else:
            queryset = Service.objects.select_related("ozg_service").order_by("name", "leika_key")
            if "themenfeld" in params:
                queryset = queryset.filter(ozg_service__themenfeld__slug=params["themenfeld"])
            count = queryset.count()
            services = list(queryset[offset : offset + limit])
        data = {"count": count, "results": ServiceSummarySerializer(services, many=True).data}
        return Response(data)


@extend_schema(tags=["catalogue"])
class ServiceDetail(generics.RetrieveAPIView[Service]):
    serializer_class = ServiceSerializer
    lookup_field = "leika_key"
    queryset = Service.objects.select_related("ozg_service__themenfeld", "ozg_service__lebenslage")


@extend_schema(tags=["catalogue"])
class ThemenfeldList(generics.ListAPIView[Themenfeld]):
    serializer_class = ThemenfeldSerializer
    queryset = Themenfeld.objects.order_by("name")
    pagination_class = None


class OfferingFilter(serializers.Serializer[Any]):
    authority = serializers.RegexField(r"^\d{8}$", required=False, help_text="AGS of the authority")
    service = serializers.RegexField(r"^\d{14}$", required=False, help_text="LeiKa key of the service")


@extend_schema(parameters=[OfferingFilter], tags=["catalogue"])
class OfferingList(generics.ListAPIView[ServiceOffering]):
    """Which authority offers which service, at which OZG maturity level (enabled offerings only)."""

    serializer_class = OfferingSerializer

    def get_queryset(self) -> QuerySet[ServiceOffering]:
        params = validated_query(OfferingFilter, self.request)
        queryset = (
            ServiceOffering.objects.filter(enabled=True, authority__is_active=True)
            .select_related("service", "authority")
            .order_by("id")
        )
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        if "service" in params:
            queryset = queryset.filter(service__leika_key=params["service"])
        return queryset


@extend_schema(tags=["catalogue"])
class OfferingDetail(generics.RetrieveAPIView[ServiceOffering]):
    serializer_class = OfferingSerializer
    queryset = ServiceOffering.objects.filter(enabled=True, authority__is_active=True).select_related(
        "service", "authority"
    )


@extend_schema(parameters=[OfferingFilter], tags=["staff"])
class StaffOfferingList(generics.ListAPIView[ServiceOffering]):
    """All offerings (also disabled ones) of the authorities the acting user works for."""

    serializer_class = OfferingSerializer
    permission_classes = [IsStaffAccount]

    def get_queryset(self) -> QuerySet[ServiceOffering]:
        params = validated_query(OfferingFilter, self.request)
        queryset = access.scope(ServiceOffering.objects.all(), self.request.user).select_related(
            "service", "authority"
        )
        if "authority" in params:
            queryset = queryset.filter(authority__ags=params["authority"])
        if "service" in params:
            queryset = queryset.filter(service__leika_key=params["service"])
        return queryset.order_by("authority__ags", "service__name", "id")


@extend_schema(
    tags=["staff"], methods=["PATCH"], request=OfferingUpdateSerializer, responses=OfferingSerializer
)
@extend_schema(tags=["staff"], methods=["GET"], responses=OfferingSerializer)
class StaffOfferingDetail(generics.GenericAPIView[ServiceOffering]):
    """Read or change one offering; changing needs the authority administrator role."""

    serializer_class = OfferingSerializer
    permission_classes = [IsStaffAccount]

    def _offering(self) -> ServiceOffering:
        return access.get_for_user(
            ServiceOffering.objects.select_related("service", "authority"),
            self.request.user,
            channel=CHANNEL_API,
            pk=self.kwargs["pk"],
        )

    def get(self, request: Request, pk: int) -> Response:
        return Response(OfferingSerializer(self._offering()).data)

    def patch(self, request: Request, pk: int) -> Response:
        offering = self._offering()
        update = OfferingUpdateSerializer(data=request.data, partial=True)
        update.is_valid(raise_exception=True)
        updated = offering_update(
            offering=offering, actor=request.user, data=dict(update.validated_data), channel=CHANNEL_API
        )
        return Response(OfferingSerializer(updated).data)


urlpatterns = [
    path("services", ServiceList.as_view(), name="api-service-list"),
    path("services/<str:leika_key>", ServiceDetail.as_view(), name="api-service-detail"),
    path("themenfelder", ThemenfeldList.as_view(), name="api-themenfeld-list"),
    path("offerings", OfferingList.as_view(), name="api-offering-list"),
    path("offerings/<int:pk>", OfferingDetail.as_view(), name="api-offering-detail"),
    path("staff/offerings", StaffOfferingList.as_view(), name="api-staff-offering-list"),
    path("staff/offerings/<int:pk>", StaffOfferingDetail.as_view(), name="api-staff-offering-detail"),
]
