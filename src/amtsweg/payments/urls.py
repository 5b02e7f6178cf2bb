"""Payment pages: the payer's pages in the portal, fees and payments in the back office.

Reconciliation (bank statements, the list of mismatches) keeps its routes in ``urls_reconcile``.
"""

from django.urls import URLPattern, path

from . import urls_reconcile, views, views_staff

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [
    path("zahlungen/entwurf/<uuid:draft_id>/", views.payment_draft_start, name="payment_draft_start"),
    path("zahlungen/simulator/<uuid:payment_id>/", views.payment_simulator, name="payment_simulator"),
    path("zahlungen/<uuid:payment_id>/", views.payment_pay, name="payment_pay"),
    path("zahlungen/<uuid:payment_id>/rueckkehr/", views.payment_return, name="payment_return"),
    *urls_reconcile.portal_patterns,
]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [
    path("<str:ags>/zahlungen/", views_staff.payment_list, name="payment_list"),
    path("<str:ags>/zahlungen/<uuid:payment_id>/", views_staff.payment_detail, name="payment_detail"),
    path("<str:ags>/gebuehren/", views_staff.fee_list, name="payment_fees"),
    *urls_reconcile.backoffice_patterns,
]
