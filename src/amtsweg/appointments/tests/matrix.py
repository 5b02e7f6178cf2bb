"""Isolation-matrix rows for the appointments module's routes, one file per part."""

from __future__ import annotations

from amtsweg.testing import Route

from . import matrix_api, matrix_portal, matrix_queue, matrix_staff

ROUTES: list[Route] = [*matrix_portal.ROUTES, *matrix_queue.ROUTES, *matrix_staff.ROUTES, *matrix_api.ROUTES]
