"""Back-office pages of the processes module: analytics of a service's event log and its exports."""

from django.urls import URLPattern, path

from . import views_analytics

backoffice_patterns: list[URLPattern] = [
    path(
        "<str:ags>/prozesse/analyse/<int:service_id>/",
        views_analytics.analysis_page,
        name="process-analytics",
    ),
    path(
        "<str:ags>/prozesse/analyse/<int:service_id>/export.xes",
        views_analytics.export_xes,
        name="process-analytics-xes",
    ),
    path(
        "<str:ags>/prozesse/analyse/<int:service_id>/export.csv",
        views_analytics.export_csv,
        name="process-analytics-csv",
    ),
]
