"""Demo data of payments: treasury accounts of the demo authorities, fees of demo services, a voucher.

``load_payments_demo()`` is called from the demo loader after the authorities and services exist;
it is idempotent. The IBANs are fictitious (bank code of the Sparkasse Neuss, valid check digits).
"""

from __future__ import annotations

from dataclasses import dataclass

from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority

from .models import Fee, PaymentAccount, Waiver

BANK_CODE = "30550000"  # Sparkasse Neuss
BIC = "WELADEDNXXX"
PREFIXES = {
    "05162000": "RKN",
    "05162004": "DO",
    "05162008": "GV",
    "05162012": "JU",
    "05162016": "KA",
    "05162020": "KO",
    "05162022": "ME",
    "05162024": "NE",
    "05162028": "RO",
}
# (LeiKa key, title, kind, cents, formula or unit field, legal basis)
FEES: list[tuple[str, str, str, int, str, str]] = [
    (
        "99115004001000",
        "Gebühr einfache Melderegisterauskunft",
        Fee.Kind.FIXED,
        1000,
        "",
        "Gebührenordnung der Stadt, Tarifstelle Melderegisterauskunft",
    ),
    (
        "99042001012000",
        "Gebühr Fischereischein",
        Fee.Kind.FIXED,
        2400,
        "",
        "Verwaltungsgebührenordnung NRW, Tarifstelle Fischereischein",
    ),
]


def german_iban(bank_code: str, account: str) -> str:
    """A German IBAN with correct check digits (ISO 13616, mod 97-10)."""
    bban = f"{bank_code}{account.zfill(10)}"
    number = int(f"{bban}131400")  # D=13, E=14, check digits 00
    return f"DE{98 - number % 97:02d}{bban}"


@dataclass
class PaymentsDemoSummary:
    accounts: int = 0
    fees: int = 0
    waivers: int = 0


def load_payments_demo() -> PaymentsDemoSummary:
    summary = PaymentsDemoSummary()
    for authority in Authority.objects.filter(ags__in=PREFIXES):
        _, created = PaymentAccount.objects.get_or_create(
            authority=authority,
            defaults={
                "recipient": f"{'Kreiskasse' if authority.kind == Authority.Kind.KREIS else 'Stadtkasse'} "
                f"{authority.name}"[:70],
                "iban": german_iban(BANK_CODE, f"9{authority.ags[-3:]}00"),
                "bic": BIC,
                "kassenzeichen_prefix": PREFIXES[authority.ags],
            },
        )
        summary.accounts += int(created)
    for leika, title, kind, cents, extra, legal in FEES:
        service = Service.objects.filter(leika_key=leika).first()
        if service is None:
            continue
        _, created = Fee.objects.get_or_create(
            service=service,
            authority=None,
            key="gebuehr",
            defaults={
                "title": title,
                "kind": kind,
                "amount_cents": cents,
                "formula": extra if kind == Fee.Kind.FORMULA else "",
                "unit_field": extra if kind == Fee.Kind.PER_UNIT else "",
                "legal_basis": legal,
            },
        )
        summary.fees += int(created)
    neuss = Authority.objects.filter(ags="05162024").first()
    if neuss is not None:
        _, created = Waiver.objects.get_or_create(
            authority=neuss,
            code="EHRENAMT-NE-2026",
            defaults={"reason": "Ehrenamtskarte NRW (Demo)", "uses_left": 100},
        )
        summary.waivers += int(created)
    return summary
