"""Web pages of the processes module, mounted into the back office namespace. Each part of the module
(models and tasks, viewer, comparison, analytics, handbook) keeps its routes in its own ``urls_*``."""

from django.urls import URLPattern

from . import urls_analytics, urls_comparison, urls_handbook, urls_staff, urls_viewer

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = [
    *urls_staff.backoffice_patterns,
    *urls_viewer.backoffice_patterns,
    *urls_comparison.backoffice_patterns,
    *urls_analytics.backoffice_patterns,
    *urls_handbook.backoffice_patterns,
]
