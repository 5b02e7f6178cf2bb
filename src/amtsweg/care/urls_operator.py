"""Pages of the care finder: operator part (see urls.py)."""

from django.urls import URLPattern, path

from . import views_operator as views

portal_patterns: list[URLPattern] = [
    path("pflegefinder/meine-einrichtungen/", views.operator_home, name="care_operator_home"),
    path("pflegefinder/meine-einrichtungen/zugang/", views.operator_token, name="care_operator_token"),
    path(
        "pflegefinder/meine-einrichtungen/<int:pk>/meldung/",
        views.operator_report,
        name="care_operator_report",
    ),
    path(
        "pflegefinder/meine-einrichtungen/<int:pk>/verlauf/",
        views.operator_history,
        name="care_operator_history",
    ),
    path(
        "pflegefinder/meine-einrichtungen/<int:pk>/angaben/",
        views.operator_details,
        name="care_operator_details",
    ),
    path(
        "pflegefinder/meine-einrichtungen/<int:pk>/fotos/",
        views.operator_photos,
        name="care_operator_photos",
    ),
]
backoffice_patterns: list[URLPattern] = []
