"""Pages of vehicle registration: desired plates (portal and Kreis), the vehicle part of a move
(Kreis back office) and the public waiting times; mounted by ``portal.urls`` and ``backoffice.urls``."""

from django.urls import URLPattern

from . import urls_plates, urls_staff, urls_waiting

portal_patterns: list[URLPattern] = [
    *urls_plates.portal_patterns,
    *urls_staff.portal_patterns,
    *urls_waiting.portal_patterns,
]
backoffice_patterns: list[URLPattern] = [
    *urls_plates.backoffice_patterns,
    *urls_staff.backoffice_patterns,
    *urls_waiting.backoffice_patterns,
]
