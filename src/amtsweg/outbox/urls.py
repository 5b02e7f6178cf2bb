"""Web pages of the outbox module, mounted into the back office and the portal namespaces."""

from django.urls import URLPattern

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = []
# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = []
