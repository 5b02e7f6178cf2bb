"""/api/v1/ routes of the processes module, collected from its parts."""

from django.urls import URLPattern

from . import api_analytics, api_comparison, api_handbook, api_staff, api_viewer

urlpatterns: list[URLPattern] = [
    *api_staff.urlpatterns,
    *api_viewer.urlpatterns,
    *api_comparison.urlpatterns,
    *api_analytics.urlpatterns,
    *api_handbook.urlpatterns,
]
