"""OpenID Connect login: a relying party (authorization code flow with PKCE) per configured issuer.

Each entry of ``settings.IDENTITY_OIDC_PROVIDERS`` becomes the login method ``oidc:<name>``. The
flow: discovery from ``<issuer>/.well-known/openid-configuration`` (the document must name exactly
that issuer), a redirect with ``state``, ``nonce`` and a PKCE S256 challenge (all three kept in the
session, one entry per login in progress), then the callback: the ``state`` is used up (a second
callback with it is refused), the code is exchanged at the token endpoint, and the ID token's
signature is checked against the issuer's JWKS (Authlib's ``joserfc``) along with ``iss``, ``aud``,
``azp``, ``exp``, ``iat`` and ``nonce``. Names and address come from the ID token and, where the
provider has one, the userinfo endpoint (whose ``sub`` must match). The level is read from the ID
token's ``acr`` only, through the provider's ``levels`` map: an ``acr`` not in the map is refused
unless the provider names a ``default_level``.

Discovery documents and key sets are cached briefly in the shared cache; a token signed with a key
id we do not know yet makes us fetch the key set once more (the provider rotated its keys). The
configuration (``IDENTITY_OIDC_PROVIDERS``) is read in ``identity.oidc_config``.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

import requests
from authlib.integrations.base_client import OAuthError  # type: ignore[import-untyped]
from authlib.integrations.requests_client import OAuth2Session  # type: ignore[import-untyped]
from django.core.cache import cache
from django.http import HttpRequest, QueryDict
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet

from . import methods
from .levels import TrustLevel, describe, rank, satisfies
from .oidc_config import KEY_PREFIX, OidcProvider, provider, providers

__all__ = ["KEY_PREFIX", "OidcProvider", "provider", "providers", "register_methods"]

logger = logging.getLogger(__name__)

SESSION_KEY = "amtsweg_oidc"  # state → the login in progress (nonce, PKCE verifier, next, level)
PENDING_SECONDS = 900  # from the redirect to the provider until its answer (an eID check takes time)
PENDING_PER_SESSION = 5  # logins in progress per browser (tabs); the oldest is dropped beyond that
METADATA_SECONDS = 300  # discovery document and key set, in the shared cache
# Asymmetric signatures only: "none" never, and HS256 would make the client secret a signing key.
SIGNING_ALGORITHMS = (
    "RS256",
    "RS384",
    "RS512",
    "PS256",
    "PS384",
    "PS512",
    "ES256",
    "ES384",
    "ES512",
    "EdDSA",
)

# --- the login method -------------------------------------------------------------------------


def start_url(provider: OidcProvider, next_url: str, needed: TrustLevel) -> str:
    query = {"next": next_url} if next_url else {}
    if rank(needed) > rank(TrustLevel.NORMAL):
        query["niveau"] = needed.value
    return reverse("portal:oidc_start", args=[provider.name]) + ("?" + urlencode(query) if query else "")


def _methods() -> list[methods.LoginMethod]:
    found: list[methods.LoginMethod] = []
    for configured in providers():

        def start(next_url: str, needed: TrustLevel, _provider: OidcProvider = configured) -> str:
            return start_url(_provider, next_url, needed)

        description: str | Promise = configured.description or _("Anmeldung über %(label)s") % {
            "label": configured.label
        }
        found.append(
            methods.LoginMethod(
                key=configured.key,
                label=configured.label,
                level=configured.max_level,
                start=start,
                description=description,
            )
        )
    return found


def register_methods() -> None:
    methods.register("oidc", _methods)


# --- errors -----------------------------------------------------------------------------------


class OidcLoginError(Exception):
    """A login that cannot go on; ``reason`` is logged (never personal data), ``message`` shown."""

    status = 400

    def __init__(self, reason: str, message: str | Promise) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message


class ProviderUnavailable(OidcLoginError):
    status = 502


class LevelRefused(OidcLoginError):
    """The provider proved a level that is unknown to us or below what the page needs."""

    status = 403

    def __init__(
        self,
        reason: str,
        message: str | Promise,
        *,
        proven: TrustLevel | None,
        needed: TrustLevel,
        next_url: str = "",
    ) -> None:
        super().__init__(reason, message)
        self.proven = proven
        self.needed = needed
        self.next_url = next_url  # where the person was going (for "choose another method")


_REFUSED = _(
    "Die Antwort des Anmeldedienstes konnte nicht bestätigt werden. Sie sind nicht angemeldet. "
    "Bitte beginnen Sie die Anmeldung noch einmal."
)
_UNAVAILABLE = _(
    "Der Anmeldedienst ist zurzeit nicht erreichbar. Bitte versuchen Sie es später noch einmal oder "
    "wählen Sie ein anderes Anmeldeverfahren."
)


# --- provider metadata ------------------------------------------------------------------------


def _cache_key(kind: str, value: str) -> str:
    return f"oidc:{kind}:{hashlib.sha256(value.encode()).hexdigest()[:32]}"


def _get_json(url: str, *, timeout: float, what: str) -> dict[str, Any]:
    try:
        answer = requests.get(url, timeout=timeout, headers={"Accept": "application/json"})
        answer.raise_for_status()
        document = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable(f"{what}-unavailable", _UNAVAILABLE) from error
    if not isinstance(document, dict):
        raise ProviderUnavailable(f"{what}-invalid", _UNAVAILABLE)
    return document


def discovery(provider: OidcProvider) -> dict[str, Any]:
    """The provider's discovery document (cached); it must name exactly the configured issuer."""
    key = _cache_key("discovery", provider.issuer)
    document = cache.get(key)
    if isinstance(document, dict):
        return document
    url = provider.issuer.rstrip("/") + "/.well-known/openid-configuration"
    document = _get_json(url, timeout=provider.timeout, what="discovery")
    # OIDC Discovery 4.3: a document for another issuer would let that issuer sign our logins.
    if document.get("issuer") != provider.issuer:
        raise ProviderUnavailable("discovery-issuer-mismatch", _UNAVAILABLE)
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(needed), str):
            raise ProviderUnavailable("discovery-incomplete", _UNAVAILABLE)
    cache.set(key, document, METADATA_SECONDS)
    return document


