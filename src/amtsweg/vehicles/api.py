"""REST API of vehicle registration (mounted under /api/v1/ by ``api_urls``)."""

from django.urls import URLPattern

from . import api_plates, api_staff, api_waiting

urlpatterns: list[URLPattern] = [*api_plates.urlpatterns, *api_staff.urlpatterns, *api_waiting.urlpatterns]
