"""Pages of the care finder: the Heimaufsicht in the back office (``<ags>/pflege/``, see urls.py)."""

from django.urls import URLPattern, path

from . import views_staff as views

P = "<str:ags>/pflege/"
F = f"{P}einrichtungen/<int:pk>/"

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = [
    path(P, views.supervision, name="care_supervision"),
    path(f"{P}einrichtungen/", views.registry, name="care_registry"),
    path(f"{P}einrichtungen/neu/", views.facility_new, name="care_facility_new"),
    path(F, views.facility_detail, name="care_facility"),
    path(f"{F}angebot/", views.facility_offer, name="care_facility_offer"),
    path(f"{F}meldung/", views.facility_report, name="care_facility_report"),
    path(f"{F}konten/", views.facility_member, name="care_facility_member"),
    path(f"{F}sichtbarkeit/", views.facility_active, name="care_facility_active"),
    path(f"{P}einstellungen/", views.finder_settings, name="care_settings"),
]
