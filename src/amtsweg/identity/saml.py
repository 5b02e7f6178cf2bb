"""SAML 2.0 login in the shape of BundID: a service provider (pysaml2 + xmlsec1) per configured IdP.

Web SSO, SP-initiated: the AuthnRequest goes out signed over the HTTP-Redirect binding and asks
for a STORK-QAA level with ``Comparison="minimum"`` (as BundID expects it); the Response comes back
over HTTP-POST to the assertion consumer service. pysaml2 verifies the signatures against the IdP
certificate from its metadata only (never a certificate in the message), the audience, the
validity times and that ``InResponseTo`` names a request we sent and have not used up. The
attributes are read by the URNs BundID sends (see ``BUNDID_ATTRIBUTES``) and the level comes from
``EID-CITIZEN-QAA-LEVEL``; the subject is the bPK2 (else a persistent NameID).

Pending requests live in the shared cache (not the session): see ``identity.views_saml`` for why.
Providers come from ``settings.IDENTITY_SAML_PROVIDERS``; each becomes the login method
``saml:<name>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, ExtensionElement  # type: ignore[import-untyped]
from saml2.client import Saml2Client  # type: ignore[import-untyped]
from saml2.config import SPConfig  # type: ignore[import-untyped]
from saml2.metadata import create_metadata_string  # type: ignore[import-untyped]
from saml2.saml import NAMEID_FORMAT_PERSISTENT, AuthnContextClassRef  # type: ignore[import-untyped]
from saml2.samlp import Extensions, RequestedAuthnContext  # type: ignore[import-untyped]
from saml2.sigver import get_xmlsec_binary  # type: ignore[import-untyped]
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256  # type: ignore[import-untyped]

from . import methods
from .levels import LEVELS, TrustLevel, from_stork, rank

logger = logging.getLogger(__name__)
# pysaml2 logs NameIDs and attribute values at INFO/DEBUG: never let them into our logs.
logging.getLogger("saml2").setLevel(logging.WARNING)

KEY_PREFIX = "saml:"
BROWSER_COOKIE = "amtsweg_saml"
PENDING_SECONDS = 600  # from the redirect to the IdP until its answer (BundID + eID card take time)
RESULT_SECONDS = 120  # from the verified answer to the login in the browser (one redirect)
AKDB_NS = "https://www.akdb.de/request/2018/09"  # BundID's request extension (RequestedAttributes)
CLASSIC_UI_NS = "https://www.akdb.de/request/2018/09/classic-ui/v1"

# The attribute names BundID sends (SAML attribute names in URI format, "urn:oid:…"). Sources:
# - BundID/AKDB request extension and STORK-QAA RequestedAuthnContext: README of
#   github.com/opdt/keycloak-extension-bundid (IT-Systemhaus der Bundesagentur für Arbeit);
# - the attribute list (bPK2 1.3.6.1.4.1.25484.494450.3, EID-CITIZEN-QAA-LEVEL
#   1.2.40.0.10.2.1.1.261.94, birthdate 1.2.40.0.10.2.1.1.55, postalAddress 2.5.4.16, postalCode
#   2.5.4.17, localityName 2.5.4.7, country 1.2.40.0.10.2.1.1.225599, mail 0.9.2342.19200300.100.1.3):
#   github.com/aivot-digital/keycloak-egov-plugins, enum BundIdAttribute;
# - 2.5.4.x are the X.520 attribute types (givenName 2.5.4.42, surname 2.5.4.4); the
#   1.2.40.0.10.2.1.1.* arc is the Austrian PVP attribute profile BundID adopted (ID Austria docs).
# BundID sends the birth date under the PVP OID; 1.3.6.1.5.5.7.9.1 (RFC 3739 dateOfBirth) is read
# too so IdPs following the eIDAS/RFC profile work without an override.
BUNDID_ATTRIBUTES: dict[str, str] = {
    "urn:oid:2.5.4.42": "given_name",
    "urn:oid:2.5.4.4": "family_name",
    "urn:oid:1.2.40.0.10.2.1.1.55": "birth_date",
    "urn:oid:1.3.6.1.5.5.7.9.1": "birth_date",
    "urn:oid:2.5.4.16": "street",
    "urn:oid:2.5.4.17": "postal_code",
    "urn:oid:2.5.4.7": "city",
    "urn:oid:1.2.40.0.10.2.1.1.225599": "country",
    "urn:oid:0.9.2342.19200300.100.1.3": "email",
    "urn:oid:1.3.6.1.4.1.25484.494450.3": "bpk2",
    "urn:oid:1.2.40.0.10.2.1.1.261.94": "level",
}
# Our names an attribute map may target: the stored attributes plus the two that steer the login.
TARGETS = frozenset(
    {"given_name", "family_name", "birth_date", "street", "postal_code", "city", "country", "email"}
    | {"bpk2", "level"}
)
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")


class SamlLoginError(Exception):
    """The IdP's answer is not acceptable; ``reason`` is a short code for the log (no personal data)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message  # German, shown to the citizen


