"""Authorities (Behörden) of the alliance, their offices, teams, staff roles and the access audit."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

ags_validator = RegexValidator(r"^\d{8}$", _("Der AGS hat genau 8 Ziffern."))
regional_key_validator = RegexValidator(r"^\d{12}$", _("Der Regionalschlüssel hat genau 12 Ziffern."))
postcode_validator = RegexValidator(r"^\d{5}$", _("Die Postleitzahl hat genau 5 Ziffern."))
colour_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Farbe als #RRGGBB angeben."))


class Alliance(models.Model):
    """An alliance (Verbund) of authorities that run the platform together, e.g. a Kreis and its towns."""

    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname"), unique=True)
    description = models.TextField(_("Beschreibung"), blank=True)
    administrators = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="administered_alliances",
        verbose_name=_("Verbundadministration"),
        help_text=_("Konten, die Behörden aufnehmen, Module freischalten und Rollen verwalten."),
    )

    class Meta:
        verbose_name = _("Verbund")
        verbose_name_plural = _("Verbünde")

    def __str__(self) -> str:
        return self.name


class Authority(models.Model):
    """An authority (Behörde): a Kreis or a town/municipality, the tenant of the platform.

    Identified by the 8-digit Amtlicher Gemeindeschlüssel (AGS) and the 12-digit Regionalschlüssel (ARS).
    A Kreis has AGS ``<5-digit Kreis key>000``; its towns point to it as ``parent``.
    """

    class Kind(models.TextChoices):
        KREIS = "kreis", _("Kreis")
        KREISFREIE_STADT = "kreisfreie_stadt", _("Kreisfreie Stadt")
        STADT = "stadt", _("Stadt")
        GEMEINDE = "gemeinde", _("Gemeinde")

    alliance = models.ForeignKey(
        Alliance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorities",
        verbose_name=_("Verbund"),
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("Name"), max_length=200, help_text=_("Kurzer Name, z. B. „Neuss“."))
    official_name = models.CharField(
        _("Amtliche Bezeichnung"),
        max_length=200,
        blank=True,
        help_text=_("Bezeichnung im Gemeindeverzeichnis, z. B. „Neuss, Stadt“."),
    )
    slug = models.SlugField(_("Kurzname in Adressen"), unique=True, max_length=100)
    ags = models.CharField(
        _("AGS"),
        max_length=8,
        unique=True,
        validators=[ags_validator],
        help_text=_("Amtlicher Gemeindeschlüssel, 8 Ziffern."),
    )
    regional_key = models.CharField(
        _("Regionalschlüssel"),
        max_length=12,
        unique=True,
        validators=[regional_key_validator],
        help_text=_("Amtlicher Regionalschlüssel (ARS), 12 Ziffern."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("übergeordnete Behörde"),
    )
    primary_colour = models.CharField(
        _("Hauptfarbe"), max_length=7, default="#004b87", validators=[colour_validator]
    )
    accent_colour = models.CharField(
        _("Akzentfarbe"), max_length=7, default="#e2001a", validators=[colour_validator]
    )
    coat_of_arms = models.FileField(
        _("Wappen"), upload_to="authorities/", blank=True, help_text=_("Wappen als SVG oder PNG.")
    )
    website = models.URLField(_("Internetseite"), blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    is_active = models.BooleanField(
        _("aktiv"), default=True, help_text=_("Nur aktive Behörden erscheinen im Portal.")
    )

    class Meta:
        verbose_name = _("Behörde")
        verbose_name_plural = _("Behörden")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_kreis_level(self) -> bool:
        return self.kind in {self.Kind.KREIS, self.Kind.KREISFREIE_STADT}

    @property
    def kreis_key(self) -> str:
        return self.ags[:5]


class Office(models.Model):
    """An office (Dienststelle), e.g. a citizen office (Bürgerbüro) or the road-traffic office."""

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="offices", verbose_name=_("Behörde")
    )
    name = models.CharField(_("Name"), max_length=200)
    slug = models.SlugField(_("Kurzname in Adressen"), max_length=100)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200)
    postcode = models.CharField(_("PLZ"), max_length=5, validators=[postcode_validator])
    city = models.CharField(_("Ort"), max_length=100)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email = models.EmailField(_("E-Mail"), blank=True)
    accessibility = models.TextField(
        _("Barrierefreiheit"),
        blank=True,
        help_text=_("Zugang, Aufzug, Parkplätze für Menschen mit Behinderung."),
    )
    latitude = models.DecimalField(_("Breitengrad"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("Längengrad"), max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        verbose_name = _("Dienststelle")
        verbose_name_plural = _("Dienststellen")
        ordering = ["authority__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["authority", "slug"], name="office_slug_per_authority")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.name})"


class OpeningHours(models.Model):
    """One opening period (Öffnungszeit) of an office on a weekday; several per day are allowed."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Montag")
        TUESDAY = 1, _("Dienstag")
        WEDNESDAY = 2, _("Mittwoch")
        THURSDAY = 3, _("Donnerstag")
        FRIDAY = 4, _("Freitag")
        SATURDAY = 5, _("Samstag")
        SUNDAY = 6, _("Sonntag")

    office = models.ForeignKey(
        Office, on_delete=models.CASCADE, related_name="opening_hours", verbose_name=_("Dienststelle")
    )
    weekday = models.PositiveSmallIntegerField(_("Wochentag"), choices=Weekday.choices)
    opens = models.TimeField(_("von"))
    closes = models.TimeField(_("bis"))

    class Meta:
        verbose_name = _("Öffnungszeit")
        verbose_name_plural = _("Öffnungszeiten")
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes__gt=models.F("opens")), name="opening_closes_after_opens"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"


