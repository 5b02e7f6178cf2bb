"""Routes of the appointments module (queue part); collected by appointments/urls.py."""

from django.urls import URLPattern, path

from . import views_queue

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("termine/<str:ags>/<slug:office_slug>/anmeldung/", views_queue.checkin, name="appointments_checkin"),
    path("termine/<str:ags>/<slug:office_slug>/aufruf/", views_queue.display, name="appointments_display"),
    path(
        "termine/<str:ags>/<slug:office_slug>/aufruf.json",
        views_queue.display_json,
        name="appointments_display_json",
    ),
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/termine/<slug:slug>/warteschlange/", views_queue.board, name="appointments_queue"),
]
