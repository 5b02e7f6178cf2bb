"""Isolation matrix rows of every vehicles route (collected by tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from .matrix_plates import ROUTES as PLATES
from .matrix_staff import ROUTES as STAFF
from .matrix_waiting import ROUTES as WAITING

ROUTES: list[Route] = [*PLATES, *STAFF, *WAITING]
