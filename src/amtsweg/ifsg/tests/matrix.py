"""Isolation matrix rows of every ifsg route (collected by tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from .matrix_api_citizen import ROUTES as API_CITIZEN
from .matrix_portal import ROUTES as PORTAL
from .matrix_staff import ROUTES as STAFF

ROUTES: list[Route] = [*API_CITIZEN, *PORTAL, *STAFF]
