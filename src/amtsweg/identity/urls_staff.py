"""Routes of the identity module's staff part (wired into identity/urls.py)."""

from django.urls import URLPattern, path

from . import views_staff

portal_patterns: list[URLPattern] = []
# Under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    path("anmelden/zweiter-faktor/", views_staff.second_factor, name="staff_second_factor"),
    path("konto/authenticator/", views_staff.authenticator, name="staff_authenticator"),
]
