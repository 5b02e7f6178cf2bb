"""The office page in the portal links to online booking where the office gives appointments."""

from __future__ import annotations

import pytest
from django.test import Client

from amtsweg.appointments.tests.factories import appointment_office
from amtsweg.testing import World

pytestmark = pytest.mark.django_db


def test_office_page_links_to_booking_only_where_offered(world: World, client: Client) -> None:
    neuss = world.neuss.offices.get()
    url = f"/behoerden/neuss/dienststellen/{neuss.slug}/"
    assert "Termin online buchen" not in client.get(url).content.decode()
    config = appointment_office(neuss)
    page = client.get(url).content.decode()
    assert f"/termine/?office={config.pk}" in page and "Termin online buchen" in page
    config.enabled = False
    config.save()
    assert "Termin online buchen" not in client.get(url).content.decode()
