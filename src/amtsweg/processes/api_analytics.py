"""Process analytics API (``/api/v1/staff/processes/analytics/<service_id>``): the directly-follows
graph, variants and conformance of a service's event log as JSON, and the log as XES or CSV.

Only the cases the acting user may read are in the log (``tenancy.access``); the ``authority``
filter narrows that scope and never widens it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponseBase
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.catalog.models import Service
from amtsweg.core.api import CHANNEL_API, IsStaffAccount, validated_query
from amtsweg.identity.models import User
from amtsweg.tenancy import access

from .eventlog import Analysis, LogFilter, process_analysis, service_versions
from .serializers_analytics import AnalyticsQuery, ExportQuery, ProcessAnalysisSerializer
from .views_analytics import export_response

PROBLEM = OpenApiResponse(description="application/problem+json")
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM}


def _user(request: Request) -> User:
    user = request.user
    assert isinstance(user, User)  # IsStaffAccount let only staff accounts through
    return user


def _log_filter(
    request: Request, service_id: int, query: type[AnalyticsQuery]
) -> tuple[LogFilter, dict[str, Any]]:
    service = get_object_or_404(Service, pk=service_id)
    user = _user(request)
    params = validated_query(query, request)
    authority = None
    if "authority" in params:
        authority = access.authorities_for(user).filter(ags=params["authority"]).first()
        if authority is None:
            raise ValidationError({"authority": "Not one of your authorities."})
    version_id = params.get("version")
    if (
        version_id is not None
        and not service_versions(user=user, service=service).filter(pk=version_id).exists()
    ):
        raise ValidationError({"version": "No process version of this service with this id."})
    log_filter = LogFilter(
        service=service,
        date_from=params.get("date_from"),
        date_to=params.get("date_to"),
        version_id=version_id,
        authority=authority,
    )
    return log_filter, params


def analysis_body(analysis: Analysis, service: Service) -> dict[str, Any]:
    dfg = analysis.dfg
    conformance = analysis.conformance
    return {
        "service": service.leika_key,
        "cases": dfg.cases,
        "labels": {a: analysis.label(a) for a in sorted(dfg.activities)},
        "directly_follows": {
            "activities": [
                {"id": a, "name": analysis.label(a), "count": n, "starts": dfg.starts[a], "ends": dfg.ends[a]}
                for a, n in sorted(dfg.activities.items(), key=lambda i: (-i[1], i[0]))
            ],
            "edges": [{"source": a, "target": b, "count": n} for a, b, n in dfg.sorted_edges()],
        },
        "variants": [
            {
                "activities": list(v.activities),
                "count": v.count,
                "share": v.share,
                "deviating": analysis.deviating_per_variant[v.activities],
                "examples": list(v.examples),
            }
            for v in analysis.variants
        ],
        "conformance": {
            "checked": conformance.checked,
            "fitting": conformance.fitting,
            "fitness": conformance.fitness,
            "without_model": conformance.without_model,
            "deviating_total": conformance.deviating_total,
            "deviating": [
                {
                    "case": reference,
                    "case_id": analysis.deviating_cases[reference][0],
                    "authority": analysis.deviating_cases[reference][1],
                    "kind": d.kind,
                    "activity": d.activity,
                    "position": d.position,
                    "missing": d.missing,
                    "expected": list(d.expected),
                }
                for reference, d in conformance.deviating
            ],
            "per_activity": [
                {"activity": a, "kind": k, "count": n}
                for (a, k), n in sorted(conformance.per_activity.items(), key=lambda i: (-i[1], i[0]))
            ],
        },
    }


class ProcessAnalytics(APIView):
    """Directly-follows graph, variants and conformance of the cases of one service."""

    permission_classes = [IsStaffAccount]

    @extend_schema(
        tags=["staff"],
        parameters=[AnalyticsQuery],
        responses={200: ProcessAnalysisSerializer, **ERRORS},
        summary="Process analytics of a service",
        operation_id="staff_processes_analytics",
    )
    def get(self, request: Request, service_id: int) -> Response:
        log_filter, params = _log_filter(request, service_id, AnalyticsQuery)
        analysis = process_analysis(
            user=_user(request), log_filter=log_filter, keep_deviating=params["deviating"]
        )
        return Response(analysis_body(analysis, log_filter.service))


class _FirstRenderer(BaseContentNegotiation):
    """Downloads ignore the Accept header: success is the file, an error is problem+json."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


class _Export(APIView):
    permission_classes = [IsStaffAccount]
    content_negotiation_class = _FirstRenderer

    def export(self, request: Request, service_id: int, *, kind: str) -> HttpResponseBase:
        log_filter, _ = _log_filter(request, service_id, ExportQuery)
        return export_response(
            user=_user(request), log_filter=log_filter, kind=kind, authority_id=None, channel=CHANNEL_API
        )


class ProcessAnalyticsXes(_Export):
    """The event log of a service as XES (IEEE 1849-2016)."""

    @extend_schema(
        tags=["staff"],
        parameters=[ExportQuery],
        responses={
            (200, "application/xml"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The event log as XES (IEEE 1849-2016), streamed as an attachment.",
            ),
            **ERRORS,
        },
        summary="Event log of a service as XES",
        operation_id="staff_processes_analytics_xes",
    )
    def get(self, request: Request, service_id: int) -> HttpResponseBase:
        return self.export(request, service_id, kind="xes")


class ProcessAnalyticsCsv(_Export):
    """The event log of a service as CSV (RFC 4180)."""

    @extend_schema(
        tags=["staff"],
        parameters=[ExportQuery],
        responses={
            (200, "text/csv"): OpenApiResponse(
                OpenApiTypes.STR,
                description="The event log as CSV (RFC 4180): case_id, activity, activity_id, lifecycle, "
                "timestamp, team, authority; streamed as an attachment.",
            ),
            **ERRORS,
        },
        summary="Event log of a service as CSV",
        operation_id="staff_processes_analytics_csv",
    )
    def get(self, request: Request, service_id: int) -> HttpResponseBase:
        return self.export(request, service_id, kind="csv")


urlpatterns = [
    path(
        "staff/processes/analytics/<int:service_id>",
        ProcessAnalytics.as_view(),
        name="api-staff-process-analytics",
    ),
    path(
        "staff/processes/analytics/<int:service_id>/export.xes",
        ProcessAnalyticsXes.as_view(),
        name="api-staff-process-analytics-xes",
    ),
    path(
        "staff/processes/analytics/<int:service_id>/export.csv",
        ProcessAnalyticsCsv.as_view(),
        name="api-staff-process-analytics-csv",
    ),
]
