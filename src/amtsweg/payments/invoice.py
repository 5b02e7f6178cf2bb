"""Paying by bank transfer: the invoice provider (key ``invoice``), its GiroCode, IBAN checks.

The invoice shows the treasury's account (``PaymentAccount``: recipient, IBAN, BIC), the amount,
the Kassenzeichen as the remittance reference and the due date, with an EPC QR code ("GiroCode",
EPC069-12 version 2) that banking apps read to fill in the transfer. The transfer arrives on the
bank statement and is matched by ``payments.reconcile``. Offered when ``settings.PAYMENT_INVOICE`` is
on; an authority without a treasury account cannot issue invoices (``begin`` refuses).

A notice (Bescheid) that carries a fee shows the same payment block: ``payment_block_context(case)``
and the template include ``payments/_payment_block.html``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import segno
import segno.helpers
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from amtsweg.core.problems import Problem
from amtsweg.identity.models import User
from amtsweg.tenancy import access
from amtsweg.tenancy.models import AuditEvent, Authority

from .models import Payment, PaymentAccount
from .providers import Begin, InvalidSignature, Notification, ProviderStatus, register
from .states import UNSETTLED

if TYPE_CHECKING:
    from amtsweg.cases.models import Case

KEY = "invoice"

# --- IBAN and BIC --------------------------------------------------------------------------------

# Length of the IBAN per country (ISO 13616 registry, SEPA countries and their territories).
IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23, "GL": 18, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21,
    "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19,
    "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip
_IBAN_FORM = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$")
_BIC_FORM = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?$")


def iban_normalise(value: str) -> str:
    """``de24 3055 0000 0093 0000 11`` → ``DE24305500000093000011``."""
    return re.sub(r"\s+", "", value or "").upper()


def iban_format(value: str) -> str:
    """Groups of four for reading (DIN 5008): ``DE24 3055 0000 0093 0000 11``."""
    iban = iban_normalise(value)
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def validate_iban(value: str) -> str:
    """The normalised IBAN, or ``ValidationError``: SEPA country, its length, check digits (mod 97)."""
    iban = iban_normalise(value)
    if not _IBAN_FORM.match(iban):
        raise ValidationError(_("Das ist keine IBAN (z. B. DE89 3704 0044 0532 0130 00)."), code="iban-form")
    length = IBAN_LENGTHS.get(iban[:2])
    if length is None:
        raise ValidationError(
            _("IBANs aus diesem Land sind für SEPA-Überweisungen nicht vorgesehen."), code="iban-country"
        )
    if len(iban) != length:
        raise ValidationError(
            _("Eine IBAN aus %(country)s hat %(length)d Zeichen.") % {"country": iban[:2], "length": length},
            code="iban-length",
        )
    rearranged = iban[4:] + iban[:4]
    if int("".join(str(int(char, 36)) for char in rearranged)) % 97 != 1:
        raise ValidationError(
            _("Die Prüfziffer der IBAN stimmt nicht; bitte prüfen Sie die Eingabe."), code="iban-checksum"
        )
    return iban


def validate_bic(value: str) -> str:
    """The normalised BIC (8 or 11 characters) or ``ValidationError``; empty stays empty (SEPA: optional)."""
    bic = re.sub(r"\s+", "", value or "").upper()
    if bic and not _BIC_FORM.match(bic):
        raise ValidationError(_("Das ist keine BIC (8 oder 11 Zeichen, z. B. WELADEDNXXX)."), code="bic-form")
    return bic


def payment_account_save(
    *, account: PaymentAccount, authority: Authority, actor: User, channel: str = "web"
) -> PaymentAccount:
    """Store the treasury account of ``authority`` (its administrators only) with a checked IBAN and BIC.

    Raises ``ValidationError`` (field-keyed) for a wrong IBAN, BIC or Kassenzeichen prefix.
    """
    if not access.can_access(actor, authority, administer=True):
        raise PermissionDenied
    errors: dict[str, list[Any]] = {}
    try:
        account.iban = validate_iban(account.iban)
    except ValidationError as exc:
        errors["iban"] = exc.error_list
    try:
        account.bic = validate_bic(account.bic)
    except ValidationError as exc:
        errors["bic"] = exc.error_list
    account.kassenzeichen_prefix = (account.kassenzeichen_prefix or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{1,10}", account.kassenzeichen_prefix):
        errors["kassenzeichen_prefix"] = [
            ValidationError(
                _("Nur Buchstaben (A–Z), damit das Kassenzeichen im Verwendungszweck erkannt wird.")
            )
        ]
    if errors:
        raise ValidationError(errors)
    account.authority = authority
    created = account.pk is None
    with transaction.atomic():
        account.save()
        access.audit(
            actor=actor,
            action=AuditEvent.Action.CREATE if created else AuditEvent.Action.UPDATE,
            obj=account,
            authority_id=authority.pk,
            channel=channel,
            changes={"iban": account.iban, "bic": account.bic, "prefix": account.kassenzeichen_prefix},
        )
    return account


# --- GiroCode (EPC QR code) ----------------------------------------------------------------------


def euros(cents: int) -> Decimal:
    """Exact euros of an amount in cents (``1250`` → ``Decimal("12.50")``)."""
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def remittance_text(payment: Payment) -> str:
    """The remittance line of the transfer: the Kassenzeichen first (what the reconciliation looks for),
    then the purpose; at most 140 characters (SEPA)."""
    purpose = payment.purpose
    if not purpose.startswith(payment.kassenzeichen):
        purpose = f"{payment.kassenzeichen} {purpose}"
    return purpose[:140].rstrip()


def epc_qr(payment: Payment, account: PaymentAccount) -> segno.QRCode:
    """The EPC QR code (EPC069-12 v2, "GiroCode") of the transfer that pays ``payment``."""
    return segno.helpers.make_epc_qr(
        name=account.recipient[:70],
        iban=iban_normalise(account.iban),
        amount=euros(payment.amount_cents),
        text=remittance_text(payment),
        bic=account.bic or None,
        encoding="utf-8",
    )


def epc_svg(payment: Payment, account: PaymentAccount, *, module_mm: float = 0.5) -> SafeString:
    """The GiroCode as inline SVG (no style attributes: allowed by the strict CSP)."""
    title = gettext("GiroCode: QR-Code für die Überweisung mit der Banking-App")
    svg = epc_qr(payment, account).svg_inline(
        scale=module_mm, unit="mm", border=4, title=title, dark="#000000"
    )
    return mark_safe(svg)  # noqa: S308  (segno's own markup; it escapes the title)


# --- what an invoice or a notice shows ----------------------------------------------------------


@dataclass(frozen=True)
class PaymentBlock:
    payment: Payment
    account: PaymentAccount

    def context(self) -> dict[str, Any]:
        return {
            "payment": self.payment,
            "recipient": self.account.recipient,
            "iban": iban_format(self.account.iban),
            "bic": self.account.bic,
            "amount_cents": self.payment.amount_cents,
            "kassenzeichen": self.payment.kassenzeichen,
            "remittance": remittance_text(self.payment),
            "due_date": self.payment.due_date or _due(self.payment, self.account),
            "girocode_svg": epc_svg(self.payment, self.account),
        }


def _due(payment: Payment, account: PaymentAccount) -> date:
    from datetime import timedelta

    from django.utils import timezone

    return timezone.localdate(payment.created_at) + timedelta(days=account.payment_days)


def invoice_context(payment: Payment) -> dict[str, Any] | None:
    """What the invoice of ``payment`` shows (``payment_block`` for the include), or ``None`` without a
    treasury account."""
    account = PaymentAccount.objects.filter(authority_id=payment.authority_id).first()
    if account is None:
        return None
    block = PaymentBlock(payment, account).context()
    return {"payment": payment, "kassenzeichen": payment.kassenzeichen, "payment_block": block}


def payment_block_context(case: Case) -> dict[str, Any] | None:
    """The payment block of a notice on ``case``: the open payment the case asks for, by transfer.

    Shown with ``{% include "payments/_payment_block.html" with payment_block=payment_block %}``.

    ``None`` when nothing is open (no fee, paid already, waived) or the authority has no treasury
    account. With several open payments the oldest is shown (one notice, one fee to pay).
    """
    account = PaymentAccount.objects.filter(authority_id=case.authority_id).first()
    if account is None:
        return None
    payment = (
        Payment.objects.filter(case_id=case.pk, status__in=UNSETTLED, amount_cents__gt=0)
        .order_by("created_at", "pk")
        .first()
    )
    if payment is None:
        return None
    return PaymentBlock(payment, account).context()


# --- the provider --------------------------------------------------------------------------------


class InvoiceProvider:
    """Pay by bank transfer: ``begin`` sends the payer to the invoice page; the bank statement settles it."""

    key = KEY
    label: str | Promise = _("Überweisung (Rechnung mit GiroCode)")
    online = False

    def begin(self, payment: Payment, *, return_url: str, request: HttpRequest | None) -> Begin:
        if not PaymentAccount.objects.filter(authority_id=payment.authority_id).exists():
            raise Problem(
                "Diese Behörde bietet keine Zahlung per Überweisung an.",
                "This authority does not offer payment by bank transfer.",
                status_code=409,
                code="invoice-unavailable",
            )
        return Begin(invoice_url=reverse("portal:payment_invoice", kwargs={"payment_id": payment.pk}))

    def status(self, payment: Payment) -> ProviderStatus | None:
        return None  # a transfer is known from the bank statement only (payments.reconcile)

    def parse_notification(self, body: bytes, headers: dict[str, str]) -> Notification:
        raise InvalidSignature("bank transfers have no notifications")


def configured() -> InvoiceProvider | None:
    return InvoiceProvider() if settings.PAYMENT_INVOICE else None


register(KEY, configured)
