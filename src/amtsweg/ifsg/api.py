"""REST API of the instruction under § 43 IfSG (mounted under /api/v1/): the citizen's instruction and
the health office's staff API. Each part keeps its own module; this one assembles them."""

from django.urls import URLPattern

from . import api_citizen, api_staff

urlpatterns: list[URLPattern] = [
    *api_citizen.urlpatterns,
    *api_staff.urlpatterns,
]
