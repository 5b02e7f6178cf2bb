"""Pages of the online Auskunft: the portal's start page, the back office's list and check page."""

from django.urls import URLPattern, path

from . import views_auskunft

portal_patterns: list[URLPattern] = [
    path("baulasten/auskunft/", views_auskunft.auskunft_start, name="baulasten_auskunft_start"),
]
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/baulasten/auskuenfte/", views_auskunft.auskunft_list, name="baulasten_auskunft_list"),
    path(
        "<str:ags>/baulasten/auskuenfte/<int:case_id>/",
        views_auskunft.auskunft_check,
        name="baulasten_auskunft",
    ),
]
