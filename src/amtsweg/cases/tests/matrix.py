"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from . import matrix_citizen, matrix_counter, matrix_staff

ROUTES: list[Route] = [
    *matrix_citizen.ROUTES,
    *matrix_staff.ROUTES,
    *matrix_counter.ROUTES,
]
