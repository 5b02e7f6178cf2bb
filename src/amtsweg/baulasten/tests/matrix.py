"""Isolation matrix rows of every Baulasten route (collected by tests/test_isolation_matrix.py)."""

from amtsweg.testing import Route

from .matrix_auskunft import ROUTES as AUSKUNFT
from .matrix_capture import ROUTES as CAPTURE
from .matrix_register import ROUTES as REGISTER
from .matrix_xbau import ROUTES as XBAU

ROUTES: list[Route] = [*REGISTER, *CAPTURE, *AUSKUNFT, *XBAU]
