"""Isolation matrix rows of the care finder's opendata routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
