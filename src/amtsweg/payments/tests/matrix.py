"""Isolation-matrix rows for the payments module's routes (collected by tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from . import matrix_reconcile

ROUTES: list[Route] = [*matrix_reconcile.ROUTES]
