"""Isolation matrix rows of the care finder's portal routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
