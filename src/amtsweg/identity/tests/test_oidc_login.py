"""OpenID Connect login, end to end against a real OpenID provider started on 127.0.0.1.

The provider is panva's certified ``oidc-provider`` (``oidc_op/server.mjs``, Node); our site runs on
pytest-django's live server. The browser's part is played by a ``requests`` session (cookies and
redirects as a browser keeps them) and, for the pages a person sees, by Chromium. Answers are
tampered with on their way from the provider to our server (the live server runs in this process,
so its HTTP client can be intercepted): a changed ID token, one signed with another key, an
unsigned one, a userinfo answer about someone else.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import pytest
import requests
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from joserfc import jwt
from joserfc.jwk import RSAKey
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper
from requests.adapters import HTTPAdapter

from amtsweg.browser import assert_accessible, unavailable
from amtsweg.identity import oidc
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.methods import login_method, login_methods
from amtsweg.identity.models import ExternalIdentity, Organisation, User
from amtsweg.testing import make_user

NAME = "test"
METHOD = f"oidc:{NAME}"
ACCOUNT = "/konto/"
SERVER = Path(__file__).parent / "oidc_op" / "server.mjs"
CLIENT_ID = "amtsweg"
CLIENT_SECRET = "amtsweg-test-secret"
LOW = "http://eidas.europa.eu/LoA/low"
SUBSTANTIAL = "http://eidas.europa.eu/LoA/substantial"
HIGH = "http://eidas.europa.eu/LoA/high"
UNMAPPED = "urn:amtsweg:test:loa:unmapped"
SessionStore = import_module(django_settings.SESSION_ENGINE).SessionStore


@dataclass
class OpenIdProvider:
    issuer: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="module")
def op(live_server: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenIdProvider]:
    """The provider, knowing our callback URL (the live server's port is known only now)."""
    node = shutil.which("node")
    if node is None:
        unavailable("node not found (Node.js runs the test OpenID provider)")
    if not (Path(django_settings.REPO_DIR) / "node_modules" / "oidc-provider").exists():
        unavailable(f"oidc-provider not installed (run `npm ci` in {django_settings.REPO_DIR})")
    log = tmp_path_factory.mktemp("oidc-op") / "stderr.log"
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [
                node,
                str(SERVER),
                "--port",
                "0",
                "--redirect-uri",
                f"{live_server.url}/konto/anmelden/oidc/{NAME}/rueckkehr/",
            ],
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # "" if node died: then the log says why
        assert first, log.read_text()
        issuer = json.loads(first)["issuer"]
        deadline = time.monotonic() + 15
        while requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code != 200:
            assert time.monotonic() < deadline, "the OpenID provider did not answer discovery"
            time.sleep(0.05)
        yield OpenIdProvider(issuer, process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def entry(op: OpenIdProvider, **changes: Any) -> dict[str, Any]:
    return {
        "name": NAME,
        "label": "Test-OP",
        "issuer": op.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scopes": "openid profile email address",
        "levels": {LOW: "normal", SUBSTANTIAL: "substantiell", HIGH: "hoch"},
        **changes,
    }


@pytest.fixture
def site(op: OpenIdProvider, settings: SettingsWrapper, live_server: Any, transactional_db: None) -> str:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op)]
    cache.clear()  # discovery and keys of an earlier test's configuration
    return str(live_server.url)


@dataclass
class Login:
    browser: requests.Session
    authorization: dict[str, str]  # the query our site sent the person to the provider with
    callback_url: str  # the provider's answer, not yet followed


def begin(
    site: str, *, niveau: str | None = None, next_url: str = ACCOUNT, browser: requests.Session | None = None
) -> tuple[requests.Session, requests.Response, dict[str, str]]:
    """From our start page to the provider's login form."""
    browser = browser or requests.Session()
    query = {"next": next_url, **({"niveau": niveau} if niveau else {})}
    start = browser.get(
        f"{site}/konto/anmelden/oidc/{NAME}/?{urlencode(query)}", allow_redirects=False, timeout=10
    )
    assert start.status_code == 302, start.text
    location = start.headers["Location"]
    authorization = {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}
    form = browser.get(location, timeout=10)  # the provider redirects to its interaction page
    assert form.status_code == 200 and "Test-Identitätsanbieter" in form.text, form.text
    return browser, form, authorization


