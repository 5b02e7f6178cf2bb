"""/api/v1/: each module contributes its routes from its own ``api.py``."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from amtsweg.catalog import api as catalog_api
from amtsweg.tenancy import api as tenancy_api

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="openapi-schema"), name="api-redoc"),
    *tenancy_api.urlpatterns,
    *catalog_api.urlpatterns,
]
