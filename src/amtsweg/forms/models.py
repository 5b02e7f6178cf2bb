"""Versioned form definitions (Formulare) per service and authority, and citizens' drafts (Entwürfe)."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .schema import FormSchema


class FormDefinition(models.Model):
    """The form of a service: the alliance's (``authority`` empty) or one authority's variant."""

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="forms", verbose_name=_("Leistung")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="form_variants",
        verbose_name=_("Behörde"),
        help_text=_("Leer: das Formular des Verbunds. Sonst die Variante dieser Behörde."),
    )
    name = models.CharField(_("Name"), max_length=300)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Formular")
        verbose_name_plural = _("Formulare")
        constraints = [
            # Two partial constraints instead of nulls_distinct=False, which SQLite does not support.
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(authority__isnull=True),
                name="one_alliance_form_per_service",
            ),
            models.UniqueConstraint(
                fields=["service", "authority"],
                condition=models.Q(authority__isnull=False),
                name="one_form_variant_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class FormVersion(models.Model):
    """One version of a form. Published versions are never changed; drafts keep their version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        RETIRED = "retired", _("abgelöst")

    definition = models.ForeignKey(
        FormDefinition, on_delete=models.CASCADE, related_name="versions", verbose_name=_("Formular")
    )
    number = models.PositiveIntegerField(_("Version"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    schema = models.JSONField(_("Definition"), help_text=_("Die Formulardefinition (siehe forms/schema.py)."))
    source = models.CharField(
        _("Quelle"), max_length=200, blank=True, help_text=_("z. B. „XDatenfelder 3.0.0 G60000000088 v1.1“")
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Formularversion")
        verbose_name_plural = _("Formularversionen")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="form_version_number_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="published"),
                name="one_published_version_per_form",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} v{self.number}"

    @property
    def parsed(self) -> FormSchema:
        """The definition as a typed schema, parsed once per instance."""
        cached: FormSchema | None = self.__dict__.get("_parsed")
        if cached is None:
            cached = FormSchema.model_validate(self.schema)
            self.__dict__["_parsed"] = cached
        return cached


class Draft(models.Model):
    """An application in progress (Antragsentwurf): answers so far, on the form version it started with.

    The public id is a random UUID, and every lookup also checks the applicant, so a guessed or
    tampered id never reveals another citizen's draft.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    form_version = models.ForeignKey(
        FormVersion, on_delete=models.PROTECT, related_name="drafts", verbose_name=_("Formularversion")
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="drafts", verbose_name=_("Leistung")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="drafts",
        verbose_name=_("zuständige Behörde"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="drafts",
        verbose_name=_("Antragsteller/in"),
    )
    data: models.JSONField[dict[str, Any]] = models.JSONField(_("Antworten"), default=dict, blank=True)
    current_step = models.CharField(_("aktueller Schritt"), max_length=63, blank=True)
    completed_steps: models.JSONField[list[str]] = models.JSONField(
        _("erledigte Schritte"), default=list, blank=True
    )
    created_at = models.DateTimeField(_("begonnen am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("zuletzt gespeichert"), auto_now=True)
    submitted_at = models.DateTimeField(_("eingereicht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Antragsentwurf")
        verbose_name_plural = _("Antragsentwürfe")
        indexes = [models.Index(fields=["applicant", "-updated_at"], name="draft_applicant_updated")]

    def __str__(self) -> str:
        return f"{self.service} ({self.id})"
