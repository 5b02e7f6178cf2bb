"""/api/v1/baulasten/: the auskunft part (filled by its author)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
