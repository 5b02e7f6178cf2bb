"""Reads of the payments module: the payer's own payments, staff lists scoped by ``tenancy.access``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import Http404

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import Authority

from .models import Fee, Payment, Waiver
from .states import SETTLED


def format_euros(cents: int | None) -> str:
    """``1250`` → ``12,50 €``, ``123456`` → ``1.234,56 €`` (exact: integer division, no float)."""
    if cents is None:
        return ""
    sign = "-" if cents < 0 else ""
    euros, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{euros:,}".replace(",", ".") + f",{rest:02d} €"


def payment_for_payer(*, user: User, payment_id: uuid.UUID) -> Payment:
    """The caller's own payment; anyone else's (or none) is a 404."""
    payment = (
        Payment.objects.select_related("authority", "fee").filter(pk=payment_id, payer_id=user.pk).first()
    )
    if payment is None:
        raise Http404
    return payment


def payments_for_staff(
    *, user: User, authority: Authority | None = None, status: str = "", provider: str = ""
) -> QuerySet[Payment]:
    """Payments the staff member may read (``tenancy.access``), optionally of one authority, newest first."""
    payments = access.scope(Payment.objects.select_related("authority", "case"), user)
    if authority is not None:
        payments = payments.filter(authority=authority)
    if status:
        payments = payments.filter(status=status)
    if provider:
        payments = payments.filter(provider=provider)
    return payments.order_by("-created_at", "-pk")


def fees_for_staff(*, user: User, authority: Authority) -> QuerySet[Fee]:
    """The authority's own fees and the alliance-wide ones of the services it offers."""
    from amtsweg.catalog.models import ServiceOffering

    own = access.scope(Fee.objects.filter(authority=authority), user)
    offered = access.scope(ServiceOffering.objects.filter(authority=authority), user).values("service_id")
    alliance = Fee.objects.filter(authority__isnull=True, service_id__in=offered)
    return (
        (own | alliance)
        .select_related("service", "authority")
        .order_by("service__name", "authority_id", "key")
    )


def waivers_for_staff(*, user: User, authority: Authority) -> QuerySet[Waiver]:
    return (
        access.scope(Waiver.objects.filter(authority=authority), user)
        .select_related("service")
        .order_by("code")
    )


@dataclass(frozen=True)
class ReviewFee:
    """What the review page shows about a draft's fee before submission."""

    title: str
    amount_cents: int
    outstanding_cents: int
    waived: bool
    error: str = ""

    @property
    def settled(self) -> bool:
        return not self.error and self.outstanding_cents == 0


def review_fee(draft: object) -> ReviewFee | None:
    """The fee line of the review page for ``draft`` (a ``forms.Draft``), or ``None`` without a fee."""
    from amtsweg.forms.models import Draft

    from .services import draft_fee

    assert isinstance(draft, Draft)
    try:
        owed = draft_fee(draft)
    except Problem as problem:
        return ReviewFee(
            title="", amount_cents=0, outstanding_cents=0, waived=False, error=problem.localized()
        )
    if owed is None or owed.amount_cents == 0:
        return None
    return ReviewFee(
        title=owed.fee.title,
        amount_cents=owed.amount_cents,
        outstanding_cents=owed.outstanding_cents,
        waived=owed.waived,
    )


def is_settled(payment: Payment) -> bool:
    return payment.status in SETTLED
