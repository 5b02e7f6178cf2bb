"""The Django admin's view of cases: read-only, scoped, audited; status models validated."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from amtsweg.cases.admin import StatusDefinitionForm
from amtsweg.identity.models import User
from amtsweg.tenancy.models import AuditEvent
from amtsweg.testing import World

from . import factories


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def test_superuser_reads_a_case_in_the_admin_and_it_is_audited(world: World) -> None:
    case = factories.submit_case(world)
    root = User.objects.create_superuser(email="root@example.org", password="x" * 12)
    client = Client()
    client.force_login(root)
    assert case.reference in client.get("/admin/cases/case/").content.decode()
    page = client.get(f"/admin/cases/case/{case.pk}/change/")
    assert page.status_code == 200 and case.reference in page.content.decode()
    assert 'name="_save"' not in page.content.decode()  # read-only
    event = AuditEvent.objects.get(action=AuditEvent.Action.READ, object_id=str(case.pk))
    assert event.channel == "admin" and event.actor == root
    assert client.post(f"/admin/cases/case/{case.pk}/delete/", {"post": "yes"}).status_code == 403


def test_status_model_form_refuses_unknown_following_statuses(world: World) -> None:
    form = StatusDefinitionForm(
        data={
            "key": "neu",
            "label_de": "Neu",
            "phase": "new",
            "order": 1,
            "next_keys": '["gibt_es_nicht"]',
            "service": world.town_service.pk,
        }
    )
    assert not form.is_valid() and "gibt_es_nicht" in str(form.errors["next_keys"])
    ok = StatusDefinitionForm(
        data={
            "key": "neu",
            "label_de": "Neu",
            "phase": "new",
            "order": 1,
            "next_keys": '["neu"]',
            "service": world.town_service.pk,
        }
    )
    assert ok.is_valid(), ok.errors
