"""Appointments tests: a cheap proof of work (the real difficulty is for browsers and scalpers)."""

from __future__ import annotations

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def _cheap_proof_of_work() -> object:
    with override_settings(APPOINTMENTS_POW_DIFFICULTY=4):
        yield
