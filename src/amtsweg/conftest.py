"""Fixtures shared by every module's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.browser import chromium, page  # browser-test fixtures (Playwright, Chromium, axe-core)
from amtsweg.outbox.testing import smtp_server  # a real SMTP server (aiosmtpd) on 127.0.0.1
from amtsweg.testing import World, make_world

__all__ = ["chromium", "page", "smtp_server", "world"]


def pytest_configure(config: pytest.Config) -> None:
    from django.conf import settings

    # Tests create many accounts; the production hasher's cost would dominate the run time.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db: None) -> World:
    return make_world()


@pytest.fixture
def threaded_world(transactional_db: None) -> World:
    """The world for tests with real concurrent connections (PostgreSQL, or SQLite in a file).

    SQLite's in-memory test database is shared between threads in shared-cache mode, whose table
    locks fail at once instead of waiting; the real SQLite configuration (a file in WAL mode with
    IMMEDIATE transactions and a busy timeout) serializes writers instead.
    """
    from django.db import connection

    from amtsweg.cases.tests.factories import ensure_default_status_model

    name = str(connection.settings_dict["NAME"])
    if connection.vendor == "sqlite" and ("mode=memory" in name or name == ":memory:"):
        pytest.skip("needs PostgreSQL or a file database: in-memory SQLite has no waiting locks")
    ensure_default_status_model()  # a transactional test starts without migration data
    return make_world()


@pytest.fixture(autouse=True)
def _media_root(settings: SettingsWrapper, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Uploaded and generated files of a test go to a temporary folder, never into ``var/media``."""
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in the site language: a request in English must not leak into the next test."""
    from django.conf import settings
    from django.utils import translation

    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture
def password_only_staff_login(settings: SettingsWrapper) -> None:
    """Staff log in with the password alone (browser tests of other features); the two-factor login
    itself is tested in identity/tests/test_staff*."""
    settings.STAFF_TWO_FACTOR = "optional"
