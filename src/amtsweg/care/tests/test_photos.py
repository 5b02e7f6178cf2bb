"""Facility photos: served by the application only for facilities the public (or their operator) may see,
and an upload that fails leaves no file behind."""

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
    api = client.get(f"/api/v1/care/facilities/{care.st_quirin.pk}").json()
    assert api["photos"] == [{"url": f"http://testserver{url}", "alt_text": "Garten mit Bänken"}]
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
    # Its operator still sees it (the photos page), privately cached; another operator does not.
    client.force_login(care.operator_user)
    response = client.get(url)
    assert response.status_code == 200 and response["Cache-Control"].startswith("private")
    client.force_login(care.other_operator_user)
    assert client.get(url).status_code == 404


def test_a_failed_upload_leaves_no_file_behind(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.files.storage import default_storage
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .. import photos

    care = care_setup(world)

    def broken_audit(**kwargs: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(photos, "audit", broken_audit)
    upload = SimpleUploadedFile("garten.png", PNG, content_type="image/png")
    with pytest.raises(RuntimeError):
        photos.photo_add(facility=care.st_quirin, actor=care.operator_user, upload=upload, alt_text="Garten")
    assert not FacilityPhoto.objects.exists()
    assert not default_storage.exists("care/photos") or default_storage.listdir("care/photos")[1] == []
