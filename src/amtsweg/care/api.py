"""/api/v1/care/: public search and detail (the alliance's app), the operators' write API (token),
place alerts, open data and the Heimaufsicht's reads. Each part keeps its own module."""

from django.urls import URLPattern

from . import api_alerts, api_opendata, api_operator, api_public, api_staff

urlpatterns: list[URLPattern] = [
    *api_public.urlpatterns,
    *api_operator.urlpatterns,
    *api_alerts.urlpatterns,
    *api_opendata.urlpatterns,
    *api_staff.urlpatterns,
]
