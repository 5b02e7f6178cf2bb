"""Isolation matrix rows of the care finder's operator routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