class SamlLevelTooLow(SamlLoginError):
    """The IdP proved a lower level than the page that sent the citizen needs."""


@dataclass(frozen=True)
class SamlProvider:
    """One configured SAML identity provider (an entry of ``IDENTITY_SAML_PROVIDERS``)."""

    name: str
    label: str
    sp_entity_id: str
    sp_key_file: str
    sp_cert_file: str
    metadata_file: str = ""
    metadata_xml: str = ""
    idp_entity_id: str = ""
    max_level: TrustLevel = TrustLevel.HIGH
    attribute_map: Mapping[str, str] = field(default_factory=dict)
    description: str = ""
    want_response_signed: bool = True
    want_assertions_signed: bool = True
    clock_skew_seconds: int = 60
    online_service_id: str = ""  # BundID DisplayInformation (OnlineServiceId), optional
    organization_display_name: str = ""

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.name

    @classmethod
    def from_setting(cls, entry: Mapping[str, Any]) -> SamlProvider:
        def text(key: str, default: str = "") -> str:
            value = entry.get(key, default)
            if not isinstance(value, str):
                raise ImproperlyConfigured(f"IDENTITY_SAML_PROVIDERS: {key!r} must be a string")
            return value

        name = text("name")
        if not _NAME.match(name):
            raise ImproperlyConfigured(f"IDENTITY_SAML_PROVIDERS: invalid name {name!r} (a-z, 0-9, -)")
        for required in ("sp_entity_id", "sp_key_file", "sp_cert_file"):
            if not text(required):
                raise ImproperlyConfigured(f"IDENTITY_SAML_PROVIDERS[{name}]: {required!r} is required")
        if bool(text("metadata_file")) == bool(text("metadata_xml")):
            raise ImproperlyConfigured(
                f"IDENTITY_SAML_PROVIDERS[{name}]: give exactly one of 'metadata_file', 'metadata_xml'"
            )
        max_level = text("max_level", TrustLevel.HIGH)
        if max_level not in TrustLevel.values or rank(max_level) < rank(TrustLevel.NORMAL):
            raise ImproperlyConfigured(f"IDENTITY_SAML_PROVIDERS[{name}]: invalid max_level {max_level!r}")
        overrides = entry.get("attribute_map", {})
        if not isinstance(overrides, dict) or not all(
            isinstance(k, str) and v in TARGETS for k, v in overrides.items()
        ):
            raise ImproperlyConfigured(
                f"IDENTITY_SAML_PROVIDERS[{name}]: 'attribute_map' maps attribute names to one of "
                f"{sorted(TARGETS)}"
            )
        want_response = bool(entry.get("want_response_signed", True))
        want_assertions = bool(entry.get("want_assertions_signed", True))
        if not (want_response or want_assertions):
            raise ImproperlyConfigured(
                f"IDENTITY_SAML_PROVIDERS[{name}]: the response or the assertion must be signed"
            )
        return cls(
            name=name,
            label=text("label") or name,
            sp_entity_id=text("sp_entity_id"),
            sp_key_file=text("sp_key_file"),
            sp_cert_file=text("sp_cert_file"),
            metadata_file=text("metadata_file"),
            metadata_xml=text("metadata_xml"),
            idp_entity_id=text("idp_entity_id"),
            max_level=TrustLevel(max_level),
            attribute_map={**BUNDID_ATTRIBUTES, **overrides},
            description=text("description"),
            want_response_signed=want_response,
            want_assertions_signed=want_assertions,
            clock_skew_seconds=int(entry.get("clock_skew_seconds", 60)),
            online_service_id=text("online_service_id"),
            organization_display_name=text("organization_display_name"),
        )


def providers() -> list[SamlProvider]:
    """The configured providers (validated: a broken entry fails loudly, it is never skipped)."""
    return [SamlProvider.from_setting(entry) for entry in settings.IDENTITY_SAML_PROVIDERS]


def provider(name: str) -> SamlProvider | None:
    return next((p for p in providers() if p.name == name), None)


# --- pysaml2 configuration -------------------------------------------------------------------

_CONFIGS: dict[tuple[str, ...], Any] = {}
_CONFIGS_LOCK = threading.Lock()


