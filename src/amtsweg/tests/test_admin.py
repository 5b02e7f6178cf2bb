"""The Django admin is German and scoped by the same access rules as everything else."""

from __future__ import annotations

from django.contrib.auth.models import Permission
from django.test import Client

from amtsweg.catalog.models import ServiceOffering
from amtsweg.identity.models import User
from amtsweg.testing import World


def test_superuser_sees_admin_in_german(world: World) -> None:
    root = User.objects.create_superuser(email="root@example.org", password="x-very-long-password")
    client = Client()
    client.force_login(root)
    page = client.get("/admin/").content.decode()
    assert "Konfiguration des Verbunds" in page
    for url in (
        "/admin/tenancy/authority/",
        "/admin/tenancy/office/",
        "/admin/catalog/service/",
        "/admin/catalog/serviceoffering/",
        "/admin/tenancy/auditevent/",
    ):
        assert client.get(url).status_code == 200, url


def test_authority_admin_in_django_admin_sees_and_changes_only_own_offerings(world: World) -> None:
    admin_user = world.admin_neuss
    admin_user.is_staff = True
    admin_user.save()
    admin_user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_serviceoffering", "change_serviceoffering"])
    )
    client = Client()
    client.force_login(admin_user)
    listing = client.get("/admin/catalog/serviceoffering/").content.decode()
    other = ServiceOffering.objects.get(authority=world.dormagen)
    own = ServiceOffering.objects.get(authority=world.neuss)
    assert f"/admin/catalog/serviceoffering/{own.pk}/change/" in listing
    assert f"/admin/catalog/serviceoffering/{other.pk}/change/" not in listing
    assert client.get(f"/admin/catalog/serviceoffering/{other.pk}/change/").status_code in {302, 404}
    assert client.get(f"/admin/catalog/serviceoffering/{own.pk}/change/").status_code == 200
