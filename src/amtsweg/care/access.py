"""Operator access: the one place that decides which facilities an operator's account may manage.

A person manages the facilities of every organisation (Träger) they are a member of
(``identity.OrganisationMembership``), and nothing else. Staff access goes through
``tenancy.access`` (the supervising Kreis' staff), citizens read only public data.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from amtsweg.identity.models import Organisation
from amtsweg.tenancy.access import Actor

from .models import Facility


def operator_organisations(user: Actor) -> QuerySet[Organisation]:
    """The operators (Träger) ``user`` acts for."""
    if not user.is_authenticated:
        return Organisation.objects.none()
    return Organisation.objects.filter(memberships__user=user, care_facilities__isnull=False).distinct()


def operator_facilities(user: Actor) -> QuerySet[Facility]:
    """The facilities ``user`` may manage (empty for anyone who is not a member of their operator)."""
    if not user.is_authenticated:
        return Facility.objects.none()
    # A subquery, not a join: the result stays free of duplicates and can be locked (select_for_update).
    return Facility.objects.filter(
        operator__in=Organisation.objects.filter(memberships__user=user).values("pk")
    )


def is_operator(user: Actor) -> bool:
    return operator_facilities(user).exists()


def facility_for_operator(user: Actor, pk: int) -> Facility:
    """The facility ``pk`` if ``user`` may manage it, else 404 (never 403: ids are not confirmed)."""
    if not user.is_authenticated:
        raise Http404
    # A join, not operator_facilities()'s subquery: one membership per organisation and person
    # (unique), so it yields at most one row, and it is the cheaper query on the report API's hot path.
    try:
        return Facility.objects.select_related("authority", "operator").get(
            pk=pk, operator__memberships__user=user
        )
    except Facility.DoesNotExist:
        raise Http404 from None
