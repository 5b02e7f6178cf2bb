"""REST API of the care finder: opendata part (see api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
