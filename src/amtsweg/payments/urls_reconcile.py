"""Routes of invoices and reconciliation (wired into payments/urls.py)."""

from django.urls import URLPattern, path

from . import views_reconcile

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("zahlungen/<uuid:payment_id>/rechnung/", views_reconcile.payment_invoice, name="payment_invoice"),
    path(
        "zahlungen/<uuid:payment_id>/rechnung/pdf/",
        views_reconcile.payment_invoice_pdf,
        name="payment_invoice_pdf",
    ),
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/kontoauszuege/", views_reconcile.statement_list, name="bank_statements"),
    path("<str:ags>/abgleich/", views_reconcile.entry_list, name="reconciliation"),
    path("<str:ags>/abgleich/<int:pk>/", views_reconcile.entry_detail, name="reconciliation_entry"),
]
