"""REST API of the care finder: public part (see api.py). Search by place and radius, a facility's
detail, and the code lists; no login. Errors are problem+json (``search_params.SearchInvalid``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.urls import URLPattern, path, reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import search_params, selectors
from .models import CareType, Specialisation, specialisations_of
from .selectors import OfferState, SearchHit
from .serializers_public import (
    CareFacilityDetailSerializer,
    CareFacilityPageSerializer,
    CareMetaSerializer,
    CareSearchQuerySerializer,
)
from .views_portal import STATUS_TEXT

TAGS = ["care"]


def _offer(state: OfferState) -> dict[str, Any]:
    return {
        "care_type": state.care_type,
        "capacity": state.capacity,
        "free_now": state.free_now,
        "places": state.places,
        "status": state.status.value,
        "reported_at": state.reported_at,
        "stale": state.stale,
        "expected": state.expected,
    }


def _hit(hit: SearchHit) -> dict[str, Any]:
    return {
        "id": hit.facility_id,
        "name": hit.name,
        "street": hit.street,
        "postcode": hit.postcode,
        "town": hit.town,
        "latitude": hit.latitude,
        "longitude": hit.longitude,
        "distance_km": round(hit.distance_km, 3),
        "specialisations": specialisations_of(hit.specialisation_bits),
        "languages": hit.languages,
        "status": hit.status.value,
        "last_reported_at": hit.last_reported_at,
        "stale": hit.stale,
        "offers": [_offer(s) for s in hit.offers],
    }


class FacilityList(APIView):
    """Facilities within ``radius_km`` of a postcode, town, address or position, with their vacancies.

    Give exactly one of ``postcode``, ``town``, ``q`` or ``lat`` + ``lon``. Every offer carries the time
    of its report (``reported_at``) and ``stale``; ``status`` is the traffic light (green ≥ 2 free,
    yellow 1, red 0, unknown never reported).
    """

    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[CareSearchQuerySerializer],
        responses=CareFacilityPageSerializer,
        tags=TAGS,
        operation_id="care_facilities_list",
    )
    def get(self, request: Request) -> Response:
        query, place = search_params.parse_search(request.query_params)
        result = selectors.facility_search(query)
        data = {
            "count": result.total,
            "place": {
                "latitude": place.latitude,
                "longitude": place.longitude,
                "label": place.label,
                "precision": place.precision,
            },
            "radius_km": query.radius_km,
            "results": [_hit(hit) for hit in result.hits],
        }
        return Response(CareFacilityPageSerializer(data).data)


class FacilityDetail(APIView):
    """One active facility of a published finder with all its public data; 404 otherwise."""

    permission_classes = [AllowAny]

    @extend_schema(responses=CareFacilityDetailSerializer, tags=TAGS, operation_id="care_facilities_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        facility = selectors.facility_public(pk)
        now: datetime = timezone.now()
        states = selectors.offer_states(facility, now=now)
        offers = []
        for offer, state in zip(facility.offers.all(), states, strict=True):
            row = _offer(state)
            row["own_share"] = [
                {"pflegegrad": int(grade), "euro_per_month": Decimal(amount)}
                for grade, amount in sorted(offer.own_share.items(), key=lambda item: int(item[0]))
            ]
            offers.append(row)
        reported = [s.reported_at for s in states if s.reported_at is not None]
        data = {
            "id": facility.pk,
            "name": facility.name,
            "street": facility.street,
            "postcode": facility.postcode,
            "town": facility.town,
            "latitude": facility.latitude,
            "longitude": facility.longitude,
            "operator": facility.operator.name,
            "phone": facility.phone,
            "email": facility.email,
            "website": facility.website,
            "description": facility.description,
            "specialisations": facility.specialisations,
            "languages": facility.languages,
            "stale_after_hours": facility.authority.care_finder.stale_after_hours,
            "last_reported_at": min(reported) if reported and len(reported) == len(states) else None,
            "stale": any(s.stale for s in states),
            "offers": offers,
            "photos": [
                {
                    "url": request.build_absolute_uri(
                        reverse("portal:care_facility_photo", args=(facility.pk, p.pk))
                    ),
                    "alt_text": p.alt_text,
                }
                for p in facility.photos.all()
            ],
        }
        return Response(CareFacilityDetailSerializer(data).data)


class Meta(APIView):
    """The code lists of the care finder: care types, specialisations, traffic-light states, radius."""

    permission_classes = [AllowAny]

    @extend_schema(responses=CareMetaSerializer, tags=TAGS, operation_id="care_meta")
    def get(self, request: Request) -> Response:
        data = {
            "care_types": [{"code": c, "label": str(label)} for c, label in CareType.choices],
            "specialisations": [{"code": c, "label": str(label)} for c, label in Specialisation.choices],
            "statuses": [{"code": s.value, "label": str(text)} for s, text in STATUS_TEXT.items()],
            "default_radius_km": selectors.DEFAULT_RADIUS_KM,
            "min_radius_km": search_params.MIN_RADIUS_KM,
            "max_radius_km": selectors.MAX_RADIUS_KM,
        }
        return Response(CareMetaSerializer(data).data)


urlpatterns: list[URLPattern] = [
    path("care/facilities", FacilityList.as_view(), name="api-care-facility-list"),
    path("care/facilities/<int:pk>", FacilityDetail.as_view(), name="api-care-facility-detail"),
    path("care/meta", Meta.as_view(), name="api-care-meta"),
]
