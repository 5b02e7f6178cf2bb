"""Facility photos are served by the application, only for facilities the public may see."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.test import Client

from amtsweg.testing import World

from ..models import FacilityPhoto
from .factories import care_setup
from .matrix_portal import PNG

pytestmark = pytest.mark.django_db


def test_a_public_facility_s_photo_is_served_with_its_checked_type(world: World, client: Client) -> None:
    care = care_setup(world)
    photo = FacilityPhoto(facility=care.st_quirin, alt_text="Garten mit Bänken")
    photo.image.save("garten.png", ContentFile(PNG), save=True)
    url = f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/fotos/{photo.pk}/"
    detail = client.get(f"/pflegefinder/einrichtungen/{care.st_quirin.pk}/")
    assert f'src="{url}"' in detail.content.decode() and 'alt="Garten mit Bänken"' in detail.content.decode()
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG  # type: ignore[attr-defined]
    # Another facility's id in the path, or a closed facility: 404.
    assert (
        client.get(f"/pflegefinder/einrichtungen/{care.am_stadtpark.pk}/fotos/{photo.pk}/").status_code == 404
    )
    care.st_quirin.active = False
    care.st_quirin.save()
    assert client.get(url).status_code == 404
