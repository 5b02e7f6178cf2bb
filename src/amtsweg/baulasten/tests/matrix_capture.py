"""Isolation matrix rows of the capture part's routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
