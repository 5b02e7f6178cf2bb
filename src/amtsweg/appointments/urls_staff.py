"""Routes of the appointments module (staff part); collected by appointments/urls.py."""

from django.urls import URLPattern, path

from . import views_staff as views

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = []
# Mounted under /backoffice/ in the ``backoffice`` namespace.
_office = "<str:ags>/termine/<slug:slug>/"
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/termine/", views.offices, name="appointments_offices"),
    path(f"{_office}tag/", views.day, name="appointments_day"),
    path(f"{_office}woche/", views.week, name="appointments_week"),
    path(f"{_office}termine/<str:reference>/", views.appointment_detail, name="appointments_detail"),
    path(
        f"{_office}termine/<str:reference>/absagen/",
        views.appointment_staff_cancel,
        name="appointments_staff_cancel",
    ),
    path(f"{_office}kapazitaet/", views.capacity, name="appointments_capacity"),
    path(f"{_office}statistik/", views.statistics, name="appointments_statistics"),
    path(f"{_office}statistik.csv", views.statistics_csv, name="appointments_statistics_csv"),
    path(f"{_office}einstellungen/", views.office_settings, name="appointments_settings"),
    path(f"{_office}einstellungen/schalter/", views.counter_new, name="appointments_counter_new"),
    path(f"{_office}einstellungen/schalter/<int:pk>/", views.counter_edit, name="appointments_counter_edit"),
    path(f"{_office}einstellungen/leistungen/", views.service_new, name="appointments_service_new"),
    path(
        f"{_office}einstellungen/leistungen/<int:pk>/", views.service_edit, name="appointments_service_edit"
    ),
    path(f"{_office}einstellungen/pausen/", views.break_new, name="appointments_break_new"),
    path(
        f"{_office}einstellungen/pausen/<int:pk>/loeschen/",
        views.break_delete,
        name="appointments_break_delete",
    ),
    path(f"{_office}einstellungen/schliessungen/", views.closure_new, name="appointments_closure_new"),
    path(
        f"{_office}einstellungen/schliessungen/<int:pk>/loeschen/",
        views.closure_delete,
        name="appointments_closure_delete",
    ),
]
