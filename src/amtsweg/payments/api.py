"""Payments API (under /api/v1/); reconciliation endpoints live in ``api_reconcile``."""

from django.urls import URLPattern

from . import api_reconcile

urlpatterns: list[URLPattern] = [*api_reconcile.urlpatterns]
