"""Routes of the identity module's oidc part (wired into identity/urls.py)."""

from django.urls import URLPattern

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = []
