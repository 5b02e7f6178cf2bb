"""Citizen account pages, mounted under / in the ``portal`` namespace (German paths)."""

from django.urls import URLPattern, path

from . import views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("konto/anmelden/", views.CitizenLoginView.as_view(), name="login"),
    path("konto/abmelden/", views.CitizenLogoutView.as_view(), name="logout"),
    path("konto/registrieren/", views.register, name="register"),
    path("konto/registrieren/fertig/", views.register_done, name="register_done"),
]
