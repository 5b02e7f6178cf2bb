"""REST API of the care finder: staff part (see api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
