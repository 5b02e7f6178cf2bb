"""Isolation matrix rows of every care route (collected by tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from .matrix_alerts import ROUTES as ALERTS
from .matrix_opendata import ROUTES as OPENDATA
from .matrix_operator import ROUTES as OPERATOR
from .matrix_portal import ROUTES as PORTAL
from .matrix_staff import ROUTES as STAFF

ROUTES: list[Route] = [*PORTAL, *OPERATOR, *ALERTS, *OPENDATA, *STAFF]
