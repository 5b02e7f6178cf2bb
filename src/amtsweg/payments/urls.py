"""Payment pages: the payer's pages in the portal, fees and payments in the back office.

Reconciliation (bank statements, the list of mismatches) keeps its routes in ``urls_reconcile``.
"""

from django.urls import URLPattern

from . import urls_reconcile

# Mounted under / in the ``portal`` namespace.
portal_patterns: list[URLPattern] = [*urls_reconcile.portal_patterns]
# Mounted under /backoffice/ in the ``backoffice`` namespace.
backoffice_patterns: list[URLPattern] = [*urls_reconcile.backoffice_patterns]
