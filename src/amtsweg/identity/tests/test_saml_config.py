"""The SAML provider configuration (``IDENTITY_SAML_PROVIDERS``) and the attribute reading rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.saml import BUNDID_ATTRIBUTES, SamlProvider, _iso_date

ENTRY: dict[str, Any] = {
    "name": "bundid",
    "label": "BundID",
    "metadata_file": "/etc/amtsweg/bundid-idp.xml",
    "sp_entity_id": "https://amtsweg.example/saml",
    "sp_key_file": "/etc/amtsweg/sp.key",
    "sp_cert_file": "/etc/amtsweg/sp.crt",
}


def test_defaults_are_strict() -> None:
    idp = SamlProvider.from_setting(ENTRY)
    assert idp.key == "saml:bundid"
    assert idp.max_level == TrustLevel.HIGH
    assert idp.want_response_signed and idp.want_assertions_signed
    assert idp.attribute_map == BUNDID_ATTRIBUTES
    assert idp.attribute_map["urn:oid:1.2.40.0.10.2.1.1.261.94"] == "level"
    assert idp.attribute_map["urn:oid:1.3.6.1.4.1.25484.494450.3"] == "bpk2"


def test_attribute_map_overrides_merge_over_bundid() -> None:
    idp = SamlProvider.from_setting({**ENTRY, "attribute_map": {"urn:example:mail": "email"}})
    assert idp.attribute_map["urn:example:mail"] == "email"
    assert idp.attribute_map["urn:oid:2.5.4.42"] == "given_name"


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Bund ID"},
        {"sp_key_file": ""},
        {"metadata_xml": "<EntityDescriptor/>"},  # both metadata sources
        {"metadata_file": ""},  # none
        {"max_level": "none"},
        {"max_level": "sehr hoch"},
        {"attribute_map": {"urn:oid:2.5.4.42": "password"}},
        {"want_response_signed": False, "want_assertions_signed": False},
    ],
)
def test_broken_entries_fail_loudly(change: dict[str, Any]) -> None:
    with pytest.raises(ImproperlyConfigured):
        SamlProvider.from_setting({**ENTRY, **change})


@pytest.mark.parametrize(
    ("value", "iso"),
    [
        ("1964-08-12", "1964-08-12"),
        ("19640812", "1964-08-12"),
        ("19640812000000Z", "1964-08-12"),
        ("1964-13-45", ""),
        ("unbekannt", ""),
    ],
)
def test_birth_dates_become_iso(value: str, iso: str) -> None:
    assert _iso_date(value) == iso
