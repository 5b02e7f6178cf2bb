"""Routes of the appointments module (portal part); collected by appointments/urls.py."""

from django.urls import URLPattern, path

from . import views_portal as views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("termine/", views.appointments_start, name="appointments_start"),
    path("termine/zeiten/", views.appointments_slots, name="appointments_slots"),
    path("termine/buchen/", views.appointments_book, name="appointments_book"),
    path("termine/reserviert/<str:reference>/", views.appointments_reserved, name="appointments_reserved"),
    path("termine/anfrage/<int:request_id>/", views.appointments_request, name="appointments_request"),
    path("termine/t/<str:token>/", views.appointments_manage, name="appointments_manage"),
    path("termine/t/<str:token>/bestaetigen/", views.appointments_confirm, name="appointments_confirm"),
    path("termine/t/<str:token>/absagen/", views.appointments_cancel, name="appointments_cancel"),
    path("termine/t/<str:token>/verschieben/", views.appointments_reschedule, name="appointments_reschedule"),
    path("termine/t/<str:token>/termin.ics", views.appointments_ics, name="appointments_ics"),
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = []
