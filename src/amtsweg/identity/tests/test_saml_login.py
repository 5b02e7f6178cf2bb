"""SAML login in the shape of BundID, end to end against a SAML IdP started on 127.0.0.1.

The IdP (``saml_idp.TestIdP``, pysaml2's IdP side) and the SP exchange metadata through files;
the browser's part is played by a ``requests`` session (cookies and redirects as a browser
keeps them). Refusals are checked for what an attacker would try: a response signed with another
key, an attribute changed after signing, a replayed response, an unsolicited one, an expired one,
a response completed in another browser, and a level below the one the page needs.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest
import requests
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from playwright.sync_api import Page, expect
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.browser import assert_accessible
from amtsweg.identity.assurance import SESSION_KEY
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.methods import login_method, login_methods
from amtsweg.identity.models import ExternalIdentity, User
from amtsweg.testing import make_user

from .saml_idp import KeyPair, Person, Received, TestIdP, make_key_pair

NAME = "bundid"
METHOD = f"saml:{NAME}"
ACCOUNT = "/konto/"


@dataclass
class Federation:
    idp: TestIdP
    sp_keys: KeyPair
    directory: Path
    entry: dict[str, Any]


@pytest.fixture(scope="module")
def federation(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    directory = tmp_path_factory.mktemp("saml")
    idp = TestIdP(directory / "idp").start()
    sp_keys = make_key_pair(directory / "sp", "sp")
    idp_metadata = directory / "idp-metadata.xml"
    idp_metadata.write_text(idp.metadata_xml())
    entry = {
        "name": NAME,
        "label": "Test-BundID",
        "metadata_file": str(idp_metadata),
        "sp_entity_id": "https://amtsweg.test/saml/bundid",
        "sp_key_file": str(sp_keys.key_file),
        "sp_cert_file": str(sp_keys.cert_file),
        "max_level": "hoch",
        "online_service_id": "AMTSWEG-TEST-1",
        "organization_display_name": "Rhein-Kreis Neuss",
    }
    yield Federation(idp, sp_keys, directory, entry)
    idp.stop()


@pytest.fixture
def sp(federation: Federation, settings: SettingsWrapper, live_server: Any, transactional_db: None) -> str:
    """The SP configured with the IdP's metadata; the IdP learns the SP from our metadata endpoint."""
    settings.IDENTITY_SAML_PROVIDERS = [federation.entry]
    if federation.idp._idp is None:
        answer = requests.get(f"{live_server.url}/konto/anmelden/saml/{NAME}/metadata/", timeout=10)
        assert answer.status_code == 200
        sp_metadata = federation.directory / "sp-metadata.xml"
        sp_metadata.write_text(answer.text)
        federation.idp.trust_sp(sp_metadata)
    return str(live_server.url)


@dataclass
class Flow:
    """One browser's login up to the IdP's answer (not yet posted to the ACS)."""

    browser: requests.Session
    request: Received
    acs_url: str
    saml_response: str


def begin(
    sp: str, idp: TestIdP, *, niveau: str = "substantiell", browser: requests.Session | None = None
) -> tuple[requests.Session, Received]:
    browser = browser or requests.Session()
    query = urlencode({"next": ACCOUNT, "niveau": niveau})
    start = browser.get(f"{sp}/konto/anmelden/saml/{NAME}/?{query}", allow_redirects=False, timeout=10)
    assert start.status_code == 302, start.text
    assert start.headers["Location"].startswith(f"{idp.base_url}/sso?SAMLRequest=")
    login_page = browser.get(start.headers["Location"], timeout=10)
    assert login_page.status_code == 200, login_page.text
    request_id = re.search(r'name="request" value="([^"]+)"', login_page.text)
    assert request_id
    return browser, idp.received[request_id.group(1)]


