"""Fixtures shared by every module's tests."""

from __future__ import annotations

import pytest

from amtsweg.testing import World, make_world


@pytest.fixture
def world(db: None) -> World:
    return make_world()