def acs_url(request: HttpRequest, idp: SamlProvider) -> str:
    # The host is one of ALLOWED_HOSTS (Django checks it); behind TLS the proxy header says https.
    return request.build_absolute_uri(reverse("portal:saml_acs", args=[idp.name]))


def _config(idp: SamlProvider, acs: str) -> Any:
    """The pysaml2 SP configuration (metadata parsed once per provider, ACS URL and metadata file)."""
    mtime = str(os.stat(idp.metadata_file).st_mtime_ns) if idp.metadata_file else ""
    cache_key = (json.dumps(idp.__dict__, sort_keys=True, default=str), acs, mtime)
    with _CONFIGS_LOCK:
        found = _CONFIGS.get(cache_key)
        if found is not None:
            return found
        metadata = {"local": [idp.metadata_file]} if idp.metadata_file else {"inline": [idp.metadata_xml]}
        config = SPConfig()
        config.load(
            {
                "entityid": idp.sp_entity_id,
                "xmlsec_binary": get_xmlsec_binary(["/usr/bin", "/usr/local/bin"]),
                "key_file": idp.sp_key_file,
                "cert_file": idp.sp_cert_file,
                # BundID encrypts assertions to the SP's certificate: decrypt with the same pair.
                "encryption_keypairs": [{"key_file": idp.sp_key_file, "cert_file": idp.sp_cert_file}],
                "metadata": metadata,
                "accepted_time_diff": idp.clock_skew_seconds,
                "allow_unknown_attributes": True,
                "only_use_keys_in_metadata": True,
                "service": {
                    "sp": {
                        "name": idp.label,
                        "endpoints": {"assertion_consumer_service": [(acs, BINDING_HTTP_POST)]},
                        "allow_unsolicited": False,
                        "authn_requests_signed": True,
                        "want_response_signed": idp.want_response_signed,
                        "want_assertions_signed": idp.want_assertions_signed,
                        "want_assertions_or_response_signed": True,
                        "signing_algorithm": SIG_RSA_SHA256,
                        "digest_algorithm": DIGEST_SHA256,
                    }
                },
            }
        )
        if len(_CONFIGS) > 32:  # settings changed many times (tests): start afresh
            _CONFIGS.clear()
        _CONFIGS[cache_key] = config
        return config


def _client(request: HttpRequest, idp: SamlProvider) -> Any:
    # A client per request: pysaml2 keeps every person it saw in the client's memory otherwise.
    return Saml2Client(config=_config(idp, acs_url(request, idp)))


def _idp_entity_id(idp: SamlProvider, client: Any) -> str:
    if idp.idp_entity_id:
        return idp.idp_entity_id
    entities = list(client.metadata.identity_providers())
    if len(entities) != 1:
        raise ImproperlyConfigured(
            f"IDENTITY_SAML_PROVIDERS[{idp.name}]: {len(entities)} IdPs in the metadata; set 'idp_entity_id'"
        )
    return str(entities[0])


def sp_metadata(request: HttpRequest, idp: SamlProvider) -> str:
    """Our SP metadata for the IdP's administrators (signing/encryption certificate, ACS)."""
    xml = create_metadata_string(None, config=_config(idp, acs_url(request, idp)), valid=24 * 7)
    return xml.decode() if isinstance(xml, bytes) else str(xml)


# --- the login ---------------------------------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _pending_key(request_id: str) -> str:
    return f"saml:pending:{_digest(request_id)}"


def _result_key(token: str) -> str:
    return f"saml:result:{_digest(token)}"


def _akdb_extensions(idp: SamlProvider) -> Any:
    """BundID's request extension: which attributes we want (and, if configured, what to show)."""
    wanted = sorted({oid for oid in idp.attribute_map if oid.startswith("urn:oid:")})
    requested = [
        ExtensionElement(
            "RequestedAttribute", namespace=AKDB_NS, attributes={"Name": oid, "RequiredAttribute": "false"}
        )
        for oid in wanted
    ]
    children = [ExtensionElement("RequestedAttributes", namespace=AKDB_NS, children=requested)]
    if idp.online_service_id or idp.organization_display_name:
        version = ExtensionElement(
            "Version",
            namespace=CLASSIC_UI_NS,
            children=[
                ExtensionElement(
                    "OrganizationDisplayName", namespace=CLASSIC_UI_NS, text=idp.organization_display_name
                ),
                ExtensionElement("OnlineServiceId", namespace=CLASSIC_UI_NS, text=idp.online_service_id),
            ],
        )
        children.append(ExtensionElement("DisplayInformation", namespace=AKDB_NS, children=[version]))
    request = ExtensionElement(
        "AuthenticationRequest", namespace=AKDB_NS, attributes={"Version": "2"}, children=children
    )
    return Extensions(extension_elements=[request])


