"""Factories of the payments tests: fees, treasury accounts, drafts with a fee."""

from __future__ import annotations

from typing import Any

from amtsweg.catalog.models import Service
from amtsweg.forms.models import Draft
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

from ..models import Fee, PaymentAccount, Waiver


def fee(service: Service, authority: Authority | None = None, **fields: Any) -> Fee:
    values: dict[str, Any] = {"title": "Verwaltungsgebühr", "kind": Fee.Kind.FIXED, "amount_cents": 1250}
    values.update(fields)
    return Fee.objects.create(service=service, authority=authority, **values)


def account(authority: Authority, prefix: str = "NE") -> PaymentAccount:
    return PaymentAccount.objects.create(
        authority=authority,
        recipient=f"Stadtkasse {authority.name}",
        iban="DE02305500000000012345",
        bic="WELADEDNXXX",
        kassenzeichen_prefix=prefix,
    )


def waiver(authority: Authority, code: str = "EHRENAMT-2026", uses: int = 1, **fields: Any) -> Waiver:
    return Waiver.objects.create(
        authority=authority, code=code, reason="Ehrenamtskarte NRW", uses_left=uses, **fields
    )


def draft_with_fee(*, citizen: User, service: Service, authority: Authority, cents: int = 1250) -> Draft:
    from amtsweg.cases.tests.factories_citizen import ensure_default_status_model, open_draft

    ensure_default_status_model()
    if not Fee.objects.filter(service=service, authority=authority, key="gebuehr").exists():
        fee(service, authority, amount_cents=cents)
    return open_draft(citizen=citizen, service=service, authority=authority)
