"""Routes of invoices and reconciliation (wired into payments/urls.py)."""

from django.urls import URLPattern

portal_patterns: list[URLPattern] = []
backoffice_patterns: list[URLPattern] = []
