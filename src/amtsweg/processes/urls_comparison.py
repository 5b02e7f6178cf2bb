"""Back-office pages of the processes module: comparison of the authorities' processes, heat map."""

from django.urls import URLPattern, path

from . import views_comparison

backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/prozesse/vergleich/", views_comparison.comparison_page, name="process-comparison"),
    path(
        "<str:ags>/prozesse/leistungen/<int:service_id>/heatmap/",
        views_comparison.heatmap_page,
        name="process-heatmap",
    ),
]
