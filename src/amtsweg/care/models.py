"""Pflegefinder: care facilities with their care offers, the daily vacancy reports of their operators,
the supervising Kreis' finder settings and reminders, place alerts (double opt-in) and the daily
open-data release.

A facility belongs to the Kreis that supervises it (Heimaufsicht; ``authority``) and is managed by its
operator (Träger), an ``identity.Organisation`` whose members are the operator's accounts. The current
vacancy of each care offer is kept on the offer (``free_now``, ``reported_at``, ``expected``) so that a
search reads one row per offer; every report is kept as a ``VacancyReport`` row (history).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class CareType(models.TextChoices):
    """The kinds of care a facility offers places for (Versorgungsart)."""

    FULL_TIME = "vollstationaer", _("Vollstationäre Pflege")
    SHORT_TERM = "kurzzeitpflege", _("Kurzzeitpflege")
    DAY_CARE = "tagespflege", _("Tagespflege")
    NIGHT_CARE = "nachtpflege", _("Nachtpflege")
    HOME_CARE = "ambulant", _("Ambulanter Pflegedienst")
    SHARED_HOUSING = "wohngemeinschaft", _("Pflege-Wohngemeinschaft")


class Specialisation(models.TextChoices):
    """What a facility is specialised in; each has a fixed bit in ``Facility.specialisation_bits``
    (the order below; append only, never reorder)."""

    DEMENTIA = "demenz", _("Demenz")
    VENTILATION = "beatmung", _("Beatmung / Intensivpflege")
    YOUNG_CARE = "junge_pflege", _("Junge Pflege")
    PALLIATIVE = "palliativ", _("Palliativpflege")
    PETS = "haustiere", _("Haustiere erlaubt")
    PROTECTED = "beschuetzt", _("Beschützender Bereich")
    PERSISTENT_VEGETATIVE = "wachkoma", _("Wachkoma / Phase F")
    ADDICTION = "sucht", _("Suchterkrankungen")
    CULTURE = "kultursensibel", _("Kultursensible Pflege")
    BARRIER_FREE = "rollstuhl", _("Vollständig rollstuhlgerecht")


SPECIALISATION_BITS: dict[str, int] = {code: 1 << i for i, code in enumerate(Specialisation.values)}


def specialisation_mask(codes: list[str] | set[str] | tuple[str, ...]) -> int:
    """The bit mask of the given specialisation codes (unknown codes raise KeyError)."""
    mask = 0
    for code in codes:
        mask |= SPECIALISATION_BITS[code]
    return mask


def specialisations_of(bits: int) -> list[str]:
    """The specialisation codes set in ``bits``, in the order of ``Specialisation``."""
    return [code for code, bit in SPECIALISATION_BITS.items() if bits & bit]


class CareFinder(models.Model):
    """The care finder a Kreis runs for the facilities it supervises (Heimaufsicht): when reports count
    as stale, when facilities that have not reported are reminded, and when they are escalated."""

    authority = models.OneToOneField(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="care_finder",
        verbose_name=_("Aufsichtsbehörde"),
    )
    enabled = models.BooleanField(_("Pflegefinder veröffentlicht"), default=True)
    stale_after_hours = models.PositiveSmallIntegerField(
        _("Meldung veraltet nach (Stunden)"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("Ältere Meldungen werden in der Suche als veraltet gekennzeichnet."),
    )
    report_due_time = models.TimeField(
        _("Tägliche Meldung fällig bis"),
        default=time(10, 0),
        help_text=_("Wer bis zu dieser Uhrzeit (Ortszeit) nicht gemeldet hat, wird per E-Mail erinnert."),
    )
    reminders_enabled = models.BooleanField(_("Erinnerungen versenden"), default=True)
    escalate_after_days = models.PositiveSmallIntegerField(
        _("Heimaufsicht informieren nach (Tagen ohne Meldung)"),
        default=3,
        validators=[MinValueValidator(1)],
        help_text=_("Wer so viele Tage nicht gemeldet hat, erscheint auf der Liste der Heimaufsicht."),
    )
    contact_email = models.EmailField(
        _("Kontakt der Heimaufsicht"),
        blank=True,
        help_text=_("Erscheint in Erinnerungen und im Impressum der Daten."),
    )

    class Meta:
        verbose_name = _("Pflegefinder")
        verbose_name_plural = _("Pflegefinder")

    def __str__(self) -> str:
        return str(self.authority)


class Facility(models.Model):
    """A care facility (Pflegeeinrichtung) or home-care service with its address, coordinates, contact
    and specialisations. Its care offers (``CareOffer``) say which kinds of care it offers and how many
    places each has."""

    class Geocoding(models.TextChoices):
        ADDRESS = "address", _("Anschrift")
        POSTCODE = "postcode", _("Postleitzahl (Mittelpunkt)")
        MANUAL = "manual", _("von Hand gesetzt")

    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="care_facilities",
        verbose_name=_("Aufsichtsbehörde"),
        help_text=_("Der Kreis, dessen Heimaufsicht die Einrichtung beaufsichtigt."),
    )
    operator = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        related_name="care_facilities",
        verbose_name=_("Träger"),
        help_text=_("Die Mitglieder des Trägers pflegen die Angaben und melden freie Plätze."),
    )
    name = models.CharField(_("Name"), max_length=200)
    street = models.CharField(_("Straße und Hausnummer"), max_length=200)
    postcode = models.CharField(_("PLZ"), max_length=5, db_index=True)
    town = models.CharField(_("Ort"), max_length=100)
    latitude = models.FloatField(
        _("Breitengrad"), validators=[MinValueValidator(-90.0), MaxValueValidator(90.0)]
    )
    longitude = models.FloatField(
        _("Längengrad"), validators=[MinValueValidator(-180.0), MaxValueValidator(180.0)]
    )
    geocoded_from = models.CharField(
        _("Koordinaten aus"), max_length=10, choices=Geocoding.choices, default=Geocoding.ADDRESS
    )
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    email = models.EmailField(
        _("E-Mail"), blank=True, help_text=_("Öffentliche Kontaktadresse der Einrichtung.")
    )
    report_email = models.EmailField(
        _("E-Mail für Erinnerungen"),
        blank=True,
        help_text=_(
            "Erhält die Erinnerung, wenn keine Meldung eingegangen ist; leer: die öffentliche Adresse."
        ),
    )
    website = models.URLField(_("Internetseite"), blank=True)
    description = models.TextField(_("Beschreibung"), blank=True, max_length=4000)
    specialisation_bits = models.PositiveIntegerField(
        _("Schwerpunkte (Bitmaske)"), default=0, help_text=_("Siehe Specialisation; über die Dienste setzen.")
    )
    languages: models.JSONField[list[str]] = models.JSONField(
        _("gesprochene Sprachen"), default=list, blank=True, help_text=_("ISO-639-1-Codes, z. B. „tr“.")
    )
    active = models.BooleanField(
        _("in der Suche sichtbar"),
        default=True,
        help_text=_("Geschlossene Einrichtungen bleiben mit ihrer Historie erhalten."),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Pflegeeinrichtung")
        verbose_name_plural = _("Pflegeeinrichtungen")
        ordering = ["name"]
        indexes = [
            # The radius search narrows by a latitude band first, then by longitude.
            models.Index(fields=["latitude", "longitude"], name="care_facility_lat_lon"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def specialisations(self) -> list[str]:
        return specialisations_of(self.specialisation_bits)


class CareOffer(models.Model):
    """One kind of care a facility offers (Versorgungsangebot): its places and its current vacancy.

    ``free_now``, ``reported_at`` and ``expected`` are the latest report's (``None``: never reported);
    ``expected`` lists expected free places by date, ``[{"date": "2026-12-01", "places": 2}, ...]``,
    ascending. ``own_share`` is the monthly own share (Eigenanteil) in euros by Pflegegrad
    (``{"2": "2480.00", ...}``).
    """

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="offers", verbose_name=_("Einrichtung")
    )
    care_type = models.CharField(_("Versorgungsart"), max_length=20, choices=CareType.choices)
    capacity = models.PositiveSmallIntegerField(_("Plätze"), validators=[MinValueValidator(1)])
    free_now = models.PositiveSmallIntegerField(_("frei laut letzter Meldung"), null=True, blank=True)
    reported_at = models.DateTimeField(_("letzte Meldung am"), null=True, blank=True, db_index=True)
    expected: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("erwartete freie Plätze"), default=list, blank=True
    )
    own_share: models.JSONField[dict[str, str]] = models.JSONField(
        _("Eigenanteil je Pflegegrad (Euro/Monat)"), default=dict, blank=True
    )

    class Meta:
        verbose_name = _("Versorgungsangebot")
        verbose_name_plural = _("Versorgungsangebote")
        ordering = ["facility_id", "care_type"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "care_type"], name="care_offer_unique_type"),
            models.CheckConstraint(
                condition=models.Q(free_now__isnull=True) | models.Q(free_now__lte=models.F("capacity")),
                name="care_offer_free_within_capacity",
            ),
        ]
        indexes = [models.Index(fields=["care_type", "facility"], name="care_offer_type_facility")]

    def __str__(self) -> str:
        return f"{self.facility_id}:{self.care_type}"


class VacancyReport(models.Model):
    """One report of free places for one care offer (Belegungsmeldung), kept as history.

    A daily update of a facility is one report per care type with the same ``reported_at``.
    ``request_key`` is the API client's Idempotency-Key: a retried request is not stored twice.
    """

    class Channel(models.TextChoices):
        WEB = "web", _("Meldeseite")
        API = "api", _("Schnittstelle")
        STAFF = "staff", _("Heimaufsicht")

    offer = models.ForeignKey(
        CareOffer, on_delete=models.CASCADE, related_name="reports", verbose_name=_("Versorgungsangebot")
    )
    free_places = models.PositiveSmallIntegerField(_("freie Plätze"))
    expected: models.JSONField[list[dict[str, Any]]] = models.JSONField(
        _("erwartete freie Plätze"), default=list, blank=True
    )
    reported_at = models.DateTimeField(_("gemeldet am"))
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gemeldet von"),
    )
    channel = models.CharField(_("Weg"), max_length=8, choices=Channel.choices, default=Channel.WEB)
    request_key = models.CharField(_("Idempotenzschlüssel"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("Belegungsmeldung")
        verbose_name_plural = _("Belegungsmeldungen")
        ordering = ["-reported_at", "-id"]
        indexes = [models.Index(fields=["offer", "-reported_at"], name="care_report_offer_time")]
        constraints = [
            models.UniqueConstraint(
                fields=["offer", "request_key"],
                condition=~models.Q(request_key=""),
                name="care_report_request_key_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.offer_id}@{self.reported_at:%Y-%m-%d %H:%M}: {self.free_places}"


class FacilityPhoto(models.Model):
    """A photo of a facility, shown on its detail page (checked JPEG/PNG/WebP, with a text alternative)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="photos", verbose_name=_("Einrichtung")
    )
    image = models.FileField(_("Bild"), upload_to="care/photos/")
    alt_text = models.CharField(
        _("Bildbeschreibung"), max_length=300, help_text=_("Für Menschen, die das Bild nicht sehen.")
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    uploaded_at = models.DateTimeField(_("hochgeladen am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Foto")
        verbose_name_plural = _("Fotos")
        ordering = ["facility_id", "position", "id"]

    def __str__(self) -> str:
        return self.alt_text


class ReportReminder(models.Model):
    """That a facility was reminded to report on a day (one reminder per facility and day)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("Einrichtung")
    )
    due_date = models.DateField(_("Meldetag"))
    sent_at = models.DateTimeField(_("erinnert am"))

    class Meta:
        verbose_name = _("Erinnerung")
        verbose_name_plural = _("Erinnerungen")
        ordering = ["-due_date"]
        constraints = [
            models.UniqueConstraint(fields=["facility", "due_date"], name="care_reminder_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.facility_id}@{self.due_date}"


class AlertSubscription(models.Model):
    """A place alert (Platz-Alarm): e-mail me when a place of this care type within this radius becomes
    free. Confirmed by double opt-in; ``key`` is the secret of the confirmation and unsubscribe links.
    Only confirmed, not unsubscribed alerts have ``AlertCell`` rows and are matched."""

    email = models.EmailField(_("E-Mail-Adresse"))
    care_type = models.CharField(_("Versorgungsart"), max_length=20, choices=CareType.choices)
    latitude = models.FloatField(_("Breitengrad"))
    longitude = models.FloatField(_("Längengrad"))
    radius_km = models.FloatField(
        _("Umkreis (km)"), validators=[MinValueValidator(0.5), MaxValueValidator(100.0)]
    )
    place_label = models.CharField(
        _("Ort"), max_length=200, help_text=_("Wie die Person den Ort angegeben hat.")
    )
    specialisation_bits = models.PositiveIntegerField(_("Schwerpunkte (Bitmaske)"), default=0)
    language = models.CharField(_("Sprache der E-Mails"), max_length=10, default="de")
    key = models.CharField(_("Schlüssel"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("bestätigt am"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("abgemeldet am"), null=True, blank=True)
    last_notified_at = models.DateTimeField(_("zuletzt benachrichtigt am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Platz-Alarm")
        verbose_name_plural = _("Platz-Alarme")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["email"], name="care_alert_email")]

    def __str__(self) -> str:
        return f"{self.care_type} {self.radius_km} km"

    @property
    def is_active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class AlertCell(models.Model):
    """One grid cell (see ``geo.cell_of``) an active alert's circle touches, per care type: the index that
    matches a facility's report against alerts by one equality lookup."""

    subscription = models.ForeignKey(
        AlertSubscription, on_delete=models.CASCADE, related_name="cells", verbose_name=_("Platz-Alarm")
    )
    cell = models.IntegerField(_("Rasterzelle"))
    care_type = models.CharField(_("Versorgungsart"), max_length=20, choices=CareType.choices)

    class Meta:
        verbose_name = _("Rasterzelle eines Platz-Alarms")
        verbose_name_plural = _("Rasterzellen der Platz-Alarme")
        indexes = [models.Index(fields=["cell", "care_type"], name="care_alert_cell_lookup")]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "cell"], name="care_alert_cell_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.cell}"


class AlertNotification(models.Model):
    """That an alert was e-mailed about a free place (one per alert and report; the throttle reads it)."""

    subscription = models.ForeignKey(
        AlertSubscription,
        on_delete=models.CASCADE,
        related_name="notifications",
        verbose_name=_("Platz-Alarm"),
    )
    report = models.ForeignKey(
        VacancyReport, on_delete=models.CASCADE, related_name="+", verbose_name=_("Meldung")
    )
    created_at = models.DateTimeField(_("benachrichtigt am"))

    class Meta:
        verbose_name = _("Benachrichtigung")
        verbose_name_plural = _("Benachrichtigungen")
        constraints = [
            models.UniqueConstraint(fields=["subscription", "report"], name="care_alert_notification_once")
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}:{self.report_id}"


class OpenDataRelease(models.Model):
    """The daily open-data release of a care finder: the vacancies of every active facility as CSV and
    JSON (no personal data), described in the finder's DCAT-AP.de catalogue."""

    finder = models.ForeignKey(
        CareFinder, on_delete=models.CASCADE, related_name="releases", verbose_name=_("Pflegefinder")
    )
    date = models.DateField(_("Stichtag"))
    created_at = models.DateTimeField(_("erstellt am"))
    csv_file = models.FileField(_("CSV-Datei"), upload_to="care/opendata/")
    json_file = models.FileField(_("JSON-Datei"), upload_to="care/opendata/")
    csv_sha256 = models.CharField(_("SHA-256 (CSV)"), max_length=64)
    json_sha256 = models.CharField(_("SHA-256 (JSON)"), max_length=64)
    csv_size = models.PositiveIntegerField(_("Größe CSV (Bytes)"))
    json_size = models.PositiveIntegerField(_("Größe JSON (Bytes)"))
    rows = models.PositiveIntegerField(_("Zeilen"))

    class Meta:
        verbose_name = _("Open-Data-Veröffentlichung")
        verbose_name_plural = _("Open-Data-Veröffentlichungen")
        ordering = ["-date"]
        constraints = [models.UniqueConstraint(fields=["finder", "date"], name="care_release_once_a_day")]

    def __str__(self) -> str:
        return f"{self.finder_id}@{self.date}"
