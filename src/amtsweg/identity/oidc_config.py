"""Configuration of the OpenID Connect login: the entries of ``settings.IDENTITY_OIDC_PROVIDERS``.

Each entry is validated (pydantic, unknown keys refused) into an ``OidcProvider``; ``manage.py check``
reports a broken entry (``identity.E101``) before the first login would. The fields are documented
in docs/identity.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from .levels import TrustLevel, highest, rank, satisfies
from .services import ATTRIBUTES, ORGANISATION_FIELDS

KEY_PREFIX = "oidc:"

# Our attribute (identity.services.ATTRIBUTES) → the standard claim (OIDC Core 5.1; dots reach into
# the "address" object).
DEFAULT_CLAIMS: dict[str, str] = {
    "given_name": "given_name",
    "family_name": "family_name",
    "birth_date": "birthdate",
    "street": "address.street_address",
    "postal_code": "address.postal_code",
    "city": "address.locality",
    "country": "address.country",
    "email": "email",
}


class ProviderConfig(BaseModel):
    """One entry of ``IDENTITY_OIDC_PROVIDERS`` (documented in docs/identity.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # ExternalIdentity.method holds 40 characters: "oidc:" + name.
    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,34}$")
    label: str = Field(min_length=1)
    description: str = ""
    issuer: str
    client_id: str = Field(min_length=1)
    client_secret: str = ""
    client_secret_file: str = ""
    scopes: str = "openid profile email"
    acr_values: list[str] = []
    levels: dict[str, TrustLevel] = {}
    default_level: TrustLevel | None = None
    claims: dict[str, str] = {}
    organisation_claims: dict[str, str] = {}
    userinfo: bool = True
    timeout: float = Field(default=10.0, gt=0, le=60)
    clock_skew: int = Field(default=60, ge=0, le=300)

    @field_validator("issuer")
    @classmethod
    def _issuer(cls, value: str) -> str:
        parts = urlsplit(value)
        local = parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and local):
            raise ValueError("issuer must be an https URL (http only for 127.0.0.1/localhost)")
        if parts.query or parts.fragment:
            raise ValueError("issuer must not have a query or fragment")
        return value

    @field_validator("scopes")
    @classmethod
    def _scopes(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError("scopes must include openid")
        return value

    @field_validator("acr_values", mode="before")
    @classmethod
    def _acr_values(cls, value: Any) -> Any:
        return value.split() if isinstance(value, str) else value

    @field_validator("claims")
    @classmethod
    def _claims(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(ATTRIBUTES)
        if unknown:
            raise ValueError(f"unknown attributes {sorted(unknown)}; known: {list(ATTRIBUTES)}")
        return value

    @field_validator("organisation_claims")
    @classmethod
    def _organisation_claims(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = set(value) - set(ORGANISATION_FIELDS)
        if unknown:
            raise ValueError(
                f"unknown organisation fields {sorted(unknown)}; known: {list(ORGANISATION_FIELDS)}"
            )
        if value and not {"name", "identifier"} <= set(value):
            raise ValueError("organisation_claims needs at least name and identifier")
        return value

    @model_validator(mode="after")
    def _levels(self) -> ProviderConfig:
        if TrustLevel.NONE in self.levels.values() or self.default_level == TrustLevel.NONE:
            raise ValueError("a login proves at least the level normal")
        if not self.levels and self.default_level is None:
            raise ValueError("levels (acr → level) or default_level is required")
        if self.client_secret and self.client_secret_file:
            raise ValueError("give client_secret or client_secret_file, not both")
        return self


@dataclass(frozen=True)
class OidcProvider:
    """A configured OpenID provider, ready to use."""

    name: str
    label: str
    description: str
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str
    acr_values: tuple[str, ...]
    levels: Mapping[str, TrustLevel]
    default_level: TrustLevel | None
    claims: Mapping[str, str]
    organisation_claims: Mapping[str, str]
    userinfo: bool
    timeout: float
    clock_skew: int

    @property
    def key(self) -> str:
        return KEY_PREFIX + self.name

    @property
    def max_level(self) -> TrustLevel:
        return highest(*self.levels.values(), *([self.default_level] if self.default_level else []))

    def level_for(self, acr: str) -> TrustLevel | None:
        """The level an ``acr`` proves; ``None``: not in the map and no default (refused)."""
        return self.levels.get(acr, self.default_level)

    def acr_request(self, needed: TrustLevel) -> tuple[str, ...]:
        """The ``acr_values`` to ask for: the configured ones, or those of the map that prove ``needed``.

        Always some when there is a map: many providers (oidc-provider among them) put ``acr`` into
        the ID token only when it was asked for, and without it no level can be read. Weakest
        sufficient first (``acr_values`` are in order of preference): the person should not be asked
        for more than the page needs.
        """
        if rank(needed) <= rank(TrustLevel.NORMAL) and self.acr_values:
            return self.acr_values
        enough = [acr for acr, level in self.levels.items() if satisfies(level, needed)]
        return tuple(sorted(enough, key=lambda acr: rank(self.levels[acr])))


def _provider_from(config: ProviderConfig) -> OidcProvider:
    secret = config.client_secret
    if config.client_secret_file:
        secret = Path(config.client_secret_file).read_text(encoding="utf-8").strip()
    return OidcProvider(
        name=config.name,
        label=config.label,
        description=config.description,
        issuer=config.issuer,
        client_id=config.client_id,
        client_secret=secret,
        scopes=config.scopes,
        acr_values=tuple(config.acr_values),
        levels=dict(config.levels),
        default_level=config.default_level,
        claims={**DEFAULT_CLAIMS, **config.claims},
        organisation_claims=dict(config.organisation_claims),
        userinfo=config.userinfo,
        timeout=config.timeout,
        clock_skew=config.clock_skew,
    )


@lru_cache(maxsize=8)
def _parse(raw: str) -> tuple[OidcProvider, ...]:
    entries = json.loads(raw)
    if not isinstance(entries, list):
        raise ImproperlyConfigured("IDENTITY_OIDC_PROVIDERS must be a JSON list")
    parsed: list[OidcProvider] = []
    for index, entry in enumerate(entries):
        try:
            parsed.append(_provider_from(ProviderConfig.model_validate(entry)))
        except ValidationError as error:
            # Without the input values: the entry holds the client secret.
            problems = "; ".join(
                f"{'.'.join(str(part) for part in problem['loc']) or 'entry'}: {problem['msg']}"
                for problem in error.errors(include_input=False, include_url=False)
            )
            raise ImproperlyConfigured(f"IDENTITY_OIDC_PROVIDERS[{index}]: {problems}") from None
        except OSError as error:
            raise ImproperlyConfigured(
                f"IDENTITY_OIDC_PROVIDERS[{index}]: client_secret_file: {error}"
            ) from None
    names = [provider.name for provider in parsed]
    if len(set(names)) != len(names):
        raise ImproperlyConfigured("IDENTITY_OIDC_PROVIDERS: names must be unique")
    return tuple(parsed)


def providers() -> tuple[OidcProvider, ...]:
    """The configured providers (read from settings each time, parsed once per configuration)."""
    return _parse(json.dumps(getattr(settings, "IDENTITY_OIDC_PROVIDERS", []) or [], sort_keys=True))


def provider(name: str) -> OidcProvider | None:
    return next((p for p in providers() if p.name == name), None)


@checks.register(checks.Tags.security)
def check_configuration(app_configs: Iterable[Any] | None = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``manage.py check`` reports a broken OIDC configuration before the first login does."""
    try:
        providers()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="identity.E101", obj="IDENTITY_OIDC_PROVIDERS")]
    return []
