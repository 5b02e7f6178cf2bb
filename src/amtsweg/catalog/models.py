"""Service catalogue: Themenfelder, Lebenslagen, OZG services, LeiKa services and offerings per authority."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from amtsweg.identity.levels import TrustLevel
from amtsweg.tenancy.models import Authority, Office

leika_key_validator = RegexValidator(r"^\d{14}$", _("Der LeiKa-Schlüssel hat genau 14 Ziffern."))
ozg_id_validator = RegexValidator(r"^\d{1,6}$", _("Die OZG-ID besteht aus bis zu 6 Ziffern."))


class Themenfeld(models.Model):
    """A subject area (Themenfeld) of the OZG catalogue, e.g. "Mobilität & Reisen"."""

    name = models.CharField(_("Name"), max_length=200, unique=True)
    slug = models.SlugField(_("Kurzname in Adressen"), max_length=100, unique=True)
    source_id = models.PositiveIntegerField(
        _("Quell-ID"), null=True, blank=True, help_text=_("ID im importierten OZG-Katalog.")
    )

    class Meta:
        verbose_name = _("Themenfeld")
        verbose_name_plural = _("Themenfelder")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Lebenslage(models.Model):
    """A life or business situation (Lebens-/Geschäftslage) within a Themenfeld, e.g. "Umzug"."""

    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname in Adressen"), max_length=120, unique=True)
    themenfeld = models.ForeignKey(
        Themenfeld, on_delete=models.PROTECT, related_name="lebenslagen", verbose_name=_("Themenfeld")
    )
    source_id = models.PositiveIntegerField(_("Quell-ID"), null=True, blank=True)

    class Meta:
        verbose_name = _("Lebenslage")
        verbose_name_plural = _("Lebenslagen")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["themenfeld", "name"], name="lebenslage_per_themenfeld")
        ]

    def __str__(self) -> str:
        return self.name


class OzgService(models.Model):
    """An OZG service (OZG-Leistung) of the OZG-Umsetzungskatalog, bundling one or more LeiKa services."""

    ozg_id = models.CharField(_("OZG-ID"), max_length=6, unique=True, validators=[ozg_id_validator])
    name = models.CharField(_("Name"), max_length=300)
    themenfeld = models.ForeignKey(
        Themenfeld, on_delete=models.PROTECT, related_name="ozg_services", verbose_name=_("Themenfeld")
    )
    lebenslage = models.ForeignKey(
        Lebenslage,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ozg_services",
        verbose_name=_("Lebenslage"),
    )

    class Meta:
        verbose_name = _("OZG-Leistung")
        verbose_name_plural = _("OZG-Leistungen")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.ozg_id})"


class Service(models.Model):
    """A service (Leistung) of the catalogue, keyed by its 14-digit LeiKa key.

    Texts follow the FIM Stammtext structure; ``responsible_level`` says whether the Kreis or the
    town handles it, which drives responsibility routing.
    """

    class Level(models.TextChoices):
        KREIS = "kreis", _("Kreis")
        TOWN = "town", _("Stadt/Gemeinde")

    leika_key = models.CharField(
        _("LeiKa-Schlüssel"), max_length=14, unique=True, validators=[leika_key_validator]
    )
    name = models.CharField(_("Name"), max_length=300)
    leika_type = models.CharField(
        _("LeiKa-Typ"), max_length=20, blank=True, help_text=_("Typisierung im Leistungskatalog, z. B. 2/3.")
    )
    ozg_service = models.ForeignKey(
        OzgService,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="services",
        verbose_name=_("OZG-Leistung"),
    )
    summary = models.TextField(_("Kurztext"), blank=True, help_text=_("Was ist das? Ein bis zwei Sätze."))
    eligibility = models.TextField(_("Wer kann das beantragen?"), blank=True)
    required_documents = models.TextField(_("Welche Unterlagen werden benötigt?"), blank=True)
    fees = models.TextField(_("Welche Gebühren fallen an?"), blank=True)
    legal_basis = models.TextField(_("Rechtsgrundlage"), blank=True)
    processing_time = models.CharField(_("Bearbeitungsdauer"), max_length=200, blank=True)
    keywords = models.TextField(
        _("Suchbegriffe"),
        blank=True,
        help_text=_("Weitere Wörter, unter denen die Leistung gefunden werden soll."),
    )
    required_trust_level = models.CharField(
        _("Vertrauensniveau"), max_length=16, choices=TrustLevel.choices, default=TrustLevel.NORMAL
    )
    responsible_level = models.CharField(
        _("zuständige Ebene"), max_length=8, choices=Level.choices, default=Level.TOWN
    )
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True, db_index=True)

    class Meta:
        verbose_name = _("Leistung")
        verbose_name_plural = _("Leistungen")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.leika_key})"


class ServiceOffering(models.Model):
    """How one authority offers a service (Leistungsangebot): enabled, OZG maturity, online link, contact."""

    class Maturity(models.IntegerChoices):
        """OZG Reifegradmodell."""

        OFFLINE = 0, _("0 – nur offline")
        INFORMATION = 1, _("1 – Information online")
        FORM = 2, _("2 – Formular online")
        ONLINE_APPLICATION = 3, _("3 – Antrag online mit Nachweisen")
        ONLINE_TRANSACTION = 4, _("4 – vollständig digital (Once-Only)")

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("Leistung")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="offerings", verbose_name=_("Behörde")
    )
    enabled = models.BooleanField(_("angeboten"), default=True)
    maturity = models.PositiveSmallIntegerField(
        _("Reifegrad"), choices=Maturity.choices, default=Maturity.INFORMATION
    )
    online_url = models.URLField(
        _("Online-Dienst"),
        blank=True,
        help_text=_("Adresse des Online-Antrags, wenn er nicht auf Amtsweg läuft."),
    )
    contact_email = models.EmailField(_("Kontakt E-Mail"), blank=True)
    contact_phone = models.CharField(_("Kontakt Telefon"), max_length=40, blank=True)
    office = models.ForeignKey(
        Office,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offerings",
        verbose_name=_("Dienststelle"),
    )
    team = models.ForeignKey(
        "tenancy.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offerings",
        verbose_name=_("Team für Anträge"),
        help_text=_("Neue Vorgänge dieser Leistung landen im Posteingang dieses Teams."),
    )
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Leistungsangebot")
        verbose_name_plural = _("Leistungsangebote")
        ordering = ["service__name", "authority__name"]
        constraints = [
            models.UniqueConstraint(fields=["service", "authority"], name="one_offering_per_authority")
        ]

    def __str__(self) -> str:
        return f"{self.service.name} – {self.authority.name}"


class ResponsibilityOverride(models.Model):
    """An alliance-configured exception to the default routing (Zuständigkeitsregel).

    For ``service`` and citizens living in ``area`` (a town), ``responsible`` handles the case
    instead of the default (the town for town-level services, its Kreis for Kreis-level ones).
    Example: the Kreis keeps the Baulastenverzeichnis for Jüchen and Rommerskirchen.
    """

    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="responsibility_overrides", verbose_name=_("Leistung")
    )
    area = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("Gebiet (Wohnort)")
    )
    responsible = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="+", verbose_name=_("zuständige Behörde")
    )

    class Meta:
        verbose_name = _("Zuständigkeitsregel")
        verbose_name_plural = _("Zuständigkeitsregeln")
        constraints = [models.UniqueConstraint(fields=["service", "area"], name="one_override_per_area")]

    def __str__(self) -> str:
        return f"{self.service.name}: {self.area.name} → {self.responsible.name}"
