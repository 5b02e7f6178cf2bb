"""API of the processes module: comparison of how the authorities of an alliance run a service.

``GET /api/v1/staff/processes/comparison?service=<LeiKa key>&authority=<AGS>&authority=<AGS>``: the
models in use, the structural comparison and the median times per activity. Aggregated figures only,
so any staff member may compare the authorities of their alliance; an authority outside it is 404,
like one that does not exist.
"""

from __future__ import annotations

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.core.api import IsStaffAccount, validated_query
from amtsweg.core.problems import NotFoundProblem

from .comparison import comparable_authorities, compare
from .serializers_comparison import ComparisonQuery, ProcessComparisonSerializer

PROBLEM = OpenApiResponse(description="application/problem+json")


class ProcessComparison(APIView):
    """Compare how two or more authorities of your alliance run a service."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=["staff"],
        parameters=[ComparisonQuery],
        responses={200: ProcessComparisonSerializer, 400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM},
        summary="Compare the processes of a service across authorities",
        operation_id="staff_processes_comparison",
    )
    def get(self, request: Request) -> Response:
        params = validated_query(ComparisonQuery, request)
        service = Service.objects.filter(leika_key=params["service"]).first()
        if service is None:
            raise NotFoundProblem(
                f"Die Leistung {params['service']} gibt es nicht.",
                f"There is no service {params['service']}.",
            )
        found = {a.ags: a for a in comparable_authorities(request.user).filter(ags__in=params["authority"])}
        missing = [ags for ags in params["authority"] if ags not in found]
        if missing:
            raise NotFoundProblem(
                f"Die Behörde {missing[0]} gibt es in Ihrem Verbund nicht.",
                f"There is no authority {missing[0]} in your alliance.",
                extra={"authority": missing[0]},
            )
        comparison = compare(service=service, authorities=[found[ags] for ags in params["authority"]])
        return Response(ProcessComparisonSerializer(comparison).data)


urlpatterns: list[URLPattern] = [
    path("staff/processes/comparison", ProcessComparison.as_view(), name="api-staff-process-comparison"),
]
