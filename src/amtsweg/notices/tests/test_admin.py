"""The notice template admin: scoped to the user's authorities, templates checked before saving."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.testing import World

from .factories import LEGAL_REMEDY, notice_template

pytestmark = pytest.mark.django_db

ADMIN_URL = "/admin/notices/noticetemplate/"


def admin_client(client: Client, user: User) -> Client:
    user.is_staff = True
    user.save()
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="notices"))
    client.force_login(user)
    return client


def form_data(world: World, **values: object) -> dict[str, object]:
    data: dict[str, object] = {
        "service": world.town_service.pk,
        "authority": world.neuss.pk,
        "decision": "granted",
        "subject": "Meldebescheinigung",
        "body": "Sehr geehrte Damen und Herren, {{ case.reference }}",
        "legal_remedy": LEGAL_REMEDY,
        "fee_lines": '[{"label": "Gebühr", "amount": "10.00"}]',
        "is_active": "on",
    }
    data.update(values)
    return data


def test_authority_admins_see_their_variants_and_the_alliance_templates(world: World, client: Client) -> None:
    alliance = notice_template(world, subject="Vorlage des Verbunds")
    own = notice_template(world, authority=world.neuss, subject="Vorlage Neuss")
    other = notice_template(world, authority=world.dormagen, subject="Vorlage Dormagen")
    html = admin_client(client, world.admin_neuss).get(ADMIN_URL).content.decode()
    assert alliance.subject in html and own.subject in html and other.subject not in html
    assert client.get(f"{ADMIN_URL}{other.pk}/change/").status_code in (302, 404)


def test_only_alliance_administrators_change_alliance_templates(world: World, client: Client) -> None:
    alliance = notice_template(world, subject="Vorlage des Verbunds")
    admin_client(client, world.admin_neuss)
    response = client.post(
        f"{ADMIN_URL}{alliance.pk}/change/", form_data(world, authority="", subject="Geändert")
    )
    assert response.status_code == 403
    alliance.refresh_from_db()
    assert alliance.subject == "Vorlage des Verbunds"
    admin_client(client, world.kreis_admin)
    response = client.post(
        f"{ADMIN_URL}{alliance.pk}/change/", form_data(world, authority="", subject="Geändert")
    )
    assert response.status_code == 302
    alliance.refresh_from_db()
    assert alliance.subject == "Geändert"


def test_an_authority_admin_creates_a_variant_for_their_authority_only(world: World, client: Client) -> None:
    admin_client(client, world.admin_neuss)
    assert client.post(f"{ADMIN_URL}add/", form_data(world)).status_code == 302
    assert NoticeTemplate.objects.get().authority == world.neuss
    response = client.post(
        f"{ADMIN_URL}add/", form_data(world, authority=world.dormagen.pk, decision="rejected")
    )
    assert response.status_code == 200 and "authority" in response.context["adminform"].form.errors
    response = client.post(f"{ADMIN_URL}add/", form_data(world, authority="", decision="rejected"))
    assert response.status_code == 200 and "authority" in response.context["adminform"].form.errors
    assert NoticeTemplate.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("body", "{% load static %}", "Die Vorlage ist fehlerhaft"),
        ("body", "{% if %}", "Die Vorlage ist fehlerhaft"),
        ("fee_lines", '[{"label": "Gebühr", "amount": "-5"}]', "Gebührenposition 1"),
    ],
)
def test_broken_templates_and_fee_lines_are_refused(
    world: World, client: Client, field: str, value: str, message: str
) -> None:
    admin_client(client, world.kreis_admin)
    response = client.post(f"{ADMIN_URL}add/", form_data(world, **{field: value}))
    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert not NoticeTemplate.objects.exists()


def test_caseworkers_without_admin_rights_cannot_change_templates(world: World, client: Client) -> None:
    own = notice_template(world, authority=world.neuss, subject="Vorlage Neuss")
    admin_client(client, world.caseworker_neuss)
    response = client.post(f"{ADMIN_URL}{own.pk}/change/", form_data(world, subject="Geändert"))
    assert response.status_code == 403
    own.refresh_from_db()
    assert own.subject == "Vorlage Neuss"
