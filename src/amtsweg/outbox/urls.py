"""Web pages of the outbox module, mounted into the back office and the portal namespaces."""

from django.urls import URLPattern, path

from . import views

# Mounted under /backoffice/ in the ``backoffice`` namespace (authority pages take ``<str:ags>/`` first).
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/zustellungen/", views.delivery_list, name="deliveries"),
    path("<str:ags>/zustellungen/<int:pk>/wiederholen/", views.delivery_retry, name="delivery-retry"),
]
# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = []
