"""The OIDC provider configuration (``IDENTITY_OIDC_PROVIDERS``) and the claim and level mapping."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from pytest_django.fixtures import Settings as SettingsWrapper

from amtsweg.identity import oidc
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.oidc_config import check_configuration, provider, providers

LEVELS = {"urn:loa:low": "normal", "urn:loa:sub": "substantiell", "urn:loa:high": "hoch"}


def entry(**changes: Any) -> dict[str, Any]:
    return {
        "name": "servicekonto",
        "label": "Servicekonto NRW",
        "issuer": "https://login.example.org/realms/nrw",
        "client_id": "amtsweg",
        "client_secret": "geheim",
        "levels": LEVELS,
        **changes,
    }


def test_a_valid_entry_with_defaults(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry()]
    configured = provider("servicekonto")
    assert configured is not None
    assert configured.key == "oidc:servicekonto"
    assert configured.scopes == "openid profile email"
    assert configured.max_level == TrustLevel.HIGH
    assert configured.claims["birth_date"] == "birthdate"
    assert configured.claims["street"] == "address.street_address"
    assert "geheim" not in repr(configured)  # the secret never lands in a log line or traceback
    assert check_configuration() == []


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "Mit Leerzeichen"},
        {"name": "x" * 36},  # "oidc:" + name must fit ExternalIdentity.method (40)
        {"issuer": "http://login.example.org"},  # plain http only for 127.0.0.1/localhost
        {"issuer": "https://login.example.org/?realm=x"},
        {"scopes": "profile email"},
        {"levels": {}},
        {"levels": {"urn:loa:x": "irgendwas"}},
        {"levels": {"urn:loa:x": "none"}},
        {"claims": {"shoe_size": "shoe"}},
        {"organisation_claims": {"name": "org"}},  # an organisation needs its identifier too
        {"client_secret_file": "/run/secrets/x"},  # and client_secret: one or the other
        {"unknown_key": 1},
    ],
)
def test_invalid_entries_are_reported(settings: SettingsWrapper, changes: dict[str, Any]) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(**changes)]
    with pytest.raises(ImproperlyConfigured, match=r"IDENTITY_OIDC_PROVIDERS\[0\]") as raised:
        providers()
    assert "geheim" not in str(raised.value)  # the message never repeats the entry (its secret)
    [error] = check_configuration()
    assert error.id == "identity.E101"


def test_names_are_unique(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(), entry(label="Doppelt")]
    with pytest.raises(ImproperlyConfigured, match="unique"):
        providers()


def test_secret_from_a_file(settings: SettingsWrapper, tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("aus-der-datei\n")
    settings.IDENTITY_OIDC_PROVIDERS = [entry(client_secret="", client_secret_file=str(secret))]
    configured = provider("servicekonto")
    assert configured is not None and configured.client_secret == "aus-der-datei"


def test_levels_map_and_default(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(), entry(name="mit-default", default_level="normal")]
    strict, lenient = providers()
    assert strict.level_for("urn:loa:sub") == TrustLevel.SUBSTANTIAL
    assert strict.level_for("urn:loa:unknown") is None
    assert strict.level_for("") is None
    assert lenient.level_for("urn:loa:unknown") == TrustLevel.NORMAL


def test_acr_values_requested(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry(), entry(name="fest", acr_values="urn:loa:sub urn:loa:high")]
    mapped, fixed = providers()
    assert mapped.acr_request(TrustLevel.NORMAL) == ("urn:loa:low", "urn:loa:sub", "urn:loa:high")
    assert mapped.acr_request(TrustLevel.SUBSTANTIAL) == ("urn:loa:sub", "urn:loa:high")
    assert mapped.acr_request(TrustLevel.HIGH) == ("urn:loa:high",)
    assert fixed.acr_request(TrustLevel.NORMAL) == ("urn:loa:sub", "urn:loa:high")
    assert fixed.acr_request(TrustLevel.HIGH) == ("urn:loa:high",)  # the level needed wins


def test_claims_mapped_to_our_attributes(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [
        entry(claims={"birth_date": "", "email": "mail", "street": "https://example.org/claims/strasse"})
    ]
    configured = provider("servicekonto")
    assert configured is not None
    claims = {
        "given_name": "  Erika ",
        "family_name": "Mustermann",
        "birthdate": "1964-08-12",  # not mapped any more (empty claim name)
        "mail": "erika@example.org",
        "email_verified": True,
        "https://example.org/claims/strasse": "Kölner Straße 40",
        "address": {"postal_code": "41539", "locality": 41539},  # a number is no text: dropped
    }
    assert oidc._attributes(configured, claims) == {
        "given_name": "Erika",
        "family_name": "Mustermann",
        "email": "erika@example.org",
        "street": "Kölner Straße 40",
        "postal_code": "41539",
    }
    assert "email" not in oidc._attributes(configured, {**claims, "email_verified": "true"})


@pytest.mark.parametrize("birthdate", ["0000-08-12", "1964", "12.08.1964"])
def test_partial_birth_dates_are_not_kept(settings: SettingsWrapper, birthdate: str) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [entry()]
    configured = provider("servicekonto")
    assert configured is not None
    assert "birth_date" not in oidc._attributes(configured, {"birthdate": birthdate})


def test_organisation_only_with_name_and_identifier(settings: SettingsWrapper) -> None:
    settings.IDENTITY_OIDC_PROVIDERS = [
        entry(organisation_claims={"name": "org.name", "identifier": "org.id", "legal_form": "org.form"})
    ]
    configured = provider("servicekonto")
    assert configured is not None
    full = {"org": {"name": "Rheinufer GmbH", "id": "HRB 1", "form": "GmbH"}}
    assert oidc._organisation(configured, full) == {
        "name": "Rheinufer GmbH",
        "identifier": "HRB 1",
        "legal_form": "GmbH",
    }
    assert oidc._organisation(configured, {"org": {"name": "Rheinufer GmbH"}}) is None
    settings.IDENTITY_OIDC_PROVIDERS = [entry()]
    plain = provider("servicekonto")
    assert plain is not None and oidc._organisation(plain, full) is None
