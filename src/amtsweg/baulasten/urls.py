"""Pages of the Baulastenverzeichnis: the register, the capture of scanned files, the online Auskunft
and XBau downloads. Each part keeps its own module; this one assembles them."""

from django.urls import URLPattern

from . import urls_auskunft, urls_capture, urls_register, urls_xbau

_PARTS = (urls_register, urls_capture, urls_auskunft, urls_xbau)
portal_patterns: list[URLPattern] = [p for part in _PARTS for p in part.portal_patterns]
backoffice_patterns: list[URLPattern] = [p for part in _PARTS for p in part.backoffice_patterns]
