"""A SAML 2.0 identity provider in the shape of BundID for the tests (pysaml2's IdP side, wsgiref).

It runs on 127.0.0.1 in a thread, with its own key and self-signed certificate, and trusts the
SP only through the SP metadata it is given (a file). Its pages work like BundID's from the
browser's side: ``/sso`` takes the signed AuthnRequest over HTTP-Redirect (the signature is
checked against the SP metadata) and shows a login form where the test chooses the person and
the level (standing in for the eID card); submitting it returns a page with a form that POSTs
the signed ``SAMLResponse`` to the SP's assertion consumer service. ``respond`` builds such
responses directly, also broken ones (expired, unsolicited, signed with a foreign key).
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT, samlp  # type: ignore[import-untyped]
from saml2.config import IdPConfig  # type: ignore[import-untyped]
from saml2.metadata import create_metadata_string  # type: ignore[import-untyped]
from saml2.saml import (  # type: ignore[import-untyped]
    NAME_FORMAT_URI,
    NAMEID_FORMAT_TRANSIENT,
    Attribute,
    AttributeStatement,
    AttributeValue,
    NameID,
)
from saml2.server import Server  # type: ignore[import-untyped]
from saml2.sigver import pre_signature_part  # type: ignore[import-untyped]
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256  # type: ignore[import-untyped]

# BundID's attribute names (see amtsweg.identity.saml.BUNDID_ATTRIBUTES for the sources).
OID = {
    "given_name": "urn:oid:2.5.4.42",
    "family_name": "urn:oid:2.5.4.4",
    "birth_date": "urn:oid:1.2.40.0.10.2.1.1.55",
    "street": "urn:oid:2.5.4.16",
    "postal_code": "urn:oid:2.5.4.17",
    "city": "urn:oid:2.5.4.7",
    "country": "urn:oid:1.2.40.0.10.2.1.1.225599",
    "email": "urn:oid:0.9.2342.19200300.100.1.3",
    "bpk2": "urn:oid:1.3.6.1.4.1.25484.494450.3",
    "level": "urn:oid:1.2.40.0.10.2.1.1.261.94",
}
FRIENDLY = {
    "given_name": "givenName",
    "family_name": "surname",
    "birth_date": "birthdate",
    "street": "postalAddress",
    "postal_code": "postalCode",
    "city": "localityName",
    "country": "country",
    "email": "mail",
    "bpk2": "bPK2",
    "level": "EID-CITIZEN-QAA-LEVEL",
}


@dataclass(frozen=True)
class KeyPair:
    key_file: Path
    cert_file: Path

    @property
    def cert_base64(self) -> str:
        pem = self.cert_file.read_text()
        return "".join(line for line in pem.splitlines() if "-----" not in line)


def make_key_pair(directory: Path, name: str) -> KeyPair:
    """An RSA key and a self-signed certificate (as an IdP or SP gets them for a test federation)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    directory.mkdir(parents=True, exist_ok=True)
    pair = KeyPair(directory / f"{name}.key", directory / f"{name}.crt")
    pair.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    pair.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return pair


@dataclass(frozen=True)
class Person:
    """Who the IdP asserts, with the attributes BundID would send."""

    bpk2: str = "bPK2-TEST-0001"
    given_name: str = "Erika"
    family_name: str = "Mustermann"
    birth_date: str = "1964-08-12"
    street: str = "Heidestraße 17"
    postal_code: str = "41460"
    city: str = "Neuss"
    country: str = "D"
    email: str = ""


@dataclass
class Received:
    """An AuthnRequest the IdP accepted (for the tests to inspect)."""

    id: str
    sp_entity_id: str
    acs_url: str
    relay_state: str
    requested_class_refs: list[str]
    comparison: str
    xml: str


