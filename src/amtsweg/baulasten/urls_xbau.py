"""Pages of the XBau part: back-office downloads of the 0703 (entry) and 0713 (decided Auskunft), and
the portal's bulk Auskunft page for organisation members (CSV upload) with its CSV template."""

from django.urls import URLPattern, path

from . import views_xbau

portal_patterns: list[URLPattern] = [
    path(
        "baulasten/auskunft/sammelantrag/",
        views_xbau.baulasten_auskunft_bulk,
        name="baulasten_auskunft_bulk",
    ),
    path(
        "baulasten/auskunft/sammelantrag/vorlage.csv",
        views_xbau.baulasten_auskunft_bulk_template,
        name="baulasten_auskunft_bulk_template",
    ),
]
backoffice_patterns: list[URLPattern] = [
    path(
        "<str:ags>/baulasten/eintraege/<int:pk>/xbau-0703/",
        views_xbau.baulasten_entry_xbau,
        name="baulasten_entry_xbau",
    ),
    path(
        "<str:ags>/baulasten/auskuenfte/<int:case_id>/xbau-0713/",
        views_xbau.baulasten_auskunft_xbau,
        name="baulasten_auskunft_xbau",
    ),
]
