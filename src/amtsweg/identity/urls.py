"""Account pages: citizens under / (``portal`` namespace), staff security under /backoffice/.

Each login plug-in keeps its routes in its own ``urls_*`` module.
"""

from django.urls import URLPattern, path

from . import urls_oidc, urls_saml, urls_staff, views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("konto/anmelden/", views.CitizenLoginView.as_view(), name="login"),
    path("konto/abmelden/", views.CitizenLogoutView.as_view(), name="logout"),
    path("konto/registrieren/", views.register, name="register"),
    path("konto/registrieren/fertig/", views.register_done, name="register_done"),
    *urls_oidc.portal_patterns,
    *urls_saml.portal_patterns,
    *urls_staff.portal_patterns,
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    *urls_oidc.backoffice_patterns,
    *urls_saml.backoffice_patterns,
    *urls_staff.backoffice_patterns,
]