@dataclass
class TestIdP:
    """The IdP: ``start()`` it, give it the SP metadata with ``trust_sp``, ``stop()`` it."""

    __test__ = False  # not a pytest test class

    directory: Path
    keys: KeyPair = field(init=False)
    base_url: str = field(init=False)
    entity_id: str = field(init=False)
    received: dict[str, Received] = field(default_factory=dict, init=False)
    _server: WSGIServer = field(init=False)
    _idp: Any = field(default=None, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.keys = make_key_pair(self.directory, "idp")
        self._server = make_server("127.0.0.1", 0, self._app, handler_class=_QuietHandler)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}"
        self.entity_id = f"{self.base_url}/saml/metadata"

    # --- configuration ----------------------------------------------------------------------

    def _config(self, sp_metadata_file: Path | None) -> Any:
        config = IdPConfig()
        config.load(
            {
                "entityid": self.entity_id,
                "key_file": str(self.keys.key_file),
                "cert_file": str(self.keys.cert_file),
                "metadata": {"local": [str(sp_metadata_file)]} if sp_metadata_file else {},
                "accepted_time_diff": 60,
                "service": {
                    "idp": {
                        "name": "Test-BundID",
                        "endpoints": {
                            "single_sign_on_service": [(f"{self.base_url}/sso", BINDING_HTTP_REDIRECT)],
                        },
                        "want_authn_requests_signed": True,
                        "policy": {"default": {"lifetime": {"minutes": 5}}},
                        "name_id_format": [NAMEID_FORMAT_TRANSIENT],
                    }
                },
            }
        )
        return config

    def metadata_xml(self) -> str:
        """The IdP metadata the SP is configured with (signing certificate, SSO endpoint)."""
        xml = create_metadata_string(None, config=self._config(None), valid=24)
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def trust_sp(self, sp_metadata_file: Path) -> None:
        self._idp = Server(config=self._config(sp_metadata_file))

    def start(self) -> TestIdP:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- the protocol ----------------------------------------------------------------------

    def receive(self, query: dict[str, str]) -> Received:
        """Parse and verify a signed AuthnRequest (HTTP-Redirect query parameters)."""
        parsed = self._idp.parse_authn_request(
            query["SAMLRequest"],
            BINDING_HTTP_REDIRECT,
            relay_state=query.get("RelayState"),
            sigalg=query.get("SigAlg"),
            signature=query.get("Signature"),
        )
        message = parsed.message
        context = message.requested_authn_context
        received = Received(
            id=message.id,
            sp_entity_id=message.issuer.text,
            acs_url=message.assertion_consumer_service_url,
            relay_state=query.get("RelayState", ""),
            requested_class_refs=[ref.text for ref in context.authn_context_class_ref] if context else [],
            comparison=context.comparison if context else "",
            xml=parsed.xmlstr.decode() if isinstance(parsed.xmlstr, bytes) else str(parsed.xmlstr),
        )
        self.received[received.id] = received
        return received

    def respond(
        self,
        request: Received | None,
        person: Person,
        level: str,
        *,
        acs_url: str = "",
        sp_entity_id: str = "",
        shift: dt.timedelta = dt.timedelta(0),
        signed_by: KeyPair | None = None,
        sign_response: bool = True,
        sign_assertion: bool = True,
        audience: str = "",
    ) -> str:
        """A base64 ``SAMLResponse`` asserting ``person`` at ``level`` (``STORK-QAA-Level-N``).

        ``request=None`` makes an unsolicited response; ``shift`` moves every timestamp (an
        expired assertion); ``signed_by`` signs with another key than the one in the metadata;
        ``audience`` names another SP in the conditions.
        """
        destination = acs_url or (request.acs_url if request else "")
        sp = sp_entity_id or (request.sp_entity_id if request else "")
        xml = self._idp.create_authn_response(
            identity={},
            in_response_to=request.id if request else None,
            destination=destination,
            sp_entity_id=sp,
            name_id=NameID(format=NAMEID_FORMAT_TRANSIENT, text=secrets.token_hex(16)),
            authn={"class_ref": level, "authn_auth": self.entity_id},
            sign_response=False,
            sign_assertion=False,
        )
        response = samlp.response_from_string(str(xml))
        assertion = response.assertion[0]
        values = {**{key: getattr(person, key) for key in OID if key != "level"}, "level": level}
        assertion.attribute_statement = [
            AttributeStatement(
                attribute=[
                    Attribute(
                        name=OID[key],
                        name_format=NAME_FORMAT_URI,
                        friendly_name=FRIENDLY[key],
                        attribute_value=[_string_value(value)],
                    )
                    for key, value in values.items()
                    if value
                ]
            )
        ]
        if audience:
            assertion.conditions.audience_restriction[0].audience[0].text = audience
        if shift:
            _shift_times(response, shift)
        keys = signed_by or self.keys
        if sign_assertion:
            assertion.signature = pre_signature_part(
                ident=assertion.id,
                public_key=keys.cert_base64,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        if sign_response:
            response.signature = pre_signature_part(
                ident=response.id,
                public_key=keys.cert_base64,
                sign_alg=SIG_RSA_SHA256,
                digest_alg=DIGEST_SHA256,
            )
        signed = str(response)
        if sign_assertion:
            signed = self._idp.sec.sign_statement(
                signed,
                "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                key_file=str(keys.key_file),
                node_id=assertion.id,
            )
        if sign_response:
            signed = self._idp.sec.sign_statement(
                signed,
                "urn:oasis:names:tc:SAML:2.0:protocol:Response",
                key_file=str(keys.key_file),
                node_id=response.id,
            )
        return base64.b64encode(signed.encode() if isinstance(signed, str) else signed).decode()

    # --- the pages -------------------------------------------------------------------------

    def _app(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        try:
            if path == "/sso" and environ["REQUEST_METHOD"] == "GET":
                query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                return _page(start_response, "200 OK", self._login_form(self.receive(query)))
            if path == "/login" and environ["REQUEST_METHOD"] == "POST":
                size = int(environ.get("CONTENT_LENGTH") or 0)
                form = {k: v[0] for k, v in parse_qs(environ["wsgi.input"].read(size).decode()).items()}
                request = self.received[form["request"]]
                person = Person(**{key: form.get(key, "") for key in Person.__dataclass_fields__})
                answer = self.respond(request, person, form["level"])
                return _page(start_response, "200 OK", _post_form(request, answer))
        except Exception as error:  # a refused request: show it like an IdP error page
            return _page(
                start_response, "400 Bad Request", f"<h1>Fehler</h1><p>{html.escape(repr(error))}</p>"
            )
        return _page(start_response, "404 Not Found", "<h1>Nicht gefunden</h1>")

    def _login_form(self, request: Received) -> str:
        fields = "".join(
            f'<p><label for="{key}">{key}</label> '
            f'<input id="{key}" name="{key}" value="{html.escape(value)}"></p>'
            for key, value in Person().__dict__.items()
        )
        wanted = request.requested_class_refs[0] if request.requested_class_refs else "STORK-QAA-Level-1"
        levels = "".join(
            f"<option{' selected' if name == wanted else ''}>{name}</option>"
            for name in (f"STORK-QAA-Level-{n}" for n in (1, 2, 3, 4))
        )
        return (
            "<h1>Test-BundID: Anmeldung</h1>"
            f'<form method="post" action="/login"><input type="hidden" name="request" value="{request.id}">'
            f'{fields}<p><label for="level">Vertrauensniveau</label> <select id="level" name="level">{levels}'
            "</select></p><button>Anmelden</button></form>"
        )


def _post_form(request: Received, answer: str) -> str:
    return (
        "<h1>Weiter zum Dienst</h1>"
        f'<form method="post" action="{html.escape(request.acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{answer}">'
        f'<input type="hidden" name="RelayState" value="{html.escape(request.relay_state)}">'
        "<button>Weiter</button></form>"
    )


def _page(start_response: Any, status: str, body: str) -> list[bytes]:
    document = (
        f'<!doctype html><html lang="de"><head><title>Test-BundID</title></head><body>{body}</body></html>'
    )
    start_response(status, [("Content-Type", "text/html; charset=utf-8")])
    return [document.encode()]


def _string_value(value: str) -> Any:
    attribute_value = AttributeValue()
    attribute_value.set_text(value)
    return attribute_value


def _shift_times(response: Any, shift: dt.timedelta) -> None:
    def moved(stamp: str | None) -> str | None:
        if not stamp:
            return stamp
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")) + shift
        return when.strftime("%Y-%m-%dT%H:%M:%SZ")

    response.issue_instant = moved(response.issue_instant)
    for assertion in response.assertion:
        assertion.issue_instant = moved(assertion.issue_instant)
        if assertion.conditions:
            assertion.conditions.not_before = moved(assertion.conditions.not_before)
            assertion.conditions.not_on_or_after = moved(assertion.conditions.not_on_or_after)
        for confirmation in assertion.subject.subject_confirmation:
            data = confirmation.subject_confirmation_data
            data.not_on_or_after = moved(data.not_on_or_after)
            data.not_before = moved(data.not_before)
        for statement in assertion.authn_statement:
            statement.authn_instant = moved(statement.authn_instant)


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass
