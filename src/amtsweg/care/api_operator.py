"""REST API of the care finder: operator part (see api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
