"""/api/v1/baulasten/: the register part (filled by its author)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
