"""The applicant downloads the notice of their own case; nobody else can, whatever id they try."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.testing import World, make_user

from .factories import PLACEHOLDER_PDF, issued_notice, with_placeholder_pdf

pytestmark = pytest.mark.django_db


def test_the_applicant_downloads_their_notice(world: World, client: Client) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    client.force_login(world.citizen)
    response = client.get(f"/konto/bescheide/{notice.pk}/pdf/")
    assert response.status_code == 200
    assert response.getvalue() == PLACEHOLDER_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert f'filename="Bescheid-{notice.case.reference}.pdf"' in response["Content-Disposition"]


def test_another_citizen_gets_404_for_every_notice(world: World, client: Client) -> None:
    mine = with_placeholder_pdf(issued_notice(world))
    other_citizen = make_user("eve@example.org", kind="citizen", first="Eve", last="Other")
    theirs = with_placeholder_pdf(issued_notice(world, applicant=other_citizen))
    client.force_login(world.citizen)
    assert client.get(f"/konto/bescheide/{theirs.pk}/pdf/").status_code == 404
    assert client.get(f"/konto/bescheide/{mine.pk + theirs.pk + 100}/pdf/").status_code == 404
    client.force_login(other_citizen)
    assert client.get(f"/konto/bescheide/{mine.pk}/pdf/").status_code == 404
    assert client.get(f"/konto/bescheide/{theirs.pk}/pdf/").status_code == 200


def test_a_notice_not_rendered_yet_is_not_offered(world: World, client: Client) -> None:
    notice = issued_notice(world)
    client.force_login(world.citizen)
    assert client.get(f"/konto/bescheide/{notice.pk}/pdf/").status_code == 404


def test_staff_and_visitors_cannot_use_the_citizen_download(world: World, client: Client) -> None:
    notice = with_placeholder_pdf(issued_notice(world))
    url = f"/konto/bescheide/{notice.pk}/pdf/"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/")
    client.force_login(world.caseworker_neuss)
    assert client.get(url).status_code == 403
