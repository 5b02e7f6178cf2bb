"""/api/v1/baulasten/: the online Auskunft, staff side (scoped by ``tenancy.access``).

- ``GET baulasten/<ags>/auskunft``: the open requests of the keeping authority;
- ``GET baulasten/<ags>/auskunft/<case_id>``: one request with its parcels and, while open, the fee
  preview (what the register holds now, the suggested fee per parcel, the frame);
- ``POST baulasten/<ags>/auskunft/<case_id>/decision``: accept (fees per parcel optional, inside the
  frame) or refuse (with reason), as the check page does; deciding twice is 409.

Citizens apply through the generic draft and case API (forms ``/api/v1/drafts``), which runs the
same submission check and process.
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.core.api import CHANNEL_API, IsStaffAccount
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from .selectors_auskunft import auskunft_for_case, auskunft_requests
from .serializers_auskunft import AuskunftDecisionInput, AuskunftDetailSerializer, AuskunftSerializer
from .services_auskunft import auskunft_decide

PROBLEM = OpenApiResponse(description="application/problem+json")


def _staff(request: Request) -> User:
    assert isinstance(request.user, User)  # guaranteed by IsStaffAccount
    return request.user


@extend_schema(tags=["baulasten"], responses={200: AuskunftSerializer(many=True), 404: PROBLEM})
class AuskunftList(APIView):
    """The open Auskunft requests of the authority, oldest first (at most 500)."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, ags: str) -> Response:
        authority = access.authority_for_user(request.user, ags)
        rows = auskunft_requests(user=_staff(request), authority=authority).prefetch_related("parcels")[:500]
        return Response(AuskunftSerializer(rows, many=True).data)


@extend_schema(tags=["baulasten"], responses={200: AuskunftDetailSerializer, 404: PROBLEM})
class AuskunftDetail(APIView):
    """One Auskunft request; while it is open, with the fee preview."""

    permission_classes = [IsStaffAccount]

    def get(self, request: Request, ags: str, case_id: int) -> Response:
        authority = access.authority_for_user(request.user, ags)
        auskunft = auskunft_for_case(
            user=_staff(request), authority=authority, case_id=case_id, channel=CHANNEL_API
        )
        return Response(AuskunftDetailSerializer(auskunft).data)


@extend_schema(
    tags=["baulasten"],
    request=AuskunftDecisionInput,
    responses={200: AuskunftSerializer, 400: PROBLEM, 404: PROBLEM, 409: PROBLEM, 422: PROBLEM},
)
class AuskunftDecision(APIView):
    """Decide the request: ``accepted`` with optional ``extract_fees`` (cents per parcel position) or
    refused with ``reason``. Completes the process's check task; the fee request or the notice follows."""

    permission_classes = [IsStaffAccount]

    def post(self, request: Request, ags: str, case_id: int) -> Response:
        authority = access.authority_for_user(request.user, ags)
        auskunft = auskunft_for_case(
            user=_staff(request), authority=authority, case_id=case_id, channel=CHANNEL_API
        )
        data = AuskunftDecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        fees = data.validated_data.get("extract_fees") or {}
        decided = auskunft_decide(
            request=auskunft,
            actor=_staff(request),
            accepted=data.validated_data["accepted"],
            reason=data.validated_data.get("reason", ""),
            extract_fees={int(k) if str(k).isdigit() else -1: v for k, v in fees.items()},
            channel=CHANNEL_API,
        )
        return Response(AuskunftSerializer(decided).data)


urlpatterns: list[URLPattern] = [
    path("baulasten/<str:ags>/auskunft", AuskunftList.as_view(), name="api-baulasten-auskunft-list"),
    path(
        "baulasten/<str:ags>/auskunft/<int:case_id>", AuskunftDetail.as_view(), name="api-baulasten-auskunft"
    ),
    path(
        "baulasten/<str:ags>/auskunft/<int:case_id>/decision",
        AuskunftDecision.as_view(),
        name="api-baulasten-auskunft-decision",
    ),
]
