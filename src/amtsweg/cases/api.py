"""REST API of the cases module (mounted under /api/v1/)."""

from django.urls import URLPattern

from . import api_citizen, api_counter, api_staff

urlpatterns: list[URLPattern] = [
    *api_citizen.urlpatterns,
    *api_staff.urlpatterns,
    *api_counter.urlpatterns,
]
