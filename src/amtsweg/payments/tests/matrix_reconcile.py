"""Isolation-matrix rows of invoice and reconciliation routes, and the objects they need.

The invoice is the payer's own (the world's citizen 200, staff 403, anonymous the login; another
citizen's 404 is tested in ``test_invoice.py``). Bank statements and the reconciliation list are
authority data: every reader of Neuss (its staff, the alliance administrator) may read and clear
them, staff of another town get 404, citizens 403.
"""

from __future__ import annotations

from pathlib import Path

from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_READERS, Route, World, page_read, staff_list, staff_read

from ..models import BankEntry, BankStatement, Payment, PaymentAccount

DATA = Path(__file__).parent / "data"
CAMT_FILE = DATA / "camt053_neuss.xml"
# Valid IBANs (mod 97) of the test treasuries; the Neuss one is the account of the test statement.
IBANS = {"05162024": "DE24305500000093000011", "05162004": "DE23305500000093000029"}
PREFIXES = {"05162024": "NE", "05162004": "DO"}


def treasury(authority: Authority) -> PaymentAccount:
    """The authority's treasury account (created once)."""
    account, _ = PaymentAccount.objects.get_or_create(
        authority=authority,
        defaults={
            "recipient": f"Stadtkasse {authority.name}",
            "iban": IBANS.get(authority.ags, "DE89370400440532013000"),
            "bic": "WELADEDNXXX",
            "kassenzeichen_prefix": PREFIXES.get(authority.ags, "KR"),
            "payment_days": 14,
        },
    )
    return account


def payment(
    *,
    payer: User,
    authority: Authority,
    kassenzeichen: str,
    cents: int,
    status: str = Payment.Status.OPEN,
    service: object = None,
    provider: str = "invoice",
    provider_reference: str = "",
) -> Payment:
    """A payment of ``payer`` at ``authority`` for a draft (the Kassenzeichen given, as in the test file)."""
    from amtsweg.cases.tests.factories_citizen import ensure_default_status_model, open_draft
    from amtsweg.catalog.models import Service

    ensure_default_status_model()
    chosen = service if isinstance(service, Service) else Service.objects.get(leika_key="99115005000000")
    draft = open_draft(citizen=payer, service=chosen, authority=authority)
    return Payment.objects.create(
        authority=authority,
        draft=draft,
        payer=payer,
        purpose=f"{kassenzeichen} Meldebescheinigung",
        amount_cents=cents,
        kassenzeichen=kassenzeichen,
        provider=provider,
        provider_reference=provider_reference,
        status=status,
    )


def open_entry(w: World, a: Authority) -> int:
    """An entry of ``a`` that needs clearing (unknown reference), on a statement of its own."""
    cache: dict[int, int] = w.__dict__.setdefault("_bank_entries", {})
    if a.pk not in cache:
        account = treasury(a)
        statement = BankStatement.objects.create(
            authority=a, statement_id="MATRIX-1", iban=account.iban, sha256=f"{a.pk:064d}"
        )
        entry = BankEntry.objects.create(
            statement=statement,
            authority=a,
            entry_reference=f"MATRIX-{a.pk}",
            amount_cents=4000,
            booking_date="2026-05-07",
            remittance="Rechnung 4711",
            outcome=BankEntry.Outcome.UNKNOWN_REFERENCE,
        )
        cache[a.pk] = entry.pk
    return cache[a.pk]


def invoice_payment(w: World, a: Authority) -> str:
    cache: dict[int, str] = w.__dict__.setdefault("_invoice_payments", {})
    if a.pk not in cache:
        treasury(a)
        cache[a.pk] = str(
            payment(
                payer=w.citizen,
                authority=a,
                kassenzeichen=f"{PREFIXES.get(a.ags, 'KR')}2026009999",
                cents=2500,
            ).pk
        )
    return cache[a.pk]


def payer_page(role: str, target: str) -> set[int]:
    if role == "anonymous":
        return {302}
    return {200} if role == "citizen" else {403}


def page_action(role: str, target: str) -> set[int]:
    """A back-office form post that succeeds and redirects for the authority's readers."""
    if role == "anonymous":
        return {302}
    if role == "citizen":
        return {403}
    return {302} if role in NEUSS_READERS else {404}


ROUTES: list[Route] = [
    Route("portal:payment_invoice", lambda w, a: f"/zahlungen/{invoice_payment(w, a)}/rechnung/", payer_page),
    Route(
        "portal:payment_invoice_pdf",
        lambda w, a: f"/zahlungen/{invoice_payment(w, a)}/rechnung/pdf/",
        payer_page,
    ),
    Route("backoffice:bank_statements", lambda w, a: f"/backoffice/{a.ags}/kontoauszuege/", page_read),
    Route("backoffice:reconciliation", lambda w, a: f"/backoffice/{a.ags}/abgleich/", page_read),
    Route(
        "backoffice:reconciliation_entry",
        lambda w, a: f"/backoffice/{a.ags}/abgleich/{open_entry(w, a)}/",
        page_read,
    ),
    Route(
        "backoffice:reconciliation_entry",
        lambda w, a: f"/backoffice/{a.ags}/abgleich/{open_entry(w, a)}/",
        page_action,
        method="post",
        data={"action": "resolve", "resolve-note": "Erstattung veranlasst"},
    ),
    Route("api-staff-bank-statements", lambda w, a: "/api/v1/staff/bank-statements", staff_list),
    Route("api-staff-reconciliation", lambda w, a: "/api/v1/staff/reconciliation?state=all", staff_list),
    Route(
        "api-staff-reconciliation-resolve",
        lambda w, a: f"/api/v1/staff/reconciliation/{open_entry(w, a)}/resolve",
        staff_read,
        method="post",
        data={"note": "Erstattung veranlasst"},
    ),
]