def login(
    site: str,
    *,
    account: str = "erika",
    acr: str = SUBSTANTIAL,
    niveau: str | None = None,
    next_url: str = ACCOUNT,
    browser: requests.Session | None = None,
    abort: bool = False,
) -> Login:
    """Log in at the provider as ``account`` with ``acr``, up to (not into) our callback."""
    browser, form, authorization = begin(site, niveau=niveau, next_url=next_url, browser=browser)
    actions = dict(
        (kind, url) for url, kind in re.findall(r'action="(/interaction/[^"]+/(login|abort))"', form.text)
    )
    answer = browser.post(
        urljoin(form.url, actions["abort" if abort else "login"]),
        data={"account": account, "acr": acr},
        allow_redirects=False,
        timeout=10,
    )
    while answer.status_code in (302, 303) and not answer.headers["Location"].startswith(site):
        answer = browser.get(
            urljoin(answer.url, answer.headers["Location"]), allow_redirects=False, timeout=10
        )
    assert answer.status_code in (302, 303), answer.text
    return Login(browser, authorization, answer.headers["Location"])


def callback(login: Login, browser: requests.Session | None = None) -> requests.Response:
    return (browser or login.browser).get(login.callback_url, allow_redirects=False, timeout=10)


def assurance(browser: requests.Session) -> dict[str, str] | None:
    key = browser.cookies.get("sessionid")
    if not key:
        return None
    stored = SessionStore(session_key=key).load().get(SESSION_KEY)
    return stored if isinstance(stored, dict) else None


def refused(answer: requests.Response, status: int, text: str) -> None:
    assert answer.status_code == status, answer.text
    assert "Anmeldung nicht abgeschlossen" in answer.text
    assert text in answer.text


# --- the round trip ---------------------------------------------------------------------------


def test_round_trip_logs_in_with_the_level_the_provider_proved(site: str, op: OpenIdProvider) -> None:
    done = login(site, niveau="substantiell", acr=SUBSTANTIAL)

    # The request: code flow with PKCE S256, state and nonce, the acr values that prove the level
    # (weakest sufficient first).
    sent = done.authorization
    assert sent["response_type"] == "code" and sent["client_id"] == CLIENT_ID
    assert sent["code_challenge_method"] == "S256" and len(sent["code_challenge"]) == 43
    assert len(sent["state"]) >= 40 and len(sent["nonce"]) >= 40
    assert sent["acr_values"] == f"{SUBSTANTIAL} {HIGH}"
    assert sent["scope"] == "openid profile email address"
    assert sent["redirect_uri"] == f"{site}/konto/anmelden/oidc/{NAME}/rueckkehr/"
    assert parse_qs(urlsplit(done.callback_url).query)["iss"] == [op.issuer]  # RFC 9207

    answer = callback(done)
    assert answer.status_code == 302, answer.text
    assert answer.headers["Location"] == ACCOUNT
    stored = assurance(done.browser)
    assert stored is not None and (stored["level"], stored["method"]) == ("substantiell", METHOD)
    identity = ExternalIdentity.objects.select_related("user").get(method=METHOD, subject="erika")
    assert (identity.issuer, identity.level) == (op.issuer, "substantiell")
    # From userinfo (the provider puts profile claims there in the code flow), mapped to ours.
    assert identity.attributes == {
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birth_date": "1964-08-12",
        "street": "Kölner Straße 40",
        "postal_code": "41539",
        "city": "Dormagen",
        "country": "DE",
        "email": "erika.mustermann@example.org",
    }
    user = identity.user
    assert (user.first_name, user.last_name, user.kind) == ("Erika", "Mustermann", User.Kind.CITIZEN)
    assert user.email == "erika.mustermann@example.org" and user.email_verified_at is not None
    assert not user.has_usable_password()
    # The account page now knows the person.
    page = done.browser.get(f"{site}{ACCOUNT}", timeout=10)
    assert page.status_code == 200 and "Erika" in page.text

    # A second login of the same person reuses the account, at the level proven this time.
    again = callback(login(site, acr=HIGH))
    assert again.status_code == 302
    assert ExternalIdentity.objects.get(method=METHOD, subject="erika").level == "hoch"
    assert User.objects.filter(external_identities__method=METHOD).count() == 1


