"""Pages of the capture part: queue, upload, scan, downloads, progress (back office)."""

from django.urls import URLPattern, path

from . import views_capture

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/baulasten/erfassung/", views_capture.capture_queue, name="baulasten_capture"),
    path("<str:ags>/baulasten/erfassung/hochladen/", views_capture.scan_upload, name="baulasten_scan_upload"),
    path("<str:ags>/baulasten/erfassung/fortschritt/", views_capture.progress, name="baulasten_progress"),
    path("<str:ags>/baulasten/scans/<int:pk>/", views_capture.scan_detail, name="baulasten_scan"),
    path("<str:ags>/baulasten/scans/<int:pk>/pdf/", views_capture.scan_pdf, name="baulasten_scan_pdf"),
    path(
        "<str:ags>/baulasten/scans/<int:pk>/original/",
        views_capture.scan_original,
        name="baulasten_scan_original",
    ),
]
