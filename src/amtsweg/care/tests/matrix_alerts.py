"""Isolation matrix rows of the care finder's alerts routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
