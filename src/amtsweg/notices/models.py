"""Notices (Bescheide): templates per service, issued notices with a public verification code."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class NoticeTemplate(models.Model):
    """The template of a notice for a service (Bescheidvorlage), the alliance's or one authority's."""

    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        related_name="notice_templates",
        verbose_name=_("Leistung"),
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notice_templates",
        verbose_name=_("Behörde"),
        help_text=_("Leer: die Vorlage des Verbunds."),
    )
    decision = models.CharField(
        _("für Entscheidung"),
        max_length=12,
        choices=[
            ("granted", _("bewilligt")),
            ("partially", _("teilweise bewilligt")),
            ("rejected", _("abgelehnt")),
        ],
    )
    subject = models.CharField(_("Betreff"), max_length=300)
    body = models.TextField(
        _("Text"), help_text=_("Django-Vorlage; verfügbar sind case, data, authority, fees und today.")
    )
    legal_remedy = models.TextField(_("Rechtsbehelfsbelehrung"))
    fee_lines: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("Gebührenpositionen"),
        default=list,
        blank=True,
        help_text=_("Liste von {„label“, „legal_basis“, „amount“ (z. B. „12.50“)}."),
    )

    class Layout(models.TextChoices):
        LETTER = "letter", _("Bescheid (Brief)")
        CERTIFICATE = "certificate", _("Bescheinigung (Urkunde)")

    layout = models.CharField(
        _("Layout"),
        max_length=12,
        choices=Layout.choices,
        default=Layout.LETTER,
        help_text=_("Brief mit Anschrift und Rechtsbehelfsbelehrung, oder Bescheinigung auf einer Seite."),
    )
    is_active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        verbose_name = _("Bescheidvorlage")
        verbose_name_plural = _("Bescheidvorlagen")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "decision"],
                condition=models.Q(authority__isnull=True),
                name="alliance_notice_template_per_decision",
            ),
            models.UniqueConstraint(
                fields=["service", "authority", "decision"],
                condition=models.Q(authority__isnull=False),
                name="notice_template_per_decision",
            ),
        ]

    def __str__(self) -> str:
        return self.subject


class Notice(models.Model):
    """An issued notice (Bescheid): rendered once as PDF/A by the worker, verifiable by its code."""

    class Status(models.TextChoices):
        RENDERING = "rendering", _("wird erstellt")
        ISSUED = "issued", _("erlassen")
        REVOKED = "revoked", _("aufgehoben")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="notices", verbose_name=_("Vorgang")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="notices",
        verbose_name=_("erlassende Behörde"),
    )
    template = models.ForeignKey(
        NoticeTemplate, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("Vorlage")
    )
    code = models.CharField(_("Prüfcode"), max_length=40, unique=True)
    subject = models.CharField(_("Betreff"), max_length=300)
    decision = models.CharField(_("Entscheidung"), max_length=12)
    body = models.TextField(_("Text"), help_text=_("Der Text, wie er im Bescheid steht."))
    legal_remedy = models.TextField(_("Rechtsbehelfsbelehrung"))
    fee_lines: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("Gebührenpositionen"), default=list
    )
    fee_total = models.DecimalField(_("Gebühren gesamt"), max_digits=10, decimal_places=2, default=0)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gezeichnet von"),
        help_text=_("Leer: maschinell erstellt (§ 37 Abs. 5 VwVfG), ohne Unterschrift gültig."),
    )
    issued_at = models.DateTimeField(_("erlassen am"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.RENDERING)
    document = models.ForeignKey(
        "cases.Document",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("PDF"),
    )
    holder: models.JSONField[dict[str, Any]] = models.JSONField(
        _("Inhaber (wie gedruckt)"),
        default=dict,
        blank=True,
        help_text=_(
            "Für Bescheinigungen: die Angaben zur Person, die die öffentliche Prüfung zeigt "
            "(„name“, „birth_year“) – nur so viel, wie zum Abgleich nötig ist."
        ),
    )
    revoked_at = models.DateTimeField(_("aufgehoben am"), null=True, blank=True)
    revoked_reason = models.CharField(_("Grund der Aufhebung"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("Bescheid")
        verbose_name_plural = _("Bescheide")
        ordering = ["-issued_at"]

    def __str__(self) -> str:
        return f"{self.subject} ({self.case})"
