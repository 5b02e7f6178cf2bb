"""Writes of the operators' own facility details (contact, description, specialisations, languages, own
share per offer) and of their API token. Name, address, capacity and supervising authority belong to
the Heimaufsicht's registry (``services_registry``) and are never changed here.

The caller has checked operator access (``care.access.facility_for_operator``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import transaction
from rest_framework.authtoken.models import Token

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy.access import audit
from amtsweg.tenancy.models import AuditEvent

from .models import SPECIALISATION_BITS, CareOffer, Facility, specialisation_mask

CARE_GRADES = ("1", "2", "3", "4", "5")
MAX_OWN_SHARE = Decimal("99999.99")
MAX_LANGUAGES = 20
_LANGUAGE_CODE = re.compile(r"^[a-z]{2}$")


class FacilityDetailsInvalid(Problem):
    """Facility details that cannot be stored as sent (400, code ``care-facility-invalid``)."""

    def __init__(self, detail_de: str, detail_en: str, *, field: str) -> None:
        super().__init__(detail_de, detail_en, code="care-facility-invalid", extra={"field": field})


@dataclass(frozen=True)
class FacilityDetails:
    """What an operator may change; ``None`` leaves a value as it is (a partial update).

    ``own_shares`` maps a care type the facility offers to its own share by Pflegegrad
    (``{"vollstationaer": {"2": Decimal("2480.00")}}``); a Pflegegrad missing from the mapping of a
    named care type is "not stated".
    """

    phone: str | None = None
    email: str | None = None
    report_email: str | None = None
    website: str | None = None
    description: str | None = None
    specialisations: Sequence[str] | None = None
    languages: Sequence[str] | None = None
    own_shares: Mapping[str, Mapping[str, Decimal]] | None = None


def _check_email(value: str, field: str) -> str:
    value = value.strip()
    if value:
        try:
            EmailValidator()(value)
        except ValidationError:
            raise FacilityDetailsInvalid(
                "Bitte geben Sie eine gültige E-Mail-Adresse an.",
                "Please give a valid e-mail address.",
                field=field,
            ) from None
    return value


def _check_length(value: str, limit: int, field: str) -> str:
    value = value.strip()
    if len(value) > limit:
        raise FacilityDetailsInvalid(
            f"Höchstens {limit} Zeichen.", f"At most {limit} characters.", field=field
        )
    return value


def _check_website(value: str) -> str:
    value = _check_length(value, 200, "website")
    if value:
        try:
            URLValidator(schemes=["https", "http"])(value)
        except ValidationError:
            raise FacilityDetailsInvalid(
                "Bitte geben Sie eine vollständige Internetadresse an (https://…).",
                "Please give a complete web address (https://…).",
                field="website",
            ) from None
    return value


def _check_languages(codes: Sequence[str]) -> list[str]:
    result: list[str] = []
    for code in codes:
        code = code.strip().lower()
        if not _LANGUAGE_CODE.match(code):
            raise FacilityDetailsInvalid(
                "Sprachen als zweistellige ISO-639-1-Codes angeben (z. B. „tr“).",
                "Give languages as two-letter ISO 639-1 codes (e.g. “tr”).",
                field="languages",
            )
        if code not in result:
            result.append(code)
    if len(result) > MAX_LANGUAGES:
        raise FacilityDetailsInvalid(
            f"Höchstens {MAX_LANGUAGES} Sprachen.", f"At most {MAX_LANGUAGES} languages.", field="languages"
        )
    return sorted(result)


def _check_specialisations(codes: Sequence[str]) -> int:
    unknown = sorted(set(codes) - set(SPECIALISATION_BITS))
    if unknown:
        raise FacilityDetailsInvalid(
            f"Unbekannter Schwerpunkt: {', '.join(unknown)}.",
            f"Unknown specialisation: {', '.join(unknown)}.",
            field="specialisations",
        )
    return specialisation_mask(list(codes))


def own_share_value(value: Decimal | str) -> Decimal:
    """A monthly own share in euros, two places (raises ``ValueError`` when out of 0..99,999.99)."""
    try:
        amount = Decimal(str(value).strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(value) from None
    if not amount.is_finite() or amount < 0 or amount > MAX_OWN_SHARE:
        raise ValueError(value)
    return amount.quantize(Decimal("0.01"))


def _check_own_share(care_type: str, shares: Mapping[str, Decimal]) -> dict[str, str]:
    stored: dict[str, str] = {}
    for grade, value in shares.items():
        if grade not in CARE_GRADES:
            raise FacilityDetailsInvalid(
                "Pflegegrade sind 1 bis 5.", "Care grades are 1 to 5.", field=f"{care_type}.own_share"
            )
        try:
            stored[grade] = str(own_share_value(value))
        except ValueError:
            raise FacilityDetailsInvalid(
                "Der Eigenanteil ist ein Betrag in Euro zwischen 0 und 99.999,99.",
                "The own share is an amount in euros between 0 and 99,999.99.",
                field=f"{care_type}.own_share",
            ) from None
    return dict(sorted(stored.items()))


@transaction.atomic
def facility_update_by_operator(
    *, facility: Facility, actor: User, details: FacilityDetails, channel: str = "web"
) -> Facility:
    """Store the operator's changes to ``facility``'s details and own shares (audited; only the names
    of the changed fields are recorded, not their values)."""
    locked = Facility.objects.select_for_update().get(pk=facility.pk)
    changed: list[str] = []

    def put(name: str, value: object) -> None:
        if getattr(locked, name) != value:
            setattr(locked, name, value)
            changed.append(name)

    if details.phone is not None:
        put("phone", _check_length(details.phone, 40, "phone"))
    if details.email is not None:
        put("email", _check_email(details.email, "email"))
    if details.report_email is not None:
        put("report_email", _check_email(details.report_email, "report_email"))
    if details.website is not None:
        put("website", _check_website(details.website))
    if details.description is not None:
        put("description", _check_length(details.description, 4000, "description"))
    if details.specialisations is not None:
        put("specialisation_bits", _check_specialisations(details.specialisations))
    if details.languages is not None:
        put("languages", _check_languages(details.languages))
    changed_offers: list[CareOffer] = []
    if details.own_shares is not None:
        offers = {offer.care_type: offer for offer in CareOffer.objects.filter(facility=locked)}
        for care_type, shares in details.own_shares.items():
            offer = offers.get(care_type)
            if offer is None:
                raise FacilityDetailsInvalid(
                    "Diese Versorgungsart bietet die Einrichtung nicht an.",
                    "The facility does not offer this care type.",
                    field=f"{care_type}.own_share",
                )
            stored = _check_own_share(care_type, shares)
            if stored != offer.own_share:
                offer.own_share = stored
                changed_offers.append(offer)
                changed.append(f"{care_type}.own_share")
    if changed_offers:
        CareOffer.objects.bulk_update(changed_offers, ["own_share"])
    if changed:
        locked.save()
        audit(
            actor=actor,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            authority_id=locked.authority_id,
            channel=channel,
            changes={"fields": changed},
        )
    return locked


@transaction.atomic
def operator_token_rotate(*, user: User, channel: str = "web") -> Token:
    """A new API token for ``user`` (the old one stops working at once). The key is shown once."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit(
        actor=user,
        action=AuditEvent.Action.CREATE,
        obj=token.user,
        authority_id=None,
        channel=channel,
        changes={"api_token": "rotated"},
    )
    return token
