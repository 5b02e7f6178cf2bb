"""Isolation matrix rows of the register part's routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
