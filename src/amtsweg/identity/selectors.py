"""Reads of identities and organisations."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Organisation, User


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