def flow(
    sp: str,
    idp: TestIdP,
    *,
    level: str = "STORK-QAA-Level-3",
    niveau: str = "substantiell",
    person: Person | None = None,
) -> Flow:
    """Start at our site, pass the IdP's login form as the citizen would."""
    browser, request = begin(sp, idp, niveau=niveau)
    person = person or Person()
    answer = browser.post(
        f"{idp.base_url}/login", data={"request": request.id, **asdict(person), "level": level}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    action = re.search(r'<form method="post" action="([^"]+)"', answer.text)
    saml_response = re.search(r'name="SAMLResponse" value="([^"]+)"', answer.text)
    assert action and saml_response
    return Flow(browser, request, action.group(1), saml_response.group(1))


def post_acs(browser: requests.Session, acs_url: str, saml_response: str) -> requests.Response:
    return browser.post(
        acs_url, data={"SAMLResponse": saml_response, "RelayState": ""}, allow_redirects=False, timeout=10
    )


def finish(browser: requests.Session, acs_answer: requests.Response) -> requests.Response:
    assert acs_answer.status_code == 303, acs_answer.text
    return browser.get(
        urljoin(acs_answer.url, acs_answer.headers["Location"]), allow_redirects=False, timeout=10
    )


def assurance(browser: requests.Session) -> dict[str, str] | None:
    key = browser.cookies.get("sessionid")
    if not key:
        return None
    stored = SessionStore(session_key=key).load().get(SESSION_KEY)
    return stored if isinstance(stored, dict) else None


def test_login_round_trip_with_bundid_attributes(sp: str, federation: Federation) -> None:
    idp = federation.idp
    login = flow(sp, idp, person=Person(bpk2="bPK2-ERIKA", birth_date="19640812"))

    # The request as BundID needs it: signed (the IdP verified it), minimum STORK level, our ACS.
    assert login.request.requested_class_refs == ["STORK-QAA-Level-3"]
    assert login.request.comparison == "minimum"
    assert login.request.acs_url == f"{sp}/konto/anmelden/saml/{NAME}/acs/"
    assert login.request.sp_entity_id == federation.entry["sp_entity_id"]
    assert 'Name="urn:oid:1.3.6.1.4.1.25484.494450.3"' in login.request.xml  # akdb RequestedAttribute
    assert "AMTSWEG-TEST-1" in login.request.xml  # DisplayInformation/OnlineServiceId

    done = finish(login.browser, post_acs(login.browser, login.acs_url, login.saml_response))
    assert done.status_code == 302
    assert done.headers["Location"] == ACCOUNT
    stored = assurance(login.browser)
    assert stored is not None and (stored["level"], stored["method"]) == ("substantiell", METHOD)
    identity = ExternalIdentity.objects.get(method=METHOD, subject="bPK2-ERIKA")
    assert identity.attributes["birth_date"] == "1964-08-12"  # BundID's form, stored as ISO


def test_round_trip_links_identity_and_records_level(sp: str, federation: Federation) -> None:
    login = flow(
        sp, federation.idp, level="STORK-QAA-Level-4", niveau="hoch", person=Person(bpk2="bPK2-HOCH")
    )
    done = finish(login.browser, post_acs(login.browser, login.acs_url, login.saml_response))
    assert done.status_code == 302
    stored = assurance(login.browser)
    assert stored is not None and stored["level"] == "hoch" and stored["method"] == METHOD
    identity = ExternalIdentity.objects.select_related("user").get(method=METHOD, subject="bPK2-HOCH")
    assert identity.issuer == federation.idp.entity_id
    assert identity.level == "hoch"
    assert identity.attributes == {
        "given_name": "Erika",
        "family_name": "Mustermann",
        "birth_date": "1964-08-12",
        "street": "Heidestraße 17",
        "postal_code": "41460",
        "city": "Neuss",
        "country": "D",
    }
    assert (identity.user.first_name, identity.user.last_name) == ("Erika", "Mustermann")
    assert identity.user.kind == User.Kind.CITIZEN
    # The cookie binding the login to this browser is gone once it has served.
    assert "amtsweg_saml" not in login.browser.cookies


def test_step_up_links_the_identity_to_the_logged_in_citizen(sp: str, federation: Federation) -> None:
    citizen = make_user("step-up@example.org", kind=User.Kind.CITIZEN, first="Erika", last="Mustermann")
    client = Client()
    client.force_login(citizen)
    browser = requests.Session()
    # Where the server's own session cookie would be (http.cookiejar files "localhost" so).
    browser.cookies.set("sessionid", client.cookies["sessionid"].value, domain="localhost.local", path="/")
    browser, request = begin(sp, federation.idp, browser=browser)
    saml_response = federation.idp.respond(request, Person(bpk2="bPK2-STEP-UP"), "STORK-QAA-Level-3")
    done = finish(browser, post_acs(browser, request.acs_url, saml_response))
    assert done.status_code == 302
    assert ExternalIdentity.objects.get(subject="bPK2-STEP-UP").user == citizen
    stored = assurance(browser)
    assert stored is not None and stored["level"] == "substantiell"


def refused(answer: requests.Response, status: int = 400) -> None:
    assert answer.status_code == status, answer.text
    assert "Anmeldedienst" in answer.text or "Vertrauensniveau" in answer.text or "Browser" in answer.text


def test_response_signed_with_another_key_is_refused(
    sp: str, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    idp = federation.idp
    browser, request = begin(sp, idp)
    forger = make_key_pair(federation.directory / "forger", "forger")
    forged = idp.respond(request, Person(bpk2="bPK2-FORGED"), "STORK-QAA-Level-4", signed_by=forger)
    with caplog.at_level(logging.INFO):
        refused(post_acs(browser, request.acs_url, forged))
    assert not ExternalIdentity.objects.filter(subject="bPK2-FORGED").exists()
    assert "reason=signature" in caplog.text
    assert "bPK2-FORGED" not in caplog.text and "Erika" not in caplog.text  # no personal data logged
    # The pending request survives a forgery: the genuine answer still logs in.
    genuine = idp.respond(request, Person(bpk2="bPK2-AFTER-FORGERY"), "STORK-QAA-Level-3")
    assert finish(browser, post_acs(browser, request.acs_url, genuine)).status_code == 302


def test_attribute_changed_after_signing_is_refused(sp: str, federation: Federation) -> None:
    login = flow(sp, federation.idp, person=Person(bpk2="bPK2-TAMPER"))
    xml = base64.b64decode(login.saml_response).decode()
    assert xml.count("Mustermann") == 1
    tampered = base64.b64encode(xml.replace("Mustermann", "Musterfrau").encode()).decode()
    refused(post_acs(login.browser, login.acs_url, tampered))
    assert not ExternalIdentity.objects.filter(subject="bPK2-TAMPER").exists()


def test_level_attribute_raised_after_signing_is_refused(sp: str, federation: Federation) -> None:
    login = flow(
        sp, federation.idp, level="STORK-QAA-Level-1", niveau="normal", person=Person(bpk2="bPK2-RAISE")
    )
    xml = base64.b64decode(login.saml_response).decode()
    tampered = base64.b64encode(xml.replace("STORK-QAA-Level-1", "STORK-QAA-Level-4").encode()).decode()
    refused(post_acs(login.browser, login.acs_url, tampered))


def test_replayed_response_is_refused(sp: str, federation: Federation) -> None:
    login = flow(sp, federation.idp, person=Person(bpk2="bPK2-REPLAY"))
    first = post_acs(login.browser, login.acs_url, login.saml_response)
    assert finish(login.browser, first).status_code == 302
    refused(post_acs(login.browser, login.acs_url, login.saml_response))
    refused(post_acs(requests.Session(), login.acs_url, login.saml_response))  # from another browser too
    # The one-time completion link cannot be used twice either.
    refused(
        login.browser.get(urljoin(first.url, first.headers["Location"]), allow_redirects=False, timeout=10)
    )


def test_unsolicited_response_is_refused(
    sp: str, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    idp = federation.idp
    acs_url = f"{sp}/konto/anmelden/saml/{NAME}/acs/"
    unsolicited = idp.respond(
        None,
        Person(bpk2="bPK2-UNSOLICITED"),
        "STORK-QAA-Level-4",
        acs_url=acs_url,
        sp_entity_id=federation.entry["sp_entity_id"],
    )
    with caplog.at_level(logging.WARNING):
        refused(post_acs(requests.Session(), acs_url, unsolicited))
    assert "reason=unsolicited" in caplog.text
    assert not ExternalIdentity.objects.filter(subject="bPK2-UNSOLICITED").exists()


def test_response_to_an_unknown_request_is_refused(sp: str, federation: Federation) -> None:
    idp = federation.idp
    browser, request = begin(sp, idp)
    made_up = Received(**{**asdict(request), "id": "_made-up-request-id"})
    refused(
        post_acs(
            browser, request.acs_url, idp.respond(made_up, Person(bpk2="bPK2-MADE-UP"), "STORK-QAA-Level-3")
        )
    )


def test_expired_assertion_is_refused(
    sp: str, federation: Federation, caplog: pytest.LogCaptureFixture
) -> None:
    idp = federation.idp
    browser, request = begin(sp, idp)
    expired = idp.respond(
        request, Person(bpk2="bPK2-EXPIRED"), "STORK-QAA-Level-3", shift=-dt.timedelta(minutes=30)
    )
    with caplog.at_level(logging.WARNING):
        refused(post_acs(browser, request.acs_url, expired))
    assert "reason=expired" in caplog.text
    assert not ExternalIdentity.objects.filter(subject="bPK2-EXPIRED").exists()


def test_unsigned_response_is_refused(sp: str, federation: Federation) -> None:
    browser, request = begin(sp, federation.idp)
    unsigned = federation.idp.respond(
        request, Person(bpk2="bPK2-UNSIGNED"), "STORK-QAA-Level-3", sign_response=False, sign_assertion=False
    )
    refused(post_acs(browser, request.acs_url, unsigned))


def test_response_for_another_audience_is_refused(sp: str, federation: Federation) -> None:
    browser, request = begin(sp, federation.idp)
    other = federation.idp.respond(
        request, Person(bpk2="bPK2-AUDIENCE"), "STORK-QAA-Level-3", audience="https://other.example/sp"
    )
    refused(post_acs(browser, request.acs_url, other))


def test_lower_level_than_needed_is_refused_with_403(sp: str, federation: Federation) -> None:
    login = flow(
        sp, federation.idp, level="STORK-QAA-Level-1", niveau="substantiell", person=Person(bpk2="bPK2-LOW")
    )
    done = finish(login.browser, post_acs(login.browser, login.acs_url, login.saml_response))
    refused(done, 403)
    assert "substantiell" in done.text
    assert assurance(login.browser) is None
    assert not ExternalIdentity.objects.filter(subject="bPK2-LOW").exists()


def test_answer_completed_in_another_browser_is_refused(sp: str, federation: Federation) -> None:
    """Login CSRF: the attacker's own valid answer, posted from the victim's browser, logs nobody in."""
    login = flow(sp, federation.idp, person=Person(bpk2="bPK2-ATTACKER"))
    victim = requests.Session()
    done = finish(victim, post_acs(victim, login.acs_url, login.saml_response))
    refused(done)
    assert "Browser" in done.text
    assert assurance(victim) is None
    assert not ExternalIdentity.objects.filter(subject="bPK2-ATTACKER").exists()


def test_sp_metadata(sp: str, federation: Federation) -> None:
    answer = requests.get(f"{sp}/konto/anmelden/saml/{NAME}/metadata/", timeout=10)
    assert answer.headers["Content-Type"].startswith("application/samlmetadata+xml")
    assert f'entityID="{federation.entry["sp_entity_id"]}"' in answer.text
    assert f'Location="{sp}/konto/anmelden/saml/{NAME}/acs/"' in answer.text
    assert 'AuthnRequestsSigned="true"' in answer.text and 'WantAssertionsSigned="true"' in answer.text
    assert federation.sp_keys.cert_base64[:40] in answer.text.replace("\n", "")
    assert requests.get(f"{sp}/konto/anmelden/saml/unbekannt/metadata/", timeout=10).status_code == 404


def test_login_method_is_registered(sp: str, federation: Federation) -> None:
    method = login_method(METHOD)
    assert method is not None and method.level == "hoch" and method.label == "Test-BundID"
    assert method in login_methods(at_least="hoch")
    assert (
        method.start("/konto/", TrustLevel.SUBSTANTIAL)
        == f"/konto/anmelden/saml/{NAME}/?next=%2Fkonto%2F&niveau=substantiell"
    )


def test_level_is_capped_at_the_providers_maximum(
    sp: str, federation: Federation, settings: SettingsWrapper
) -> None:
    settings.IDENTITY_SAML_PROVIDERS = [{**federation.entry, "max_level": "substantiell"}]
    login = flow(
        sp, federation.idp, level="STORK-QAA-Level-4", niveau="normal", person=Person(bpk2="bPK2-CAP")
    )
    assert (
        finish(login.browser, post_acs(login.browser, login.acs_url, login.saml_response)).status_code == 302
    )
    assert ExternalIdentity.objects.get(subject="bPK2-CAP").level == "substantiell"


@pytest.mark.browser
def test_step_up_in_the_browser_across_sites(page: Page, sp: str, federation: Federation) -> None:
    """Chromium: our site on localhost, the IdP on 127.0.0.1 (another site), cookies SameSite=Lax.

    The IdP's cross-site POST carries none of our cookies; the ACS's 303 to the completion page
    does (a top-level GET), so the login completes in the browser that began it.
    """
    page.goto("/konto/anmelden/niveau/?" + urlencode({"niveau": "substantiell", "next": ACCOUNT}))
    page.get_by_role("link", name="Test-BundID").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test-BundID: Anmeldung")
    page.get_by_label("bpk2").fill("bPK2-BROWSER")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Weiter").click()
    expect(page).to_have_url(f"{sp}{ACCOUNT}")
    identity = ExternalIdentity.objects.get(subject="bPK2-BROWSER")
    assert identity.level == "substantiell"
    session_key = next(c["value"] for c in page.context.cookies() if c["name"] == "sessionid")
    assert SessionStore(session_key=session_key).load()[SESSION_KEY]["method"] == METHOD


@pytest.mark.browser
def test_level_too_low_page_in_the_browser(page: Page, sp: str, federation: Federation) -> None:
    page.goto(f"/konto/anmelden/saml/{NAME}/?" + urlencode({"niveau": "hoch", "next": ACCOUNT}))
    page.get_by_label("bpk2").fill("bPK2-BROWSER-LOW")
    page.get_by_label("Vertrauensniveau").select_option("STORK-QAA-Level-3")
    page.get_by_role("button", name="Anmelden").click()
    page.get_by_role("button", name="Weiter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kein Zugriff")
    expect(page.locator(".lead")).to_contain_text("Online-Ausweisfunktion")
    assert_accessible(page)
    assert not ExternalIdentity.objects.filter(subject="bPK2-BROWSER-LOW").exists()
