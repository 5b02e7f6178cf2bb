"""Pages of the care finder: public search, detail and shortlist; the operators' report pages; place
alerts; open data in the portal; the Heimaufsicht's pages in the back office. Each part keeps its own
module; this one assembles them."""

from django.urls import URLPattern

from . import urls_alerts, urls_opendata, urls_operator, urls_portal, urls_staff

_PARTS = (urls_portal, urls_operator, urls_alerts, urls_opendata, urls_staff)
portal_patterns: list[URLPattern] = [p for part in _PARTS for p in part.portal_patterns]
backoffice_patterns: list[URLPattern] = [p for part in _PARTS for p in part.backoffice_patterns]
