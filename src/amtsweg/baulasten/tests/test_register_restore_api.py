"""POST /api/v1/baulasten/{ags}/entries/{id}/restore: lifting a Löschung through the staff API —
the entry is valid again, the history keeps the deletion and its lifting, stale versions and entries
that are not deleted are refused (409 problem+json), other authorities' staff get 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from ..models import Baulast, BaulastVersion
from .factories import BaulastenSetup, baulasten_setup

pytestmark = pytest.mark.django_db
PROBLEM = "application/problem+json"


@pytest.fixture
def setup(world: World) -> BaulastenSetup:
    return baulasten_setup(world)


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(entry: Baulast, suffix: str = "/restore") -> str:
    return f"/api/v1/baulasten/{entry.authority.ags}/entries/{entry.pk}{suffix}"


def test_restore_lifts_the_loeschung_and_keeps_the_history(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    entry = setup.setback
    deleted = client.delete(
        _url(entry, ""),
        {"deleted_on": "2024-01-02", "reason": "Verzicht", "version": 1},
        content_type="application/json",
    )
    assert deleted.status_code == 200 and deleted.json()["version"] == 2

    restored = client.post(_url(entry), {"version": 2}, content_type="application/json")

    assert restored.status_code == 200, restored.content
    body = restored.json()
    assert body["is_deleted"] is False and body["deleted_on"] is None and body["deletion_reason"] == ""
    assert body["version"] == 3
    entry.refresh_from_db()
    assert not entry.is_deleted and entry.version == 3
    last = entry.versions.order_by("-number").first()
    assert last is not None
    assert (last.change, last.channel, last.actor) == (BaulastVersion.Change.RESTORED, "api", setup.bau_neuss)
    history = client.get(_url(entry, "/history")).json()
    assert [v["change"] for v in history] == ["created", "deleted", "restored"]
    assert AuditEvent.objects.filter(
        actor=setup.bau_neuss, action=AuditEvent.Action.UPDATE, object_id=str(entry.pk)
    ).exists()
    # the entry is found again without include_deleted
    found = client.get(f"/api/v1/baulasten/{entry.authority.ags}/entries", {"q": "Abstandsfläche"}).json()
    assert entry.pk in [row["id"] for row in found["results"]]


def test_restore_refuses_stale_versions_and_entries_not_deleted(setup: BaulastenSetup) -> None:
    client = _client(setup.bau_neuss)
    not_deleted = client.post(_url(setup.parking), {"version": 1}, content_type="application/json")
    assert not_deleted.status_code == 409 and not_deleted["Content-Type"] == PROBLEM
    assert not_deleted.json()["code"] == "baulasten-entry-not-deleted"

    entry = setup.deleted  # deleted in 2015, version 1
    stale = client.post(_url(entry), {"version": 7}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["code"] == "baulasten-version-conflict"
    assert stale.json()["current_version"] == 1
    missing = client.post(_url(entry), {}, content_type="application/json")
    assert missing.status_code == 400 and missing["Content-Type"] == PROBLEM
    assert "version" in missing.json()["errors"]
    entry.refresh_from_db()
    assert entry.is_deleted and entry.version == 1

    assert client.post(_url(entry), {"version": 1}, content_type="application/json").status_code == 200
    again = client.post(_url(entry), {"version": 2}, content_type="application/json")  # a double click
    assert again.status_code == 409 and again.json()["code"] == "baulasten-entry-not-deleted"


def test_restore_is_for_the_keepers_staff_only(world: World, setup: BaulastenSetup) -> None:
    entry = setup.deleted
    other = _client(setup.bau_dormagen).post(_url(entry), {"version": 1}, content_type="application/json")
    assert other.status_code == 404 and other["Content-Type"] == PROBLEM
    # Dormagen's staff cannot reach it through their own authority's path either
    sideways = _client(setup.bau_dormagen).post(
        f"/api/v1/baulasten/{world.dormagen.ags}/entries/{entry.pk}/restore",
        {"version": 1},
        content_type="application/json",
    )
    assert sideways.status_code == 404
    assert (
        _client(world.citizen).post(_url(entry), {"version": 1}, content_type="application/json").status_code
        == 403
    )
    assert Client().post(_url(entry), {"version": 1}, content_type="application/json").status_code in (
        401,
        403,
    )
    entry.refresh_from_db()
    assert entry.is_deleted and entry.version == 1
