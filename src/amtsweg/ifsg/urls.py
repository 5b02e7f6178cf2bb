"""Pages of the instruction under § 43 IfSG: the citizen's flow in the portal, the health office's pages
in the back office. Each part keeps its own module; this one assembles them."""

from django.urls import URLPattern

from . import urls_portal, urls_staff

portal_patterns: list[URLPattern] = [*urls_portal.portal_patterns]
backoffice_patterns: list[URLPattern] = [*urls_staff.backoffice_patterns]
