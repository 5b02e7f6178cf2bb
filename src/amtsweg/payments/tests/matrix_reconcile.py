"""Isolation-matrix rows of invoice and reconciliation routes."""

from amtsweg.testing import Route

ROUTES: list[Route] = []
