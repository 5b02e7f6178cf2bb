"""Pages of the care finder: open data in the portal (see urls.py)."""

from django.urls import URLPattern, path, re_path

from . import views_opendata as views

P = r"^pflegefinder/open-data/(?P<ags>[0-9]{8})/"

portal_patterns: list[URLPattern] = [
    path("pflegefinder/open-data/", views.opendata_page, name="care_opendata"),
    re_path(f"{P}katalog\\.rdf$", views.opendata_catalog, name="care_opendata_catalog"),
    re_path(f"{P}aktuell\\.(?P<fmt>csv|json)$", views.opendata_latest, name="care_opendata_latest"),
    re_path(
        f"{P}(?P<day>[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})\\.(?P<fmt>csv|json)$",
        views.opendata_file,
        name="care_opendata_file",
    ),
]
backoffice_patterns: list[URLPattern] = []
