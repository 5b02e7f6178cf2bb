"""The transactional outbox: side effects (e-mail, PDFs, hand-over) recorded in the same transaction as
the change that causes them, and delivered afterwards by the background worker."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """One side effect to deliver (Zustellauftrag), retried with backoff until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("wartet")
        DONE = "done", _("erledigt")
        FAILED = "failed", _("fehlgeschlagen")

    kind = models.CharField(_("Art"), max_length=60, help_text=_("Name des Handlers, z. B. „email.receipt“."))
    payload: models.JSONField[dict[str, Any]] = models.JSONField(
        _("Daten"), default=dict, help_text=_("Nur Schlüssel (IDs), keine personenbezogenen Daten.")
    )
    dedupe_key = models.CharField(
        _("Eindeutigkeitsschlüssel"),
        max_length=200,
        unique=True,
        help_text=_("Derselbe Auftrag entsteht nie zweimal."),
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Behörde"),
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("Versuche"), default=0)
    next_attempt_at = models.DateTimeField(_("nächster Versuch"))
    locked_until = models.DateTimeField(
        _("in Arbeit bis"), null=True, blank=True, help_text=_("Ein Worker bearbeitet den Auftrag bis dahin.")
    )
    last_error = models.TextField(_("letzter Fehler"), blank=True)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    done_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Zustellauftrag")
        verbose_name_plural = _("Zustellaufträge")
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbox_due"),
            models.Index(fields=["authority", "status"], name="outbox_authority_status"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"
