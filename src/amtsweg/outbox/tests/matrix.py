"""Isolation-matrix rows for this module's routes (collected by amtsweg/tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