@dataclass(frozen=True)
class Begin:
    """Where to send the browser and the secret that binds the answer to this browser (a cookie)."""

    redirect_url: str
    browser_secret: str


def login_begin(request: HttpRequest, *, idp: SamlProvider, next_url: str, needed: TrustLevel) -> Begin:
    """Create the signed AuthnRequest (HTTP-Redirect) asking for at least ``needed``; remember it."""
    client = _client(request, idp)
    asked = needed if rank(needed) >= rank(TrustLevel.NORMAL) else TrustLevel.NORMAL
    context = RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=LEVELS[asked].stork)], comparison="minimum"
    )
    request_id, info = client.prepare_for_authenticate(
        entityid=_idp_entity_id(idp, client),
        binding=BINDING_HTTP_REDIRECT,
        sign=True,
        sigalg=SIG_RSA_SHA256,
        digest_alg=DIGEST_SHA256,
        requested_authn_context=context,
        extensions=_akdb_extensions(idp),
    )  # no NameIDPolicy: BundID names the person by the bPK2 attribute, the NameID is transient
    secret = secrets.token_urlsafe(32)
    cache.set(
        _pending_key(request_id),
        {"provider": idp.name, "next": next_url, "needed": str(needed), "browser": _digest(secret)},
        timeout=PENDING_SECONDS,
    )
    location = dict(info["headers"])["Location"]
    return Begin(redirect_url=str(location), browser_secret=secret)


class _Pending(Mapping[str, dict[str, str]]):
    """pysaml2's "outstanding queries", read from the shared cache (only ids we issued are in it)."""

    def __init__(self, idp: SamlProvider) -> None:
        self.idp = idp

    def __getitem__(self, request_id: str) -> dict[str, str]:
        found = cache.get(_pending_key(str(request_id))) if request_id else None
        if not isinstance(found, dict) or found.get("provider") != self.idp.name:
            raise KeyError(request_id)
        return found

    def __iter__(self) -> Iterator[str]:
        return iter(())  # never enumerated by pysaml2; the ids are only looked up

    def __len__(self) -> int:
        return 1  # "there are outstanding queries": pysaml2 treats an empty mapping as none

    def keys(self) -> Any:  # pysaml2 logs ``outstanding.keys()`` in one error path
        return []


def _reason(error: Exception) -> str:
    name = type(error).__name__
    known = {
        "UnsolicitedResponse": "unsolicited",
        "SignatureError": "signature",
        "IncorrectlySigned": "signature",
        "BadSignature": "signature",
        "MissingKey": "signature",
        "ResponseLifetimeExceed": "expired",
        "ToEarly": "not-yet-valid",
        "StatusError": "idp-status",
    }
    if name.startswith("Status"):
        return "idp-status"
    return known.get(name, "invalid")


INVALID = _("Die Antwort des Anmeldedienstes konnte nicht bestätigt werden. Bitte melden Sie sich erneut an.")


def response_verify(request: HttpRequest, *, idp: SamlProvider, saml_response: str) -> str:
    """Verify the IdP's POSTed ``SAMLResponse`` and keep what it proves for the browser's next step.

    Returns a one-time token for ``login_complete``. The pending request is used up here, so the
    same response (or another one to the same request) is refused the second time.
    """
    if not saml_response or len(saml_response) > 512_000:
        raise SamlLoginError("missing", str(INVALID))
    client = _client(request, idp)
    try:
        answer = client.parse_authn_request_response(
            saml_response, BINDING_HTTP_POST, outstanding=_Pending(idp)
        )
    except Exception as error:  # pysaml2 raises many unrelated types; every one is a refusal
        raise SamlLoginError(_reason(error), str(INVALID)) from error
    if answer is None or answer.assertion is None:
        raise SamlLoginError("invalid", str(INVALID))
    if answer.issuer() != _idp_entity_id(idp, client):
        raise SamlLoginError("issuer", str(INVALID))
    pending = answer.came_from
    if not isinstance(pending, dict) or not cache.delete(_pending_key(str(answer.in_response_to))):
        raise SamlLoginError("replay", str(INVALID))  # used a moment ago by the same or another POST
    values = _attributes(idp, answer.assertion)
    level = _level(idp, values.pop("level", ""), answer)
    subject = values.pop("bpk2", "") or _persistent_name_id(answer)
    if not subject:
        raise SamlLoginError("no-subject", str(INVALID))
    token = secrets.token_urlsafe(32)
    cache.set(
        _result_key(token),
        {
            **pending,
            "issuer": _idp_entity_id(idp, client),
            "subject": subject,
            "level": str(level),
            "attributes": values,
        },
        timeout=RESULT_SECONDS,
    )
    return token