def test_step_up_links_the_identity_to_the_logged_in_citizen(site: str) -> None:
    citizen = make_user("clara@example.org", kind=User.Kind.CITIZEN, first="Clara", last="Citizen")
    client = Client()
    client.force_login(citizen)
    browser = requests.Session()
    # Where the live server's own session cookie would be (http.cookiejar files "localhost" so).
    browser.cookies.set("sessionid", client.cookies["sessionid"].value, domain="localhost.local", path="/")
    done = login(site, niveau="hoch", acr=HIGH, account="aylin", browser=browser, next_url="/konto/antraege/")
    answer = callback(done)
    assert answer.status_code == 302 and answer.headers["Location"] == "/konto/antraege/"
    assert ExternalIdentity.objects.get(method=METHOD, subject="aylin").user == citizen
    stored = assurance(browser)
    assert stored is not None and stored["level"] == "hoch"
    # Proven at "hoch": the provider's names replace the typed-in ones; the address stays ours.
    citizen.refresh_from_db()
    assert (citizen.first_name, citizen.last_name, citizen.email) == ("Aylin", "Yılmaz", "clara@example.org")


def test_identity_of_another_account_is_not_switched_to(site: str) -> None:
    callback(login(site, account="aylin", acr=LOW))  # Aylin's identity now has its own account
    other = make_user("other@example.org", kind=User.Kind.CITIZEN)
    client = Client()
    client.force_login(other)
    browser = requests.Session()
    browser.cookies.set("sessionid", client.cookies["sessionid"].value, domain="localhost.local", path="/")
    answer = callback(login(site, account="aylin", acr=LOW, browser=browser))
    refused(answer, 409, "bereits mit einem anderen Bürgerkonto verknüpft")
    assert ExternalIdentity.objects.get(subject="aylin").user != other


def test_organisation_from_claims_and_unverified_email_not_taken(
    site: str, op: OpenIdProvider, settings: SettingsWrapper
) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [
        entry(
            op,
            scopes="openid profile email organisation",
            organisation_claims={"name": "organisation_name", "identifier": "organisation_id"},
        )
    ]
    answer = callback(login(site, account="jonas", acr=LOW))
    assert answer.status_code == 302, answer.text
    identity = ExternalIdentity.objects.select_related("user").get(subject="jonas")
    organisation = Organisation.objects.get(identifier="HRB 12345, Amtsgericht Neuss")
    assert organisation.name == "Rheinufer Gastronomie GmbH" and organisation.verified_by == METHOD
    assert organisation.memberships.get().user == identity.user
    # The provider has not verified Jonas's address: it does not become a confirmed account address.
    assert "email" not in identity.attributes
    assert identity.user.email.endswith("@konto.invalid") and identity.user.email_verified_at is None


def test_next_is_followed_only_to_this_site(site: str) -> None:
    answer = callback(login(site, acr=LOW, next_url="https://evil.example/phish"))
    assert answer.status_code == 302 and answer.headers["Location"] == ACCOUNT


# --- levels -----------------------------------------------------------------------------------


