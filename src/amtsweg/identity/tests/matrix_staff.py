"""Isolation-matrix rows of this part's routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
