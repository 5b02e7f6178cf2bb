"""/api/v1/baulasten/: the register (staff), scans and capture (staff), the online Auskunft (citizens
and professional bulk requests, staff decision) and XBau messages. Each part keeps its own module."""

from django.urls import URLPattern

from . import api_auskunft, api_capture, api_register, api_xbau

# XBau first: its fixed paths (baulasten/xbau/…) would otherwise be taken for an authority's
# paths (baulasten/<ags>/…).
urlpatterns: list[URLPattern] = [
    *api_xbau.urlpatterns,
    *api_register.urlpatterns,
    *api_capture.urlpatterns,
    *api_auskunft.urlpatterns,
]
