"""Reconciliation API: bank statement upload and the list of mismatches (under /api/v1/)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
