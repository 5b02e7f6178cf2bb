"""/api/v1/baulasten/: the capture part (filled by its author)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
