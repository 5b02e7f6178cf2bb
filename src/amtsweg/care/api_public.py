"""REST API of the care finder: public part (see api.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
