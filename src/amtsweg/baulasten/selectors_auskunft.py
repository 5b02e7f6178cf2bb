"""Reading Auskunft requests: the open ones of an authority and the one of a case, always scoped
through ``tenancy.access`` (staff of another authority see nothing and get 404)."""

from __future__ import annotations

from django.db.models import QuerySet

from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import AuskunftRequest, Register, RegisterArea


def auskunft_requests(
    *, user: User, authority: Authority, open_only: bool = True
) -> QuerySet[AuskunftRequest]:
    """The Auskunft requests of ``authority`` that ``user`` may read, oldest first (open ones by default)."""
    qs = access.scope(AuskunftRequest.objects.filter(authority=authority), user).select_related(
        "case", "case__applicant", "register"
    )
    if open_only:
        qs = qs.filter(decision=AuskunftRequest.Decision.PENDING)
    return qs.order_by("created_at", "pk")


def auskunft_for_case(*, user: User, authority: Authority, case_id: int, channel: str) -> AuskunftRequest:
    """The Auskunft of case ``case_id`` at ``authority`` (read audited); 404 for anything else."""
    return access.get_for_user(
        AuskunftRequest.objects.filter(authority=authority).select_related(
            "case", "case__applicant", "case__submission", "register", "decided_by"
        ),
        user,
        channel=channel,
        case_id=case_id,
    )


def keeping_areas() -> QuerySet[RegisterArea]:
    """Every town with its register (the portal's choice of the town), by town name."""
    return RegisterArea.objects.select_related("town", "register__authority").order_by("town__name")


def registers_with_fees() -> QuerySet[Register]:
    return Register.objects.select_related("authority").order_by("authority__name")