def test_lower_level_than_needed_is_refused_not_pretended(site: str) -> None:
    done = login(site, niveau="hoch", acr=SUBSTANTIAL, account="aylin", next_url="/konto/antraege/")
    assert done.authorization["acr_values"] == HIGH
    answer = callback(done)
    refused(answer, 403, "Das Verfahren hat nur Niveau substantiell")
    assert "hoch" in answer.text
    # The way on: the step-up page for the level needed, back to where the person was going.
    assert "/konto/anmelden/niveau/?niveau=hoch&amp;next=%2Fkonto%2Fantraege%2F" in answer.text
    assert assurance(done.browser) is None
    assert not ExternalIdentity.objects.filter(subject="aylin").exists()


def test_acr_not_in_the_map_is_refused(site: str, caplog: pytest.LogCaptureFixture) -> None:
    done = login(site, acr=UNMAPPED, account="aylin")
    with caplog.at_level(logging.WARNING):
        answer = callback(done)
    refused(answer, 403, "nicht anerkannt")
    assert "reason=acr-unmapped" in caplog.text and UNMAPPED in caplog.text
    assert assurance(done.browser) is None
    assert not ExternalIdentity.objects.filter(subject="aylin").exists()


def test_acr_not_in_the_map_gets_the_default_level_if_configured(
    site: str, op: OpenIdProvider, settings: SettingsWrapper
) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, default_level="normal")]
    done = login(site, acr=UNMAPPED, account="aylin")
    assert callback(done).status_code == 302
    stored = assurance(done.browser)
    assert stored is not None and stored["level"] == "normal"


def test_level_the_provider_cannot_prove_is_refused_before_leaving(
    site: str, op: OpenIdProvider, settings: SettingsWrapper
) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, levels={LOW: "normal", SUBSTANTIAL: "substantiell"})]
    answer = requests.get(
        f"{site}/konto/anmelden/oidc/{NAME}/?niveau=hoch", allow_redirects=False, timeout=10
    )
    refused(answer, 403, "kann das Vertrauensniveau hoch")


def test_login_method_is_registered(site: str, op: OpenIdProvider, settings: SettingsWrapper) -> None:
    method = login_method(METHOD)
    assert method is not None and method.level == TrustLevel.HIGH and method.label == "Test-OP"
    assert method in login_methods(at_least=TrustLevel.HIGH)
    assert (
        method.start(ACCOUNT, TrustLevel.SUBSTANTIAL)
        == f"/konto/anmelden/oidc/{NAME}/?next=%2Fkonto%2F&niveau=substantiell"
    )
    assert method.start(ACCOUNT, TrustLevel.NORMAL) == f"/konto/anmelden/oidc/{NAME}/?next=%2Fkonto%2F"
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, levels={LOW: "normal"})]
    method = login_method(METHOD)
    assert method is not None and method.level == TrustLevel.NORMAL
    assert method not in login_methods(at_least=TrustLevel.SUBSTANTIAL)


# --- refusals ---------------------------------------------------------------------------------


def test_replayed_callback_is_refused(site: str) -> None:
    done = login(site, acr=LOW)
    assert callback(done).status_code == 302
    refused(callback(done), 400, "abgelaufen oder wurde schon verwendet")
    refused(callback(done, requests.Session()), 400, "abgelaufen oder wurde schon verwendet")


def test_answer_taken_to_another_browser_is_refused(site: str) -> None:
    """Login CSRF: the attacker's own valid answer, opened in the victim's browser, logs nobody in."""
    done = login(site, acr=HIGH, account="aylin")
    victim = requests.Session()
    refused(callback(done, victim), 400, "abgelaufen oder wurde schon verwendet")
    assert assurance(victim) is None
    assert not ExternalIdentity.objects.filter(subject="aylin").exists()


