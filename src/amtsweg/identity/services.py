"""Identity services: the login of an externally proven identity, organisations, local accounts.

Every login ends in ``assurance.assurance_login``; the plug-ins (OIDC, SAML, simulator) verify the
provider's answer and then call ``external_login`` with what it proved.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from amtsweg.core.problems import Problem

from .assurance import assurance_login
from .levels import TrustLevel
from .models import ExternalIdentity, Organisation, OrganisationMembership, User

# What a provider may tell us and we keep (data minimisation): for prefilling forms and for staff.
ATTRIBUTES = (
    "given_name",
    "family_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "country",
    "email",
)
ORGANISATION_FIELDS = ("name", "identifier", "legal_form", "address")


class IdentityConflict(Problem):
    """The proven identity is linked to another account than the one logged in."""

    status_code = 409
    code = "identity-linked-elsewhere"


def _placeholder_email(method: str, issuer: str, subject: str) -> str:
    # Accounts need a unique address; identities without one get a non-deliverable placeholder
    # (RFC 2606 ".invalid") until the person adds a real address.
    digest = hashlib.sha256(f"{method}\n{issuer}\n{subject}".encode()).hexdigest()[:24]
    return f"{digest}@konto.invalid"


def external_login(
    request: HttpRequest,
    *,
    method: str,
    issuer: str,
    subject: str,
    level: TrustLevel,
    attributes: dict[str, Any],
    organisation: dict[str, str] | None = None,
) -> User:
    """Log in the citizen whose identity ``method``/``issuer``/``subject`` a provider has just proven.

    The identity is linked once: to the citizen logged in now (a step-up from a password login), or
    else to a new account. An identity already linked to a different account than the logged-in one
    is refused (``IdentityConflict``) rather than silently switching accounts. Names and e-mail of a
    new account come from the provider; later logins refresh the stored attributes and, for names
    the provider proved at ``substantiell`` or better, the account's names too.
    """
    kept = {key: str(value) for key, value in attributes.items() if key in ATTRIBUTES and value}
    current = request.user if isinstance(request.user, User) and request.user.is_authenticated else None
    if current is not None and current.is_staff_account:
        current = None  # a staff session never gets a citizen identity linked to it
    with transaction.atomic():
        link = (
            ExternalIdentity.objects.select_for_update()
            .select_related("user")
            .filter(method=method, issuer=issuer, subject=subject)
            .first()
        )
        if link is not None:
            if current is not None and link.user_id != current.pk:
                raise IdentityConflict(
                    "Diese Identität ist bereits mit einem anderen Bürgerkonto verknüpft. Bitte melden "
                    "Sie sich ab und mit diesem Verfahren neu an.",
                    "This identity is already linked to another citizen account. Please log out and "
                    "log in again with this method.",
                )
            user = link.user
        else:
            user = current or _account_for_identity(method, issuer, subject, kept)
            link = ExternalIdentity(user=user, method=method, issuer=issuer, subject=subject)
        if not user.is_active:
            raise Problem(
                "Dieses Konto ist gesperrt.",
                "This account is disabled.",
                status_code=403,
                code="account-disabled",
            )
        link.level = level.value
        link.attributes = kept
        link.last_login_at = timezone.now()
        link.save()
        if level in (TrustLevel.SUBSTANTIAL, TrustLevel.HIGH):
            _names_update(user, kept)
        if organisation:
            organisation_link(user=user, data=organisation, verified_by=method)
    assurance_login(request, user=user, method=method, level=level)
    return user


def _account_for_identity(method: str, issuer: str, subject: str, kept: dict[str, str]) -> User:
    email = kept.get("email", "").strip().lower()
    if not email or User.objects.filter(email__iexact=email).exists():
        # Never attach to an existing account by address alone: whoever controls the provider's
        # e-mail claim would otherwise take over the account.
        email = _placeholder_email(method, issuer, subject)
    return User.objects.create_user(
        email=email,
        password=None,  # unusable: this account logs in through its provider
        kind=User.Kind.CITIZEN,
        first_name=kept.get("given_name", "")[:150],
        last_name=kept.get("family_name", "")[:150],
        email_verified_at=timezone.now() if not email.endswith("@konto.invalid") else None,
    )


def _names_update(user: User, kept: dict[str, str]) -> None:
    first, last = kept.get("given_name", "")[:150], kept.get("family_name", "")[:150]
    if first and last and (user.first_name, user.last_name) != (first, last):
        user.first_name, user.last_name = first, last
        user.save(update_fields=["first_name", "last_name"])


def organisation_link(*, user: User, data: dict[str, str], verified_by: str) -> Organisation:
    """Record that ``user`` may act for the organisation ``data`` describes (as proven by ``verified_by``)."""
    values = {key: str(data.get(key, "")).strip() for key in ORGANISATION_FIELDS}
    if not values["name"] or not values["identifier"]:
        raise Problem(
            "Die Organisation braucht einen Namen und eine Kennung.",
            "The organisation needs a name and an identifier.",
            status_code=422,
            code="invalid-organisation",
        )
    organisation, _created = Organisation.objects.update_or_create(
        identifier=values["identifier"][:100],
        defaults={
            "name": values["name"][:300],
            "legal_form": values["legal_form"][:100],
            "address": values["address"][:300],
            "verified_by": verified_by,
        },
    )
    OrganisationMembership.objects.get_or_create(organisation=organisation, user=user)
    return organisation