class Membership(models.Model):
    """A staff account's role at one authority: caseworker (Sachbearbeitung) or authority administrator."""

    class Role(models.TextChoices):
        CASEWORKER = "caseworker", _("Sachbearbeitung")
        AUTHORITY_ADMIN = "authority_admin", _("Behördenadministration")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("Konto"),
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("Behörde")
    )
    role = models.CharField(_("Rolle"), max_length=20, choices=Role.choices, default=Role.CASEWORKER)

    class Meta:
        verbose_name = _("Mitgliedschaft")
        verbose_name_plural = _("Mitgliedschaften")
        constraints = [
            models.UniqueConstraint(fields=["user", "authority"], name="one_membership_per_authority")
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.authority} ({self.get_role_display()})"


class Team(models.Model):
    """A team (Sachgebiet, Team) of an authority; its members work the team's inbox."""

    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="teams", verbose_name=_("Behörde")
    )
    name = models.CharField(_("Name"), max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="teams", verbose_name=_("Mitglieder")
    )

    class Meta:
        verbose_name = _("Team")
        verbose_name_plural = _("Teams")
        ordering = ["authority__name", "name"]
        constraints = [models.UniqueConstraint(fields=["authority", "name"], name="team_name_per_authority")]

    def __str__(self) -> str:
        return f"{self.name} ({self.authority.name})"


class PostcodeArea(models.Model):
    """Which authority's territory a postcode (and optionally one street in it) belongs to.

    A postcode that covers parts of two towns has one row per town; streets then decide.
    """

    postcode = models.CharField(_("PLZ"), max_length=5, validators=[postcode_validator], db_index=True)
    street = models.CharField(
        _("Straße"), max_length=200, blank=True, help_text=_("Leer: die ganze PLZ gehört zur Behörde.")
    )
    authority = models.ForeignKey(
        Authority, on_delete=models.CASCADE, related_name="postcode_areas", verbose_name=_("Behörde")
    )

    class Meta:
        verbose_name = _("PLZ-Gebiet")
        verbose_name_plural = _("PLZ-Gebiete")
        constraints = [
            models.UniqueConstraint(fields=["postcode", "street", "authority"], name="postcode_area_unique")
        ]

    def __str__(self) -> str:
        return f"{self.postcode} {self.street} → {self.authority.name}".replace("  ", " ")


class AuditEvent(models.Model):
    """One entry of the access audit (Zugriffsprotokoll): who read or changed which authority-owned object."""

    class Action(models.TextChoices):
        READ = "read", _("gelesen")
        CREATE = "create", _("angelegt")
        UPDATE = "update", _("geändert")
        DELETE = "delete", _("gelöscht")
        DENIED = "denied", _("verweigert")

    at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("handelnde Person"),
    )
    authority = models.ForeignKey(
        Authority,
        on_delete=models.SET_NULL,
        null=True,
        related_name="audit_events",
        verbose_name=_("Behörde"),
    )
    action = models.CharField(_("Aktion"), max_length=10, choices=Action.choices)
    object_type = models.CharField(_("Objektart"), max_length=100)
    object_id = models.CharField(_("Objekt-ID"), max_length=64)
    channel = models.CharField(_("Kanal"), max_length=10, help_text=_("web, api, admin oder cli"))
    changes = models.JSONField(
        _("Änderungen"), default=dict, blank=True, help_text=_("Geänderte Felder mit altem und neuem Wert.")
    )

    class Meta:
        verbose_name = _("Protokolleintrag")
        verbose_name_plural = _("Zugriffsprotokoll")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["authority", "-at"], name="audit_authority_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_type}#{self.object_id}"
