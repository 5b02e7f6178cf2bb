"""Routes of the desired-plate pages (Wunschkennzeichen); collected by vehicles/urls.py."""

from django.urls import URLPattern, path

from . import views_plates as views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("kennzeichen/", views.plates_check, name="plates_check"),
    path("kennzeichen/reservieren/", views.plates_reserve, name="plates_reserve"),
    path("konto/kennzeichen/", views.plates_mine, name="plates_mine"),
    path("konto/kennzeichen/<uuid:reservation_id>/verlaengern/", views.plates_extend, name="plates_extend"),
    path("konto/kennzeichen/<uuid:reservation_id>/freigeben/", views.plates_release, name="plates_release"),
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/kennzeichen/", views.plates_reservations, name="plates_reservations"),
    path(
        "<str:ags>/kennzeichen/<uuid:reservation_id>/freigeben/",
        views.plates_release_staff,
        name="plates_release_staff",
    ),
]
