"""Back-office routes of the vehicle part at the Zulassungsstelle (``backoffice`` namespace)."""

from django.urls import URLPattern, path

from . import views_staff

backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/kfz/", views_staff.vehicle_part_list, name="vehicle_parts"),
    path("<str:ags>/kfz/<int:case_id>/", views_staff.vehicle_part, name="vehicle_part"),
    path(
        "<str:ags>/kfz/<int:case_id>/fahrzeuge/<int:change_id>/eintragen/",
        views_staff.vehicle_record,
        name="vehicle_record",
    ),
    path(
        "<str:ags>/kfz/<int:case_id>/fahrzeuge/<int:change_id>/ablehnen/",
        views_staff.vehicle_refuse,
        name="vehicle_refuse",
    ),
    path("<str:ags>/kfz/<int:case_id>/aufkleber.pdf", views_staff.vehicle_labels, name="vehicle_labels"),
]
portal_patterns: list[URLPattern] = []
