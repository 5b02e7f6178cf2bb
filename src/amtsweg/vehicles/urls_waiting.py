"""Routes of the waiting-time part of vehicles; collected by vehicles/urls.py."""

from django.urls import URLPattern, path

from . import views_waiting

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("kfz/wartezeiten/", views_waiting.waiting_times, name="vehicles_waiting"),
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = []
