"""/api/v1/baulasten/: the xbau part (filled by its author)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