def _key_set(provider: OidcProvider, jwks_uri: str, *, fresh: bool = False) -> KeySet:
    key = _cache_key("jwks", jwks_uri)
    document = None if fresh else cache.get(key)
    if not isinstance(document, dict):
        document = _get_json(jwks_uri, timeout=provider.timeout, what="jwks")
        cache.set(key, document, METADATA_SECONDS)
    try:
        return KeySet.import_key_set(document)  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as error:
        raise ProviderUnavailable("jwks-invalid", _UNAVAILABLE) from error


# --- the flow ---------------------------------------------------------------------------------


def _clock() -> int:
    return int(time.time())


def _token_clock() -> int:
    """The time ID tokens are checked against (its own function so tests can move it)."""
    return int(time.time())


def _client(provider: OidcProvider, redirect_uri: str) -> Any:
    return OAuth2Session(
        client_id=provider.client_id,
        client_secret=provider.client_secret,
        scope=provider.scopes,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106  (a method name, not a secret)
        default_timeout=provider.timeout,
    )


def _redirect_uri(request: HttpRequest, provider: OidcProvider) -> str:
    return request.build_absolute_uri(reverse("portal:oidc_callback", args=[provider.name]))


def _pending(request: HttpRequest) -> dict[str, dict[str, Any]]:
    stored = request.session.get(SESSION_KEY)
    now = _clock()
    if not isinstance(stored, dict):
        return {}
    return {
        state: entry
        for state, entry in stored.items()
        if isinstance(entry, dict) and now - int(entry.get("at", 0)) <= PENDING_SECONDS
    }


def login_begin(request: HttpRequest, *, provider: OidcProvider, next_url: str, needed: TrustLevel) -> str:
    """Remember a new login in the session and return the provider's authorization URL."""
    if not satisfies(provider.max_level, needed):
        raise LevelRefused(
            "level-not-offered",
            _("%(label)s kann das Vertrauensniveau %(needed)s nicht nachweisen.")
            % {"label": provider.label, "needed": describe(needed)},
            proven=None,
            needed=needed,
            next_url=next_url,
        )
    document = discovery(provider)
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(64)  # RFC 7636: 43–128 characters
    extra: dict[str, str] = {"nonce": nonce}
    acr_values = provider.acr_request(needed)
    if acr_values:
        extra["acr_values"] = " ".join(acr_values)
    url, _state = _client(provider, _redirect_uri(request, provider)).create_authorization_url(
        document["authorization_endpoint"], state=state, code_verifier=verifier, **extra
    )
    pending = _pending(request)
    # Keep the newest few (open tabs): abandoned logins must not grow the session without bound.
    # Oldest first: entries keep their order of insertion (also through the JSON session store).
    for stale in list(pending)[: max(0, len(pending) - PENDING_PER_SESSION + 1)]:
        del pending[stale]
    pending[state] = {
        "provider": provider.name,
        "nonce": nonce,
        "verifier": verifier,
        "next": next_url,
        "needed": needed.value,
        "at": _clock(),
    }
    request.session[SESSION_KEY] = pending
    return str(url)


