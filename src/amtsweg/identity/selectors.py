"""Reads of identities and organisations."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest

from .assurance import assurance_of
from .levels import describe
from .methods import login_method
from .models import Organisation, User


def citizen_account(user: object) -> User | None:
    """``user`` if it is an active citizen account (not staff, not anonymous), else ``None``."""
    if isinstance(user, User) and user.is_authenticated and user.is_active and not user.is_staff_account:
        return user
    return None


def organisations_of(user: User) -> QuerySet[Organisation]:
    """The organisations ``user`` may act for."""
    return Organisation.objects.filter(memberships__user=user).order_by("name")


def organisation_for(user: User, organisation_id: int | None) -> Organisation | None:
    """The organisation ``user`` acts for, if ``organisation_id`` is one they may act for.

    A stale choice (membership ended since) is ignored, never trusted: the person then acts privately.
    """
    if organisation_id is None:
        return None
    return organisations_of(user).filter(pk=organisation_id).first()


def identity_summary(request: HttpRequest, user: User) -> dict[str, Any]:
    """How ``user`` is logged in now and whom they may act for (the account page, the API)."""
    assurance = assurance_of(request)
    method = login_method(assurance.method)
    organisations = list(organisations_of(user))
    acting = organisation_for(user, assurance.organisation_id)
    return {
        "level": assurance.level.value,
        "level_text": describe(assurance.level),
        "method": assurance.method,
        "method_label": str(method.label) if method else assurance.method,
        "authenticated_at": assurance.authenticated_at,
        "organisations": organisations,
        "acting_for": acting,
    }
