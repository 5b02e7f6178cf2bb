"""/api/v1/: each module contributes its routes from its own ``api.py``."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularRedocView, SpectacularSwaggerView

from amtsweg.appointments import api as appointments_api
from amtsweg.baulasten import api as baulasten_api
from amtsweg.care import api as care_api
from amtsweg.cases import api as cases_api
from amtsweg.catalog import api as catalog_api
from amtsweg.forms import api as forms_api
from amtsweg.identity import api as identity_api
from amtsweg.ifsg import api as ifsg_api
from amtsweg.notices import api as notices_api
from amtsweg.outbox import api as outbox_api
from amtsweg.payments import api as payments_api
from amtsweg.processes import api as processes_api
from amtsweg.tenancy import api as tenancy_api
from amtsweg.vehicles import api as vehicles_api

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="openapi-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="openapi-schema"), name="api-redoc"),
    *tenancy_api.urlpatterns,
    *catalog_api.urlpatterns,
    *forms_api.urlpatterns,
    *cases_api.urlpatterns,
    *notices_api.urlpatterns,
    *outbox_api.urlpatterns,
    *processes_api.urlpatterns,
    *identity_api.urlpatterns,
    *payments_api.urlpatterns,
    *appointments_api.urlpatterns,
    *vehicles_api.urlpatterns,
    *ifsg_api.urlpatterns,
    *care_api.urlpatterns,
    *baulasten_api.urlpatterns,
]
