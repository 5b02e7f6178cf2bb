"""Fees, payments and their reconciliation with bank statements.

Amounts are integer cents (``amount_cents``) everywhere; currency is EUR. A ``Payment`` moves
through a small state machine (``payments.states``); every transition is a ``PaymentEvent``, and an
event carrying the provider's or bank's identifier is stored once only, so a notification that
arrives twice changes nothing the second time.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Fee(models.Model):
    """A fee of a service (Gebühr), alliance-wide (``authority`` empty) or of one authority.

    ``kind`` says how the amount is found: ``fixed`` (``amount_cents``), ``per_unit``
    (``amount_cents`` × the number in form field ``unit_field``) or ``formula`` (a safe expression
    over the form data, evaluated by ``processes.expressions``, giving euros). ``timing`` says whether
    it is paid before submission or requested later by the process (action ``payment.request``).
    An authority's fee replaces the alliance-wide one for the same service.
    """

    class Kind(models.TextChoices):
        FIXED = "fixed", _("fester Betrag")
        PER_UNIT = "per_unit", _("je Einheit")
        FORMULA = "formula", _("berechnet aus den Antragsdaten")

    class Timing(models.TextChoices):
        BEFORE_SUBMISSION = "before_submission", _("vor dem Einreichen")
        ON_REQUEST = "on_request", _("auf Anforderung im Verfahren")

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="fee_rules", verbose_name=_("Leistung")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fees",
        verbose_name=_("Behörde"),
        help_text=_("Leer: gilt im ganzen Verbund, soweit eine Behörde keine eigene Gebühr festlegt."),
    )
    key = models.SlugField(_("Kennung"), max_length=60, default="gebuehr")
    title = models.CharField(_("Bezeichnung"), max_length=200)
    kind = models.CharField(_("Berechnung"), max_length=10, choices=Kind.choices, default=Kind.FIXED)
    amount_cents = models.PositiveIntegerField(_("Betrag in Cent"), default=0)
    unit_field = models.CharField(_("Feld mit der Anzahl"), max_length=200, blank=True)
    formula = models.CharField(_("Formel (Euro)"), max_length=500, blank=True)
    timing = models.CharField(
        _("Zahlung"), max_length=20, choices=Timing.choices, default=Timing.BEFORE_SUBMISSION
    )
    legal_basis = models.CharField(_("Rechtsgrundlage"), max_length=300, blank=True)
    active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Gebühr")
        verbose_name_plural = _("Gebühren")
        constraints = [
            models.UniqueConstraint(fields=["service", "authority", "key"], name="fee_unique_per_authority"),
            models.UniqueConstraint(
                fields=["service", "key"], condition=models.Q(authority=None), name="fee_unique_alliance"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Waiver(models.Model):
    """A voucher code that waives a fee (e.g. Ehrenamtskarte): of one authority, limited in uses and time."""

    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.CASCADE, related_name="waivers", verbose_name=_("Behörde")
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="waivers",
        verbose_name=_("Leistung"),
        help_text=_("Leer: für alle Leistungen der Behörde."),
    )
    code = models.CharField(_("Gutscheincode"), max_length=40)
    reason = models.CharField(_("Grund"), max_length=200)
    uses_left = models.PositiveIntegerField(_("verbleibende Einlösungen"), default=1)
    valid_until = models.DateField(_("gültig bis"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Gebührenbefreiung")
        verbose_name_plural = _("Gebührenbefreiungen")
        constraints = [models.UniqueConstraint(fields=["authority", "code"], name="waiver_code_unique")]

    def __str__(self) -> str:
        return self.code


class Payment(models.Model):
    """A payment owed for a draft (before submission) or a case (requested by the process).

    ``kassenzeichen`` is the reference the treasury books it under (unique per authority, also the
    remittance reference on invoices and bank statements). ``provider`` is the key of the provider
    plug-in (``payments.providers``); ``provider_reference`` its transaction id.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        PENDING = "pending", _("in Bearbeitung beim Zahlungsdienst")
        PAID = "paid", _("bezahlt")
        FAILED = "failed", _("fehlgeschlagen")
        REFUNDED = "refunded", _("erstattet")
        # "erlassen" also means "issued" (a notice): the context keeps the two translations apart.
        WAIVED = "waived", pgettext_lazy("fee", "erlassen")
        CANCELLED = "cancelled", _("storniert")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="payments", verbose_name=_("Behörde")
    )
    draft = models.ForeignKey(
        "forms.Draft",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("Entwurf"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("Vorgang"),
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="payments",
        verbose_name=_("Zahler/in"),
    )
    fee = models.ForeignKey(
        Fee,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("Gebühr"),
    )
    purpose = models.CharField(_("Verwendungszweck"), max_length=140)
    amount_cents = models.PositiveIntegerField(_("Betrag in Cent"))
    currency = models.CharField(_("Währung"), max_length=3, default="EUR", editable=False)
    kassenzeichen = models.CharField(_("Kassenzeichen"), max_length=35)
    provider = models.CharField(_("Zahlungsweg"), max_length=40)
    provider_reference = models.CharField(_("Transaktion beim Zahlungsdienst"), max_length=100, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    waiver = models.ForeignKey(
        Waiver,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        verbose_name=_("Befreiung"),
    )
    due_date = models.DateField(_("fällig am"), null=True, blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    paid_at = models.DateTimeField(_("bezahlt am"), null=True, blank=True)
    last_checked_at = models.DateTimeField(_("zuletzt beim Zahlungsdienst geprüft"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zahlung")
        verbose_name_plural = _("Zahlungen")
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "kassenzeichen"], name="payment_kassenzeichen_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(draft__isnull=False) | models.Q(case__isnull=False),
                name="payment_has_owner",
            ),
        ]
        indexes = [models.Index(fields=["status", "provider"], name="payment_status_provider")]

    def __str__(self) -> str:
        return self.kassenzeichen


class PaymentEvent(models.Model):
    """One transition of a payment (or a repeated notification that changed nothing), in order.

    ``source`` says who reported it (provider notification, return of the browser, status poll,
    bank statement, staff); ``external_id`` is that source's identifier of the report, unique per
    payment and source, which makes every report idempotent.
    """

    class Source(models.TextChoices):
        SYSTEM = "system", _("Plattform")
        NOTIFICATION = "notification", _("Benachrichtigung des Zahlungsdienstes")
        RETURN = "return", _("Rückkehr vom Zahlungsdienst")
        POLL = "poll", _("Statusabfrage")
        BANK = "bank", _("Kontoauszug")
        STAFF = "staff", _("Sachbearbeitung")

    payment = models.ForeignKey(
        Payment, on_delete=models.CASCADE, related_name="events", verbose_name=_("Zahlung")
    )
    from_status = models.CharField(_("von"), max_length=10, blank=True)
    to_status = models.CharField(_("nach"), max_length=10)
    source = models.CharField(_("Quelle"), max_length=12, choices=Source.choices)
    external_id = models.CharField(_("Kennung der Meldung"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("durch"),
    )
    detail: models.JSONField[dict[str, Any]] = models.JSONField(_("Einzelheiten"), default=dict, blank=True)
    created_at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True)

    class Meta:
        verbose_name = _("Zahlungsereignis")
        verbose_name_plural = _("Zahlungsereignisse")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment", "source", "external_id"],
                condition=~models.Q(external_id=""),
                name="payment_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.payment_id}: {self.from_status} → {self.to_status}"


class ProviderNotification(models.Model):
    """Every server-to-server notification received, valid or not (forged ones are kept as evidence).

    Only hashes and ids are stored, never the payer's data: ``body_sha256`` identifies the body.
    """

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("verarbeitet")
        DUPLICATE = "duplicate", _("bereits verarbeitet")
        STALE = "stale", _("veraltet (späterer Stand bekannt)")
        FORGED = "forged", _("Signatur ungültig")
        UNKNOWN = "unknown", _("unbekannte Zahlung")
        INVALID = "invalid", _("fehlerhaft")

    provider = models.CharField(_("Zahlungsdienst"), max_length=40)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="notifications"
    )
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices)
    body_sha256 = models.CharField(_("Prüfsumme"), max_length=64)
    remote_address = models.GenericIPAddressField(_("Absender"), null=True, blank=True)
    received_at = models.DateTimeField(_("empfangen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        indexes = [models.Index(fields=["outcome", "received_at"], name="notification_outcome")]

    def __str__(self) -> str:
        return f"{self.provider} {self.outcome}"


class BankStatement(models.Model):
    """An imported CAMT.053 statement of an authority's account; a file is imported once (sha256)."""

    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="bank_statements",
        verbose_name=_("Behörde"),
    )
    statement_id = models.CharField(_("Auszugskennung"), max_length=35)
    iban = models.CharField(_("IBAN"), max_length=34)
    sha256 = models.CharField(_("Prüfsumme der Datei"), max_length=64)
    created_on = models.DateTimeField(_("erstellt am (Bank)"), null=True, blank=True)
    imported_at = models.DateTimeField(_("eingelesen am"), auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("eingelesen von"),
    )

    class Meta:
        verbose_name = _("Kontoauszug")
        verbose_name_plural = _("Kontoauszüge")
        constraints = [models.UniqueConstraint(fields=["authority", "sha256"], name="bank_statement_once")]

    def __str__(self) -> str:
        return self.statement_id


class BankEntry(models.Model):
    """A credit on a statement and how it was matched; anything not ``matched`` needs clearing by staff."""

    class Outcome(models.TextChoices):
        MATCHED = "matched", _("zugeordnet")
        UNKNOWN_REFERENCE = "unknown_reference", _("Kassenzeichen unbekannt")
        WRONG_AMOUNT = "wrong_amount", _("Betrag weicht ab")
        DOUBLE_PAYMENT = "double_payment", _("doppelt bezahlt")
        NOT_CREDIT = "not_credit", _("keine Gutschrift")

    statement = models.ForeignKey(
        BankStatement, on_delete=models.CASCADE, related_name="entries", verbose_name=_("Kontoauszug")
    )
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="bank_entries", verbose_name=_("Behörde")
    )
    entry_reference = models.CharField(_("Buchungsreferenz der Bank"), max_length=100)
    amount_cents = models.BigIntegerField(_("Betrag in Cent"))
    booking_date = models.DateField(_("Buchungstag"))
    remittance = models.CharField(_("Verwendungszweck"), max_length=500, blank=True)
    reference = models.CharField(_("erkanntes Kassenzeichen"), max_length=35, blank=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.SET_NULL, null=True, blank=True, related_name="bank_entries"
    )
    outcome = models.CharField(_("Ergebnis"), max_length=20, choices=Outcome.choices)
    resolved_at = models.DateTimeField(_("geklärt am"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution_note = models.CharField(_("Vermerk zur Klärung"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Buchung")
        verbose_name_plural = _("Buchungen")
        constraints = [
            models.UniqueConstraint(fields=["authority", "entry_reference"], name="bank_entry_once")
        ]
        indexes = [models.Index(fields=["authority", "outcome", "resolved_at"], name="bank_entry_open")]

    def __str__(self) -> str:
        return self.entry_reference


class PaymentAccount(models.Model):
    """The bank account of an authority's treasury (Stadtkasse, Kreiskasse): payee on invoices and
    GiroCodes, and the account whose CAMT.053 statements are reconciled."""

    authority = models.OneToOneField(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        related_name="payment_account",
        verbose_name=_("Behörde"),
    )
    recipient = models.CharField(_("Empfänger"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    kassenzeichen_prefix = models.CharField(
        _("Präfix der Kassenzeichen"), max_length=10, help_text=_("z. B. 'NE' für die Stadtkasse Neuss.")
    )
    payment_days = models.PositiveSmallIntegerField(_("Zahlungsfrist in Tagen"), default=14)

    class Meta:
        verbose_name = _("Konto der Kasse")
        verbose_name_plural = _("Konten der Kassen")

    def __str__(self) -> str:
        return f"{self.recipient} ({self.iban})"


class KassenzeichenCounter(models.Model):
    """The last Kassenzeichen number given per authority and year; locked while counting."""

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, verbose_name=_("Behörde"))
    year = models.PositiveSmallIntegerField(_("Jahr"))
    last = models.PositiveIntegerField(_("letzte Nummer"), default=0)

    class Meta:
        verbose_name = _("Nummernkreis der Kassenzeichen")
        verbose_name_plural = _("Nummernkreise der Kassenzeichen")
        constraints = [
            models.UniqueConstraint(fields=["authority", "year"], name="kassenzeichen_counter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}: {self.last}"
