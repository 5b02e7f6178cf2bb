"""REST API of the care finder: open data (see api.py): which finders publish which releases."""

from __future__ import annotations

from django.urls import URLPattern, path, reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from amtsweg.outbox import conf

from .dcat import file_url
from .models import CareFinder
from .opendata import LICENSE_URI, latest_releases

_RELEASE = inline_serializer(
    "CareOpenDataRelease",
    many=True,
    fields={
        "date": serializers.DateField(),
        "created_at": serializers.DateTimeField(),
        "rows": serializers.IntegerField(),
        "csv_url": serializers.URLField(),
        "csv_sha256": serializers.CharField(),
        "csv_size": serializers.IntegerField(),
        "json_url": serializers.URLField(),
        "json_sha256": serializers.CharField(),
        "json_size": serializers.IntegerField(),
    },
)
_DATASET = inline_serializer(
    "CareOpenDataset",
    many=True,
    fields={
        "authority": serializers.CharField(help_text="AGS of the supervising Kreis"),
        "name": serializers.CharField(),
        "license": serializers.URLField(),
        "catalog_url": serializers.URLField(),
        "latest_csv_url": serializers.URLField(allow_null=True),
        "latest_json_url": serializers.URLField(allow_null=True),
        "releases": _RELEASE,
    },
)


class OpenDataList(APIView):
    """The open-data releases of every published care finder (the last 31 days), with download URLs."""

    permission_classes = [AllowAny]

    @extend_schema(operation_id="care_open_data", tags=["care"], responses={200: _DATASET})
    def get(self, request: Request) -> Response:
        base = conf.public_url()
        result = []
        for finder in (
            CareFinder.objects.filter(enabled=True).select_related("authority").order_by("authority__name")
        ):
            releases = latest_releases(finder)
            ags = finder.authority.ags
            result.append(
                {
                    "authority": ags,
                    "name": finder.authority.name,
                    "license": LICENSE_URI,
                    "catalog_url": base + reverse("portal:care_opendata_catalog", kwargs={"ags": ags}),
                    "latest_csv_url": file_url(base, finder, "aktuell", "csv") if releases else None,
                    "latest_json_url": file_url(base, finder, "aktuell", "json") if releases else None,
                    "releases": [
                        {
                            "date": r.date.isoformat(),
                            "created_at": r.created_at.isoformat(),
                            "rows": r.rows,
                            "csv_url": file_url(base, finder, r.date.isoformat(), "csv"),
                            "csv_sha256": r.csv_sha256,
                            "csv_size": r.csv_size,
                            "json_url": file_url(base, finder, r.date.isoformat(), "json"),
                            "json_sha256": r.json_sha256,
                            "json_size": r.json_size,
                        }
                        for r in releases
                    ],
                }
            )
        return Response(result)


urlpatterns: list[URLPattern] = [
    path("care/open-data", OpenDataList.as_view(), name="api-care-open-data"),
]
