"""Isolation matrix rows of the xbau part's routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
