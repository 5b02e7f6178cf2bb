"""Citizen login, logout and registration through HTTP: who may log in, where they land, what is revealed."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.testing import PASSWORD, World

LOGIN = "/konto/anmelden/"
REGISTER = "/konto/registrieren/"
NEW_PASSWORD = "Rheinufer-Spaziergang-42"


def _login(client: Client, email: str, password: str = PASSWORD, **extra: str) -> object:
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def _logged_in_as(client: Client) -> str | None:
    value = client.session.get("_auth_user_id")
    return str(value) if value is not None else None


def test_login_page_is_accessible_markup(world: World) -> None:
    page = Client().get(LOGIN).content.decode()
    assert 'autocomplete="email"' in page and 'autocomplete="current-password"' in page
    assert '<label class="field__label" for="id_username">E-Mail-Adresse</label>' in page
    assert 'href="/konto/registrieren/"' in page


def test_citizen_logs_in_and_lands_in_the_account(world: World) -> None:
    client = Client()
    response = _login(client, world.citizen.email)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == "/konto/"  # type: ignore[index]
    assert _logged_in_as(client) == str(world.citizen.pk)
    assert client.get("/konto/").status_code == 200


def test_login_follows_a_local_next_url(world: World) -> None:
    client = Client()
    response = _login(client, world.citizen.email, next="/konto/postfach/?seite=2")
    assert response["Location"] == "/konto/postfach/?seite=2"  # type: ignore[index]


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/konto/",
        "http://testserver@evil.example/",
        "javascript:alert(1)",
    ],
)
def test_login_ignores_a_foreign_next_url(world: World, next_url: str) -> None:
    client = Client()
    response = _login(client, world.citizen.email, next=next_url)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == "/konto/"  # type: ignore[index]


def test_protected_page_sends_anonymous_to_login_and_back(world: World) -> None:
    client = Client()
    response = client.get("/konto/antraege/")
    assert response.status_code == 302
    assert response["Location"] == "/konto/anmelden/?next=/konto/antraege/"
    login_page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/konto/antraege/"' in login_page
    assert _login(client, world.citizen.email, next="/konto/antraege/")["Location"] == "/konto/antraege/"  # type: ignore[index]


def test_staff_account_is_refused_with_a_pointer_to_the_back_office(world: World) -> None:
    client = Client()
    response = _login(client, world.caseworker_neuss.email)
    assert response.status_code == 200  # type: ignore[attr-defined]
    page = response.content.decode()  # type: ignore[attr-defined]
    assert "Dieses Konto ist ein Dienstkonto." in page
    assert 'href="/backoffice/anmelden/"' in page
    assert _logged_in_as(client) is None


def test_back_office_still_refuses_citizens_after_sharing_the_login_form(world: World) -> None:
    client = Client()
    response = client.post("/backoffice/anmelden/", {"username": world.citizen.email, "password": PASSWORD})
    assert "kein Dienstkonto" in response.content.decode()
    assert _logged_in_as(client) is None
    assert (
        client.post(
            "/backoffice/anmelden/", {"username": world.caseworker_neuss.email, "password": PASSWORD}
        ).status_code
        == 302
    )


def test_wrong_password_and_unknown_account_get_the_same_answer(world: World) -> None:
    known = _login(Client(), world.citizen.email, "falsch")
    unknown = _login(Client(), "niemand@example.org", "falsch")
    for response in (known, unknown):
        assert response.status_code == 200  # type: ignore[attr-defined]
        assert "E-Mail-Adresse oder Passwort ist falsch." in response.content.decode()  # type: ignore[attr-defined]


def test_inactive_citizen_cannot_log_in(world: World) -> None:
    User.objects.filter(pk=world.citizen.pk).update(is_active=False)
    client = Client()
    response = _login(client, world.citizen.email)
    assert "E-Mail-Adresse oder Passwort ist falsch." in response.content.decode()  # type: ignore[attr-defined]
    assert _logged_in_as(client) is None


@override_settings(LOGIN_RATE_LIMIT=3)
def test_login_is_rate_limited_per_account(world: World) -> None:
    for index in range(3):
        # Different client addresses: only the per-account limit can stop the fourth attempt.
        _login(Client(REMOTE_ADDR=f"198.51.100.{index}"), world.citizen.email, "falsch")
    client = Client(REMOTE_ADDR="198.51.100.99")
    response = _login(client, world.citizen.email)  # right password, but the account is blocked now
    assert "Zu viele Anmeldeversuche" in response.content.decode()  # type: ignore[attr-defined]
    assert _logged_in_as(client) is None


@override_settings(LOGIN_RATE_LIMIT=2)
def test_login_is_rate_limited_per_client_address(world: World) -> None:
    client = Client(REMOTE_ADDR="203.0.113.7")
    for index in range(6):  # the address allows three times the per-account limit
        _login(client, f"person{index}@example.org", "falsch")
    response = _login(client, world.citizen.email)
    assert "Zu viele Anmeldeversuche" in response.content.decode()  # type: ignore[attr-defined]
    assert _logged_in_as(client) is None
    other = Client(REMOTE_ADDR="203.0.113.8")
    assert _login(other, world.citizen.email).status_code == 302  # type: ignore[attr-defined]


@override_settings(LOGIN_RATE_LIMIT=2)
def test_portal_and_back_office_share_one_limit(world: World) -> None:
    client = Client()
    client.post("/backoffice/anmelden/", {"username": world.citizen.email, "password": "falsch"})
    client.post("/backoffice/anmelden/", {"username": world.citizen.email, "password": "falsch"})
    response = _login(client, world.citizen.email)
    assert "Zu viele Anmeldeversuche" in response.content.decode()  # type: ignore[attr-defined]


def test_logged_in_citizen_skips_the_login_page(world: World) -> None:
    client = Client()
    client.force_login(world.citizen)
    assert client.get(LOGIN)["Location"] == "/konto/"
    assert client.get(LOGIN + "?next=/konto/postfach/")["Location"] == "/konto/postfach/"
    assert client.get(LOGIN + "?next=https://evil.example/")["Location"] == "/konto/"


def test_logged_in_staff_sees_the_login_form_with_a_note(world: World) -> None:
    client = Client()
    client.force_login(world.caseworker_neuss)
    page = client.get(LOGIN).content.decode()
    assert "Sie sind mit einem Dienstkonto angemeldet." in page


def test_logout_needs_post_and_ends_the_session(world: World) -> None:
    client = Client()
    client.force_login(world.citizen)
    assert client.get("/konto/abmelden/").status_code == 405
    assert _logged_in_as(client) == str(world.citizen.pk)
    response = client.post("/konto/abmelden/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert _logged_in_as(client) is None
    assert client.get("/konto/")["Location"].startswith("/konto/anmelden/")


def test_login_and_logout_need_a_csrf_token(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    assert _login(client, world.citizen.email).status_code == 403  # type: ignore[attr-defined]
    client.force_login(world.citizen)
    assert client.post("/konto/abmelden/").status_code == 403
    assert _logged_in_as(client) == str(world.citizen.pk)


def test_session_cookie_is_http_only_and_same_site(world: World) -> None:
    client = Client()
    _login(client, world.citizen.email)
    cookie = client.cookies["sessionid"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert cookie["max-age"] == ""  # ends with the browser (SESSION_EXPIRE_AT_BROWSER_CLOSE)


# --- registration ------------------------------------------------------------------------------


def _register(client: Client, email: str, password: str = NEW_PASSWORD, **extra: str) -> object:
    data = {
        "email": email,
        "first_name": "Rita",
        "last_name": "Rhein",
        "password1": password,
        "password2": password,
        **extra,
    }
    return client.post(REGISTER, data)


def test_registration_creates_a_citizen_account_that_logs_in_once_confirmed(world: World) -> None:
    response = _register(Client(), "Rita.Rhein@Example.ORG")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert response["Location"] == "/konto/registrieren/fertig/"  # type: ignore[index]
    user = User.objects.get(email="rita.rhein@example.org")
    assert user.kind == User.Kind.CITIZEN and not user.is_staff and not user.is_superuser
    assert user.username == "rita.rhein@example.org" and user.get_full_name() == "Rita Rhein"
    assert user.email_verified_at is None
    client = Client()
    refused = _login(client, "rita.rhein@example.org", NEW_PASSWORD)
    assert refused.status_code == 200 and "bestätigen Sie zuerst" in refused.content.decode()  # type: ignore[attr-defined]
    assert _logged_in_as(client) is None
    User.objects.filter(pk=user.pk).update(email_verified_at=timezone.now())
    assert _login(client, "rita.rhein@example.org", NEW_PASSWORD)["Location"] == "/konto/"  # type: ignore[index]


def test_registration_does_not_reveal_an_existing_address(world: World) -> None:
    new = _register(Client(), "neu@example.org")
    existing = _register(Client(), world.citizen.email)
    existing_other_case = _register(Client(), world.citizen.email.upper())
    staff = _register(Client(), world.caseworker_neuss.email)
    for response in (new, existing, existing_other_case, staff):
        assert response.status_code == 302  # type: ignore[attr-defined]
        assert response["Location"] == "/konto/registrieren/fertig/"  # type: ignore[index]
    assert User.objects.filter(email__iexact=world.citizen.email).count() == 1
    # The existing accounts are untouched: their passwords still work, the new one does not.
    world.citizen.refresh_from_db()
    world.caseworker_neuss.refresh_from_db()
    assert world.citizen.check_password(PASSWORD) and not world.citizen.check_password(NEW_PASSWORD)
    assert world.caseworker_neuss.is_staff_account and world.caseworker_neuss.check_password(PASSWORD)
    done = Client().get("/konto/registrieren/fertig/").content.decode()
    assert "Bestätigungslink" in done


@pytest.mark.parametrize(
    ("password", "repeat", "message"),
    [
        ("kurz", "kurz", "Dieses Passwort ist zu kurz"),
        ("1234567890123", "1234567890123", "Dieses Passwort ist komplett numerisch"),
        ("password123", "password123", "Dieses Passwort ist zu üblich"),
        (NEW_PASSWORD, NEW_PASSWORD + "x", "Die beiden Passwörter stimmen nicht überein."),
        ("rita.rhein.example", "rita.rhein.example", "Das Passwort ist zu ähnlich"),
    ],
)
def test_registration_applies_the_password_validators(
    world: World, password: str, repeat: str, message: str
) -> None:
    response = Client().post(
        REGISTER,
        {
            "email": "rita.rhein@example.org",
            "first_name": "Rita",
            "last_name": "Rhein",
            "password1": password,
            "password2": repeat,
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert 'role="alert"' in page and 'href="#id_password' in page  # error summary links to the field
    assert 'aria-invalid="true"' in page
    assert not User.objects.filter(email="rita.rhein@example.org").exists()


def test_registration_keeps_input_except_passwords(world: World) -> None:
    page = _register(Client(), "not-an-address", "kurz").content.decode()  # type: ignore[attr-defined]
    assert 'value="Rita"' in page and 'value="Rhein"' in page
    assert "kurz" not in page.split('name="password1"')[1].split(">")[0]


@override_settings(LOGIN_RATE_LIMIT=2)
def test_registration_is_rate_limited_per_client_address(world: World) -> None:
    client = Client(REMOTE_ADDR="192.0.2.10")
    _register(client, "a@example.org")
    _register(client, "b@example.org")
    response = _register(client, "c@example.org")
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert "Zu viele Versuche" in response.content.decode()  # type: ignore[attr-defined]
    assert not User.objects.filter(email="c@example.org").exists()


def test_logged_in_citizen_skips_registration(world: World) -> None:
    client = Client()
    client.force_login(world.citizen)
    assert client.get(REGISTER)["Location"] == "/konto/"
