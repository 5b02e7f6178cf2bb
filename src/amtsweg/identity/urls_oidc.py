"""Routes of the OpenID Connect login (``identity.views_oidc``), mounted in the ``portal`` namespace."""

from django.urls import URLPattern, path

from . import views_oidc

portal_patterns: list[URLPattern] = [
    path("konto/anmelden/oidc/<slug:name>/", views_oidc.start, name="oidc_start"),
    path("konto/anmelden/oidc/<slug:name>/rueckkehr/", views_oidc.callback, name="oidc_callback"),
]
backoffice_patterns: list[URLPattern] = []
