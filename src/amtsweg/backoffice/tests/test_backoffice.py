"""The staff back office through HTTP: login rules, switcher, offering edit, audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
from django.test import Client, override_settings

from amtsweg.catalog.models import ServiceOffering
from amtsweg.identity import staff
from amtsweg.tenancy.models import AuditEvent, Membership
from amtsweg.testing import PASSWORD, World


def _login(client: Client, email: str, password: str = PASSWORD) -> object:
    return client.post("/backoffice/anmelden/", {"username": email, "password": password})


def test_staff_login_lands_on_own_authority(world: World) -> None:
    device = staff.totp_enrol(user=world.caseworker_neuss)
    staff.totp_confirm(user=world.caseworker_neuss, code=pyotp.TOTP(device.secret).now())
    client = Client()
    response = _login(client, world.caseworker_neuss.email)
    assert response["Location"] == "/backoffice/anmelden/zweiter-faktor/"  # type: ignore[index]
    next_step = datetime.now(UTC) + timedelta(seconds=30)  # the enrolment used the current step
    response = client.post(
        "/backoffice/anmelden/zweiter-faktor/", {"code": pyotp.TOTP(device.secret).at(next_step)}
    )
    assert response.status_code == 302
    home = client.get("/backoffice/")
    assert home.status_code == 302 and home["Location"] == "/backoffice/05162024/"
    page = client.get("/backoffice/05162024/").content.decode()
    assert "Neuss" in page and "Leistungsangebote" in page


def test_citizen_cannot_log_into_back_office(world: World) -> None:
    client = Client()
    response = _login(client, world.citizen.email)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "kein Dienstkonto" in response.content.decode()  # type: ignore[attr-defined]
    assert "_auth_user_id" not in client.session


def test_wrong_password_message_does_not_reveal_account(world: World) -> None:
    client = Client()
    known = _login(client, world.caseworker_neuss.email, "wrong").content.decode()  # type: ignore[attr-defined]
    unknown = _login(client, "nobody@example.org", "wrong").content.decode()  # type: ignore[attr-defined]
    assert "E-Mail-Adresse oder Passwort ist falsch." in known
    assert "E-Mail-Adresse oder Passwort ist falsch." in unknown


@override_settings(LOGIN_RATE_LIMIT=3)
def test_login_is_rate_limited_per_account(world: World) -> None:
    client = Client()
    for _ in range(3):
        _login(client, world.caseworker_neuss.email, "wrong")
    response = _login(client, world.caseworker_neuss.email)  # right password, but blocked now
    assert "Zu viele Anmeldeversuche" in response.content.decode()  # type: ignore[attr-defined]
    assert "_auth_user_id" not in client.session


def test_switcher_for_people_in_several_authorities(world: World) -> None:
    Membership.objects.create(user=world.caseworker_neuss, authority=world.dormagen)
    client = Client()
    client.force_login(world.caseworker_neuss)
    page = client.get("/backoffice/").content.decode()
    assert "Für welche Behörde arbeiten Sie?" in page
    assert "/backoffice/05162004/" in page and "/backoffice/05162024/" in page
    client.get("/backoffice/05162004/")
    assert client.get("/backoffice/")["Location"] == "/backoffice/05162004/"  # remembered
    assert client.get("/backoffice/?wechseln=1").status_code == 200


def test_admin_edits_offering_in_browser_form_and_it_is_audited(world: World) -> None:
    client = Client()
    client.force_login(world.admin_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    url = f"/backoffice/05162024/leistungen/{offering.pk}/"
    response = client.post(
        url,
        {
            "enabled": "on",
            "maturity": "4",
            "online_url": "",
            "contact_email": "",
            "contact_phone": "02131 123",
            "office": str(world.neuss.offices.get().pk),
        },
    )
    assert response.status_code == 302, response.content.decode()
    offering.refresh_from_db()
    assert offering.maturity == 4 and offering.contact_phone == "02131 123"
    log = client.get("/backoffice/05162024/protokoll/").content.decode()
    assert "geändert" in log and "catalog.serviceoffering" in log


def test_caseworker_sees_offering_read_only(world: World) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    url = f"/backoffice/05162024/leistungen/{offering.pk}/"
    assert "Nur die Administration" in client.get(url).content.decode()
    assert client.post(url, {"maturity": "4"}).status_code == 403
    offering.refresh_from_db()
    assert offering.maturity == 3


def test_invalid_form_keeps_input_and_explains(world: World) -> None:
    client = Client()
    client.force_login(world.admin_neuss)
    offering = ServiceOffering.objects.get(authority=world.neuss, service=world.town_service)
    page = client.post(
        f"/backoffice/05162024/leistungen/{offering.pk}/", {"maturity": "7", "contact_phone": "0211 999"}
    ).content.decode()
    assert "0211 999" in page
    assert "field-error" in page
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UPDATE).exists()


def test_pages_send_security_headers(world: World) -> None:
    response = Client().get("/backoffice/anmelden/")
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "csrfmiddlewaretoken" in response.content.decode()


def test_login_requires_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/backoffice/anmelden/", {"username": world.caseworker_neuss.email, "password": PASSWORD}
    )
    assert response.status_code == 403
