"""Local accounts end to end: confirmation e-mail through a real SMTP server, password reset,
and the trust level a password login proves (recorded on the submission; refused above it)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from amtsweg.cases.models import Submission
from amtsweg.cases.tests.factories import make_draft
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.outbox.testing import SMTPCapture, deliver_due_messages
from amtsweg.testing import PASSWORD, World

NEW_PASSWORD = "Rheinufer-Spaziergang-42"


def _register(client: Client, email: str = "rita@example.org") -> None:
    response = client.post(
        "/konto/registrieren/",
        {
            "email": email,
            "first_name": "Rita",
            "last_name": "Rhein",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302


def _link(mail_text: str) -> str:
    found = re.search(r"http://[^\s]+", mail_text)
    assert found, mail_text
    return (
        found.group(0).split("127.0.0.1:8000", 1)[-1]
        if "127.0.0.1:8000" in found.group(0)
        else found.group(0)
    )


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _page(response: Any) -> str:
    """The page without its per-response CSRF token, to compare two answers."""
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


def _login(client: Client, email: str, password: str) -> Any:
    return client.post("/konto/anmelden/", {"username": email, "password": password})


def test_registration_confirmation_mail_confirms_and_login_proves_normal(
    world: World, smtp_server: SMTPCapture
) -> None:
    client = Client()
    _register(client)
    assert deliver_due_messages(kinds=["email.account_confirm"]) == 1
    mail = smtp_server.wait_for(1)[-1]
    assert mail.recipients == ["rita@example.org"]
    assert "bestätigen" in str(mail.message["Subject"]).lower()
    confirm = client.get(_link(mail.text))
    assert confirm.status_code == 200 and "ist bestätigt" in confirm.content.decode()
    user = User.objects.get(email="rita@example.org")
    assert user.email_verified_at is not None
    assert client.get(_link(mail.text)).status_code == 200  # a second click changes nothing

    response = _login(client, "rita@example.org", NEW_PASSWORD)
    assert response.status_code == 302
    assert client.session[SESSION_KEY]["level"] == TrustLevel.NORMAL
    assert client.session[SESSION_KEY]["method"] == "local"


def test_confirmation_link_expires_and_cannot_be_altered(world: World, smtp_server: SMTPCapture) -> None:
    client = Client()
    _register(client)
    deliver_due_messages(kinds=["email.account_confirm"])
    path = _link(smtp_server.wait_for(1)[-1].text)
    assert client.get(path[:-3] + "xx/").status_code == 400
    with time_machine.travel(timezone.now() + timedelta(days=4)):
        assert client.get(path).status_code == 400
    assert User.objects.get(email="rita@example.org").email_verified_at is None


def test_confirmation_link_dies_with_a_changed_address(world: World, smtp_server: SMTPCapture) -> None:
    client = Client()
    _register(client)
    deliver_due_messages(kinds=["email.account_confirm"])
    path = _link(smtp_server.wait_for(1)[-1].text)
    User.objects.filter(email="rita@example.org").update(email="rita.neu@example.org")
    assert client.get(path).status_code == 400


def test_resend_answers_the_same_for_unknown_and_sends_for_unconfirmed(
    world: World, smtp_server: SMTPCapture
) -> None:
    client = Client()
    _register(client)
    deliver_due_messages(kinds=["email.account_confirm"])
    before = len(smtp_server.wait_for(1))
    unknown = client.post("/konto/bestaetigen/erneut/", {"email": "niemand@example.org"})
    confirmed = client.post("/konto/bestaetigen/erneut/", {"email": world.citizen.email})
    assert _page(unknown) == _page(confirmed)
    assert deliver_due_messages(kinds=["email.account_confirm"]) == 0
    User.objects.filter(email="rita@example.org").update(email_verified_at=None)
    with time_machine.travel(timezone.now() + timedelta(hours=1)):
        known = client.post("/konto/bestaetigen/erneut/", {"email": "rita@example.org"})
        assert known.content.decode().count("Bestätigungslink") == unknown.content.decode().count(
            "Bestätigungslink"
        )
        assert deliver_due_messages(kinds=["email.account_confirm"]) == 1
    assert len(smtp_server.wait_for(before + 1)) == before + 1


def test_password_reset_by_mail_link_is_single_use(world: World, smtp_server: SMTPCapture) -> None:
    client = Client()
    unknown = client.post("/konto/passwort-vergessen/", {"email": "niemand@example.org"})
    known = client.post("/konto/passwort-vergessen/", {"email": world.citizen.email})
    assert unknown.status_code == known.status_code == 200
    assert _page(unknown) == _page(known)
    assert deliver_due_messages(kinds=["email.password_reset"]) == 1
    path = _link(smtp_server.wait_for(1)[-1].text)
    form = client.get(path, follow=True)
    assert form.status_code == 200 and "new_password1" in form.content.decode()
    target = form.redirect_chain[-1][0] if form.redirect_chain else path
    done = client.post(target, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/konto/passwort-neu/fertig/"
    assert _login(Client(), world.citizen.email, PASSWORD).status_code == 200  # old password gone
    assert _login(Client(), world.citizen.email, NEW_PASSWORD).status_code == 302
    again = Client().get(path, follow=True)
    assert "ungültig, schon benutzt oder abgelaufen" in again.content.decode()


def test_staff_accounts_get_no_citizen_password_reset(world: World, smtp_server: SMTPCapture) -> None:
    Client().post("/konto/passwort-vergessen/", {"email": world.caseworker_neuss.email})
    assert deliver_due_messages(kinds=["email.password_reset"]) == 0


def test_password_reset_requests_are_rate_limited(world: World, settings: Any) -> None:
    settings.LOGIN_RATE_LIMIT = 2
    client = Client()
    codes = [
        client.post("/konto/passwort-vergessen/", {"email": "x@example.org"}).status_code for _ in range(4)
    ]
    last = client.post("/konto/passwort-vergessen/", {"email": "x@example.org"})
    assert "Zu viele Versuche" in last.content.decode() and codes[:2] == [200, 200]


# --- trust levels on the application path ------------------------------------------------------


@pytest.fixture
def substantial_service(world: World) -> World:
    world.town_service.required_trust_level = TrustLevel.SUBSTANTIAL
    world.town_service.save(update_fields=["required_trust_level"])
    return world


def _password_client(world: World) -> Client:
    client = Client()
    assert _login(client, world.citizen.email, PASSWORD).status_code == 302
    return client


def test_password_login_is_sent_to_step_up_before_starting(substantial_service: World) -> None:
    world = substantial_service
    make_draft(world)  # publishes the form
    client = _password_client(world)
    url = f"/antraege/neu/{world.town_service.leika_key}/?ags={world.neuss.ags}"
    page = client.get(url)
    assert "Vertrauensniveau" in page.content.decode()
    response = client.post(f"/antraege/neu/{world.town_service.leika_key}/", {"ags": world.neuss.ags})
    assert response.status_code == 302 and response["Location"].startswith("/konto/anmelden/niveau/?")
    assert "niveau=substantiell" in response["Location"]
    step_up = client.get(response["Location"])
    assert step_up.status_code == 200
    assert "substantiell" in step_up.content.decode()


def test_submit_below_the_level_stores_nothing_and_asks_for_step_up(substantial_service: World) -> None:
    world = substantial_service
    draft = make_draft(world)
    client = _password_client(world)
    response = client.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert response.status_code == 302 and "niveau=substantiell" in response["Location"]
    assert not Submission.objects.filter(draft=draft).exists()


def test_api_submit_below_the_level_is_a_problem(substantial_service: World) -> None:
    from rest_framework.authtoken.models import Token

    world = substantial_service
    draft = make_draft(world)
    token = Token.objects.create(user=world.citizen)
    response = Client().post(
        f"/api/v1/applications/{draft.id}/submit",
        HTTP_AUTHORIZATION=f"Token {token.key}",
        content_type="application/json",
    )
    assert response.status_code == 403, response.content
    body = response.json()
    assert (
        body["code"] == "trust-level-too-low"
        and body["required"] == "substantiell"
        and body["current"] == "normal"
    )
    assert not Submission.objects.filter(draft=draft).exists()


def test_password_submission_records_level_and_method(world: World) -> None:
    draft = make_draft(world)
    client = _password_client(world)
    response = client.post(f"/antraege/{draft.id}/einreichen/", {"draft": str(draft.id)})
    assert response.status_code == 302, response.content
    submission = Submission.objects.get(draft=draft)
    assert (submission.trust_level, submission.login_method) == ("normal", "local")