@dataclass(frozen=True)
class LoginResult:
    """What the provider proved, verified."""

    issuer: str
    subject: str
    level: TrustLevel
    acr: str
    attributes: dict[str, str]
    organisation: dict[str, str] | None
    next_url: str
    needed: TrustLevel


def _take_state(request: HttpRequest, provider: OidcProvider, state: str) -> dict[str, Any]:
    pending = _pending(request)
    entry = pending.pop(state, None) if state else None
    request.session[SESSION_KEY] = pending  # used up, whatever happens next
    if entry is None or entry.get("provider") != provider.name:
        raise OidcLoginError(
            "state-unknown",
            _(
                "Diese Anmeldung ist abgelaufen oder wurde schon verwendet. Bitte beginnen Sie die "
                "Anmeldung noch einmal."
            ),
        )
    # Two callbacks racing with the same session could both find the state before either saves it.
    if not cache.add(_cache_key("state", state), 1, PENDING_SECONDS):
        raise OidcLoginError("state-replayed", _REFUSED)
    return entry


def id_token_verify(
    provider: OidcProvider, document: dict[str, Any], id_token: str, *, nonce: str
) -> dict[str, Any]:
    """The claims of ``id_token`` after checking signature (issuer's JWKS), iss, aud, azp, exp, iat, nonce."""
    offered = document.get("id_token_signing_alg_values_supported") or ["RS256"]
    algorithms = [alg for alg in SIGNING_ALGORITHMS if alg in offered]
    keys = _key_set(provider, document["jwks_uri"])
    try:
        try:
            token = jwt.decode(id_token, keys, algorithms=algorithms)
        except InvalidKeyIdError:
            token = jwt.decode(
                id_token, _key_set(provider, document["jwks_uri"], fresh=True), algorithms=algorithms
            )
        jwt.JWTClaimsRegistry(
            now=lambda: _token_clock(),
            leeway=provider.clock_skew,
            iss={"essential": True, "value": provider.issuer},
            sub={"essential": True},
            aud={"essential": True, "value": provider.client_id},
            exp={"essential": True},
            iat={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except BadSignatureError as error:
        raise OidcLoginError("id-token-signature", _REFUSED) from error
    except ExpiredTokenError as error:
        raise OidcLoginError("id-token-expired", _REFUSED) from error
    except (InvalidClaimError, MissingClaimError) as error:
        raise OidcLoginError(f"id-token-claim-{error.claim}", _REFUSED) from error
    except (JoseError, ValueError) as error:
        raise OidcLoginError("id-token-invalid", _REFUSED) from error
    claims = token.claims
    audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    # OIDC Core 3.1.3.7: with several audiences, azp must name us.
    if (len(audiences) > 1 or "azp" in claims) and claims.get("azp") != provider.client_id:
        raise OidcLoginError("id-token-claim-azp", _REFUSED)
    if not isinstance(claims["sub"], str):
        raise OidcLoginError("id-token-claim-sub", _REFUSED)
    return claims


def _userinfo(client: Any, document: dict[str, Any], subject: str) -> dict[str, Any]:
    try:
        answer = client.get(document["userinfo_endpoint"], headers={"Accept": "application/json"})
        answer.raise_for_status()
        claims = answer.json()
    except (requests.RequestException, ValueError) as error:
        raise ProviderUnavailable("userinfo-unavailable", _UNAVAILABLE) from error
    # OIDC Core 5.3.2: the userinfo sub must be the ID token's, else the answer is someone else's.
    if not isinstance(claims, dict) or claims.get("sub") != subject:
        raise OidcLoginError("userinfo-subject-mismatch", _REFUSED)
    return claims


def _claim(claims: Mapping[str, Any], path: str) -> str:
    # A claim name may itself contain dots (URI-named claims): the whole name first, then the path.
    value: Any = claims.get(path) if path in claims else claims
    if path not in claims:
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
    return value.strip() if isinstance(value, str) else ""


def _attributes(provider: OidcProvider, claims: Mapping[str, Any]) -> dict[str, str]:
    found = {attribute: _claim(claims, path) for attribute, path in provider.claims.items() if path}
    if found.get("birth_date"):
        try:
            date.fromisoformat(found["birth_date"])
        except ValueError:  # OIDC allows "0000-MM-DD" or a year only: no date to prefill with
            found["birth_date"] = ""
    # An address the provider has not verified must not become our account's confirmed address.
    if claims.get("email_verified") is not True:
        found["email"] = ""
    return {attribute: value for attribute, value in found.items() if value}


def _organisation(provider: OidcProvider, claims: Mapping[str, Any]) -> dict[str, str] | None:
    if not provider.organisation_claims:
        return None
    found = {fieldname: _claim(claims, path) for fieldname, path in provider.organisation_claims.items()}
    return found if found.get("name") and found.get("identifier") else None


def login_complete(request: HttpRequest, *, provider: OidcProvider, params: QueryDict) -> LoginResult:
    """Verify the provider's answer to the login started in this browser (the callback's query)."""
    entry = _take_state(request, provider, params.get("state", ""))
    needed = TrustLevel(entry["needed"]) if entry.get("needed") in TrustLevel.values else TrustLevel.NORMAL
    error = params.get("error")
    if error:
        if error == "access_denied":
            raise OidcLoginError(
                "provider-access-denied",
                _("Die Anmeldung beim Anmeldedienst wurde abgebrochen. Sie sind nicht angemeldet."),
            )
        raise OidcLoginError(f"provider-error-{error[:40]}", _REFUSED)
    document = discovery(provider)
    # RFC 9207: the answer must come from the issuer we sent the person to (mix-up attacks).
    issuer = params.get("iss")
    if issuer is not None and issuer != provider.issuer:
        raise OidcLoginError("issuer-mismatch", _REFUSED)
    if issuer is None and document.get("authorization_response_iss_parameter_supported"):
        raise OidcLoginError("issuer-missing", _REFUSED)
    code = params.get("code", "")
    if not code:
        raise OidcLoginError("code-missing", _REFUSED)
    client = _client(provider, _redirect_uri(request, provider))
    try:
        token = client.fetch_token(
            document["token_endpoint"],
            grant_type="authorization_code",
            code=code,
            code_verifier=entry["verifier"],
        )
    except requests.RequestException as failure:
        raise ProviderUnavailable("token-unavailable", _UNAVAILABLE) from failure
    except (OAuthError, ValueError) as failure:
        raise OidcLoginError("token-refused", _REFUSED) from failure
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise OidcLoginError("id-token-missing", _REFUSED)
    claims = id_token_verify(provider, document, id_token, nonce=str(entry["nonce"]))
    subject = claims["sub"]
    known = dict(claims)
    if provider.userinfo and isinstance(document.get("userinfo_endpoint"), str) and token.get("access_token"):
        known = {**_userinfo(client, document, subject), **claims}
    acr_claim = claims.get("acr")
    acr = acr_claim if isinstance(acr_claim, str) else ""
    level = provider.level_for(acr)
    if level is None:
        logger.warning("OIDC acr not in the level map: provider=%s acr=%s", provider.name, acr[:200])
        raise LevelRefused(
            "acr-unmapped",
            _(
                "Der Anmeldedienst hat ein Vertrauensniveau gemeldet, das hier nicht anerkannt ist. "
                "Sie sind nicht angemeldet."
            ),
            proven=None,
            needed=needed,
            next_url=str(entry.get("next", "")),
        )
    if not satisfies(level, needed):
        raise LevelRefused(
            "level-too-low",
            _(
                "Das Verfahren hat nur Niveau %(proven)s nachgewiesen. Für diese Leistung ist das Niveau "
                "%(needed)s nötig. Sie sind deshalb nicht angemeldet worden; bitte wählen Sie ein "
                "Verfahren mit höherem Niveau."
            )
            % {"proven": describe(level), "needed": describe(needed)},
            proven=level,
            needed=needed,
            next_url=str(entry.get("next", "")),
        )
    return LoginResult(
        issuer=provider.issuer,
        subject=subject,
        level=level,
        acr=acr,
        attributes=_attributes(provider, known),
        organisation=_organisation(provider, known),
        next_url=str(entry.get("next", "")),
        needed=needed,
    )
