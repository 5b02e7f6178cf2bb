"""Pages of the care finder: portal part (see urls.py): search, facility detail, shortlist."""

from django.urls import URLPattern, path

from . import views_portal

portal_patterns: list[URLPattern] = [
    path("pflegefinder/", views_portal.search, name="care_search"),
    path("pflegefinder/einrichtungen/<int:pk>/", views_portal.facility_detail, name="care_facility"),
    path(
        "pflegefinder/einrichtungen/<int:pk>/fotos/<int:photo_pk>/",
        views_portal.facility_photo,
        name="care_facility_photo",
    ),
    path("pflegefinder/merkliste/", views_portal.shortlist_page, name="care_shortlist"),
    path(
        "pflegefinder/merkliste/hinzufuegen/<int:pk>/", views_portal.shortlist_add, name="care_shortlist_add"
    ),
    path(
        "pflegefinder/merkliste/entfernen/<int:pk>/",
        views_portal.shortlist_remove,
        name="care_shortlist_remove",
    ),
    path("pflegefinder/merkliste/<str:token>/", views_portal.shortlist_shared, name="care_shortlist_shared"),
]
backoffice_patterns: list[URLPattern] = []