def _attributes(idp: SamlProvider, assertion: Any) -> dict[str, str]:
    values: dict[str, str] = {}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            target = idp.attribute_map.get(re.sub(r"\s+", "", attribute.name or ""))
            texts = [str(value.text).strip() for value in attribute.attribute_value if value.text]
            if target and texts and target not in values:
                values[target] = texts[0]
    if "birth_date" in values:
        values["birth_date"] = _iso_date(values["birth_date"])
    return {key: value for key, value in values.items() if value}


def _iso_date(value: str) -> str:
    """``1964-08-12``, ``19640812`` or a GeneralizedTime as ISO; an unreadable date is dropped."""
    digits = re.sub(r"[^0-9]", "", value)[:8]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8])).isoformat()
    except ValueError:
        return ""


def _level(idp: SamlProvider, attribute: str, answer: Any) -> TrustLevel:
    level = from_stork(attribute) if attribute else None
    if level is None:  # no EID-CITIZEN-QAA-LEVEL: the AuthnContextClassRef of the statement
        refs = [str(class_ref) for class_ref, _authorities, _instant in answer.authn_info() if class_ref]
        level = next((lvl for lvl in map(from_stork, refs) if lvl is not None), None)
    if level is None:
        raise SamlLoginError("no-level", str(INVALID))
    return level if rank(level) <= rank(idp.max_level) else idp.max_level


def _persistent_name_id(answer: Any) -> str:
    name_id = answer.name_id
    if name_id is not None and name_id.format == NAMEID_FORMAT_PERSISTENT and name_id.text:
        return str(name_id.text).strip()
    return ""  # a transient NameID names nobody twice: not an account key


@dataclass(frozen=True)
class Result:
    """What a verified answer proved, ready for ``identity.services.external_login``."""

    provider: str
    issuer: str
    subject: str
    level: TrustLevel
    needed: TrustLevel
    next_url: str
    attributes: dict[str, str]


def result_take(*, idp: SamlProvider, token: str, browser_secret: str) -> Result:
    """The verified answer for ``token`` (once), if this browser started the login."""
    key = _result_key(token) if token else ""
    stored = cache.get(key) if key else None
    if not isinstance(stored, dict) or stored.get("provider") != idp.name or not cache.delete(key):
        raise SamlLoginError("result-unknown", str(INVALID))
    if not browser_secret or not hmac.compare_digest(_digest(browser_secret), str(stored["browser"])):
        raise SamlLoginError(
            "browser",
            str(
                _(
                    "Die Anmeldung wurde nicht in diesem Browser begonnen oder Cookies sind gesperrt. "
                    "Bitte beginnen Sie die Anmeldung erneut."
                )
            ),
        )
    needed = TrustLevel(stored["needed"]) if stored["needed"] in TrustLevel.values else TrustLevel.HIGH
    level = TrustLevel(stored["level"])
    if rank(level) < rank(needed):
        raise SamlLevelTooLow(
            "level-too-low",
            str(
                _(
                    "Ihre Anmeldung hat das Vertrauensniveau „%(have)s“ nachgewiesen; diese Leistung "
                    "braucht „%(need)s“. Bitte melden Sie sich mit einem stärkeren Verfahren an, z. B. "
                    "mit der Online-Ausweisfunktion."
                )
            )
            % {"have": level.label, "need": needed.label},
        )
    return Result(
        provider=idp.name,
        issuer=str(stored["issuer"]),
        subject=str(stored["subject"]),
        level=level,
        needed=needed,
        next_url=str(stored["next"]),
        attributes=dict(stored["attributes"]),
    )


# --- the login methods -------------------------------------------------------------------------


def start_url(name: str, next_url: str, needed: TrustLevel) -> str:
    query = {key: value for key, value in (("next", next_url), ("niveau", str(needed))) if value}
    return reverse("portal:saml_start", args=[name]) + "?" + urlencode(query)


def _starter(name: str) -> Callable[[str, TrustLevel], str]:
    return lambda next_url, needed: start_url(name, next_url, needed)


def _methods() -> list[methods.LoginMethod]:
    return [
        methods.LoginMethod(
            key=idp.key,
            label=idp.label,
            level=idp.max_level,
            start=_starter(idp.name),
            description=idp.description,
        )
        for idp in providers()
    ]


def register_methods() -> None:
    """Register ``saml:<name>`` for every configured provider (read anew on every listing)."""
    methods.register("saml", _methods)