def test_logins_in_several_tabs_are_bounded(site: str) -> None:
    oldest = login(site, acr=LOW)
    browser, states = oldest.browser, []
    for _tab in range(oidc.PENDING_PER_SESSION):
        start = browser.get(f"{site}/konto/anmelden/oidc/{NAME}/", allow_redirects=False, timeout=10)
        states.append(parse_qs(urlsplit(start.headers["Location"]).query)["state"][0])
    pending = SessionStore(session_key=browser.cookies["sessionid"]).load()[oidc.SESSION_KEY]
    assert sorted(pending) == sorted(states)  # the newest five
    refused(callback(oldest), 400, "abgelaufen oder wurde schon verwendet")  # dropped as the oldest


def test_callback_without_state_is_refused(site: str) -> None:
    answer = requests.get(f"{site}/konto/anmelden/oidc/{NAME}/rueckkehr/?code=abc", timeout=10)
    refused(answer, 400, "gehört zu keiner Anmeldung")


def test_person_aborting_at_the_provider(site: str) -> None:
    answer = callback(login(site, abort=True))
    refused(answer, 400, "wurde abgebrochen")


def intercept(
    monkeypatch: pytest.MonkeyPatch, url: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> None:
    """Alter the JSON answer of ``url`` on its way to our server (which runs in this process)."""
    original = HTTPAdapter.send

    def send(
        self: HTTPAdapter, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        response = original(self, request, *args, **kwargs)
        if request.url == url and response.status_code == 200:
            response._content = json.dumps(change(response.json())).encode()
        return response

    monkeypatch.setattr(HTTPAdapter, "send", send)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
    return result


def changed_claim(token: str) -> str:
    header, payload, signature = token.split(".")
    return ".".join([header, _b64({**_unb64(payload), "sub": "mallory"}), signature])


def signed_by_another_key(token: str) -> str:
    header, payload, _signature = token.split(".")
    forger = RSAKey.generate_key(2048, parameters={"kid": _unb64(header)["kid"]})  # same kid, other key
    return jwt.encode(_unb64(header), {**_unb64(payload), "sub": "mallory"}, forger)


def unsigned(token: str) -> str:
    _header, payload, _signature = token.split(".")
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64({**_unb64(payload), 'sub': 'mallory'})}."


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        (changed_claim, "id-token-signature"),
        (signed_by_another_key, "id-token-signature"),
        (unsigned, "id-token-invalid"),
    ],
)
def test_tampered_id_token_is_refused(
    site: str,
    op: OpenIdProvider,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    tamper: Callable[[str], str],
    reason: str,
) -> None:
    intercept(monkeypatch, f"{op.issuer}/token", lambda body: {**body, "id_token": tamper(body["id_token"])})
    done = login(site, acr=HIGH)
    with caplog.at_level(logging.WARNING):
        answer = callback(done)
    refused(answer, 400, "konnte nicht bestätigt werden")
    assert f"reason={reason}" in caplog.text
    assert "mallory" not in caplog.text and "Erika" not in caplog.text and "erika" not in caplog.text
    assert assurance(done.browser) is None
    assert not ExternalIdentity.objects.exists()


def test_userinfo_about_someone_else_is_refused(
    site: str, op: OpenIdProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    intercept(monkeypatch, f"{op.issuer}/me", lambda body: {**body, "sub": "mallory"})
    refused(callback(login(site, acr=LOW)), 400, "konnte nicht bestätigt werden")
    assert not ExternalIdentity.objects.exists()


def test_wrong_nonce_is_refused(site: str, caplog: pytest.LogCaptureFixture) -> None:
    done = login(site, acr=LOW)
    # The ID token names the nonce of the login it answers; ours (in the session) is another.
    session = SessionStore(session_key=done.browser.cookies["sessionid"])
    pending = session[oidc.SESSION_KEY]
    for state in pending:
        pending[state]["nonce"] = "another-login"
    session[oidc.SESSION_KEY] = pending
    session.save()
    with caplog.at_level(logging.WARNING):
        refused(callback(done), 400, "konnte nicht bestätigt werden")
    assert "reason=id-token-claim-nonce" in caplog.text


def test_expired_id_token_is_refused(
    site: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    done = login(site, acr=LOW)
    # The token arrives after its lifetime (the provider's is an hour) and our clock-skew allowance.
    monkeypatch.setattr(oidc, "_token_clock", lambda: int(time.time()) + 3600 + 61)
    with caplog.at_level(logging.WARNING):
        refused(callback(done), 400, "konnte nicht bestätigt werden")
    assert "reason=id-token-expired" in caplog.text


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_unreachable_provider(
    site: str, op: OpenIdProvider, settings: SettingsWrapper, caplog: pytest.LogCaptureFixture
) -> None:
    done = login(site, acr=LOW)
    # The provider goes away between the redirect and the answer (and no metadata is cached).
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, issuer=f"http://127.0.0.1:{_closed_port()}", timeout=2)]
    cache.clear()
    with caplog.at_level(logging.WARNING):
        refused(callback(done), 502, "nicht erreichbar")
        refused(
            requests.get(f"{site}/konto/anmelden/oidc/{NAME}/", allow_redirects=False, timeout=10),
            502,
            "nicht erreichbar",
        )
    assert "reason=discovery-unavailable" in caplog.text


