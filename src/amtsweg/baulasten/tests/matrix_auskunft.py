"""Isolation matrix rows of the auskunft part's routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
