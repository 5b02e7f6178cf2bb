"""Identity API: who is logged in, at which trust level, for which organisations (under /api/v1/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
