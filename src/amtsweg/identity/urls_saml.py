"""Routes of the SAML login (``identity.views_saml``), mounted in the ``portal`` namespace."""

from django.urls import URLPattern, path

from . import views_saml

portal_patterns: list[URLPattern] = [
    path("konto/anmelden/saml/<slug:name>/", views_saml.start, name="saml_start"),
    path("konto/anmelden/saml/<slug:name>/acs/", views_saml.acs, name="saml_acs"),
    path("konto/anmelden/saml/<slug:name>/abschluss/", views_saml.complete, name="saml_complete"),
    path("konto/anmelden/saml/<slug:name>/metadata/", views_saml.metadata, name="saml_metadata"),
]
backoffice_patterns: list[URLPattern] = []
