"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from . import matrix_analytics, matrix_comparison, matrix_handbook, matrix_staff, matrix_viewer

ROUTES: list[Route] = [
    *matrix_staff.ROUTES,
    *matrix_viewer.ROUTES,
    *matrix_comparison.ROUTES,
    *matrix_analytics.ROUTES,
    *matrix_handbook.ROUTES,
]
