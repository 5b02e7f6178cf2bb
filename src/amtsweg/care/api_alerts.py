"""REST API of the care finder: alerts part (see api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