def test_discovery_for_another_issuer_is_not_trusted(
    site: str, op: OpenIdProvider, settings: SettingsWrapper
) -> None:
    # The document at this address names the issuer http://127.0.0.1:…, not http://localhost:…
    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, issuer=op.issuer.replace("127.0.0.1", "localhost"))]
    answer = requests.get(f"{site}/konto/anmelden/oidc/{NAME}/", allow_redirects=False, timeout=10)
    refused(answer, 502, "nicht erreichbar")


def test_unknown_provider_is_404(site: str) -> None:
    assert requests.get(f"{site}/konto/anmelden/oidc/unbekannt/", timeout=10).status_code == 404
    assert (
        requests.get(f"{site}/konto/anmelden/oidc/unbekannt/rueckkehr/?state=x", timeout=10).status_code
        == 404
    )


# --- in the browser ---------------------------------------------------------------------------


@pytest.mark.browser
def test_step_up_in_the_browser(page: Page, site: str) -> None:
    """Chromium: the step-up page offers the provider, its login form, back logged in at "hoch"."""
    page.goto("/konto/anmelden/niveau/?" + urlencode({"niveau": "hoch", "next": ACCOUNT}))
    page.get_by_role("link", name="Test-OP").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test-Identitätsanbieter")
    expect(page.locator("#requested-acr")).to_have_attribute("data-acr-values", HIGH)
    page.get_by_label("Konto").fill("aylin")
    page.get_by_label("Nachgewiesenes Niveau (acr)").select_option(HIGH)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{site}{ACCOUNT}")
    assert_accessible(page)
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    stored = SessionStore(session_key=session_key).load()[SESSION_KEY]
    assert (stored["level"], stored["method"]) == ("hoch", METHOD)
    assert ExternalIdentity.objects.get(subject="aylin").level == "hoch"


@pytest.mark.browser
def test_error_pages_in_the_browser(
    page: Page, site: str, op: OpenIdProvider, settings: SettingsWrapper
) -> None:
    page.goto(f"/konto/anmelden/oidc/{NAME}/?" + urlencode({"niveau": "hoch", "next": ACCOUNT}))
    page.get_by_label("Nachgewiesenes Niveau (acr)").select_option(SUBSTANTIAL)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung nicht abgeschlossen")
    expect(page.get_by_role("alert")).to_contain_text("Das Verfahren hat nur Niveau substantiell")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile("Anmeldeverfahren mit dem Niveau hoch")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stärkere Anmeldung nötig")

    settings.IDENTITY_OIDC_PROVIDERS = [entry(op, issuer=f"http://127.0.0.1:{_closed_port()}", timeout=2)]
    cache.clear()
    answer = page.goto(f"/konto/anmelden/oidc/{NAME}/")
    assert answer is not None and answer.status == 502
    expect(page.get_by_role("alert")).to_contain_text("nicht erreichbar")
    assert_accessible(page)
