"""Portal URLs: German paths, names in the ``portal`` namespace."""

from django.urls import path

from amtsweg.appointments import urls as appointments_urls
from amtsweg.baulasten import urls as baulasten_urls
from amtsweg.care import urls as care_urls
from amtsweg.cases import urls as cases_urls
from amtsweg.forms import urls as forms_urls
from amtsweg.identity import urls as identity_urls
from amtsweg.ifsg import urls as ifsg_urls
from amtsweg.notices import urls as notices_urls
from amtsweg.payments import urls as payments_urls
from amtsweg.vehicles import urls as vehicles_urls

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("behoerden/<slug:slug>/", views.authority_detail, name="authority"),
    path("behoerden/<slug:slug>/theme.css", views.authority_theme, name="authority_theme"),
    path("behoerden/<slug:slug>/dienststellen/<slug:office_slug>/", views.office_detail, name="office"),
    path("leistungen/", views.catalogue, name="catalogue"),
    path("leistungen/themen/<slug:slug>/", views.themenfeld_detail, name="themenfeld"),
    path("leistungen/lebenslagen/<slug:slug>/", views.lebenslage_detail, name="lebenslage"),
    # Any segment, so that a malformed LeiKa key reaches the view and gets the portal's 404 page.
    path("leistungen/<str:leika_key>/", views.service_detail, name="service"),
    path("suche/", views.search, name="search"),
    *identity_urls.portal_patterns,
    *forms_urls.portal_patterns,
    *cases_urls.portal_patterns,
    *notices_urls.portal_patterns,
    *payments_urls.portal_patterns,
    *appointments_urls.portal_patterns,
    *vehicles_urls.portal_patterns,
    *ifsg_urls.portal_patterns,
    *care_urls.portal_patterns,
    *baulasten_urls.portal_patterns,
]
