"""Isolation matrix rows of the care finder's staff routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
