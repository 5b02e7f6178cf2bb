"""Vehicle registration at the Kreis road-traffic office (Zulassungsbehörde): the local vehicle
register used by the demo and the tests, the vehicle part of a move handed over by a town
(one ``VehicleChange`` per vehicle), and reservations of desired plates (Wunschkennzeichen).

Plates are stored in their canonical form from ``plates.Plate.text`` (``"NE-AB 123"``,
``"GV-X 7E"``): the district prefix, a hyphen, the letters, a space, the digits and the suffix.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RegisteredVehicle(models.Model):
    """A vehicle in the local register (lokales Fahrzeugregister), the demo and test stand-in for the
    KBA's central register (ZFZR) and the district's own register. Reached only through
    ``registers.LocalVehicleRegister``; production configures another adapter."""

    plate = models.CharField(_("Kennzeichen"), max_length=12, unique=True)
    vin = models.CharField(_("Fahrzeug-Identifizierungsnummer"), max_length=17, unique=True)
    make = models.CharField(_("Hersteller"), max_length=60, blank=True)
    model = models.CharField(_("Typ"), max_length=60, blank=True)
    # The registration authority that keeps the vehicle (Zulassungsbezirk), by its plate prefix.
    district_prefix = models.CharField(_("Unterscheidungszeichen des Bezirks"), max_length=3)
    holder_family_name = models.CharField(_("Familienname der Halterin/des Halters"), max_length=100)
    holder_given_names = models.CharField(_("Vornamen"), max_length=100, blank=True)
    holder_birth_date = models.DateField(_("Geburtsdatum"), null=True, blank=True)
    holder_street = models.CharField(_("Straße und Hausnummer"), max_length=200, blank=True)
    holder_postcode = models.CharField(_("Postleitzahl"), max_length=5, blank=True)
    holder_city = models.CharField(_("Ort"), max_length=100, blank=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Fahrzeug im Register")
        verbose_name_plural = _("Fahrzeuge im Register")

    def __str__(self) -> str:
        return self.plate


class VehicleChange(models.Model):
    """One vehicle of a move at the Kreis (Adressänderung in der Zulassungsbescheinigung Teil I):
    the plate as handed over by the town, the result of the register check, whether an outside
    plate is kept (Kennzeichenmitnahme), and when the change was recorded in the register."""

    class RegisterCheck(models.TextChoices):
        PENDING = "pending", _("noch nicht geprüft")
        FOUND = "found", _("gefunden, Halter stimmt")
        HOLDER_MISMATCH = "holder_mismatch", _("Halter stimmt nicht überein")
        NOT_FOUND = "not_found", _("nicht im Register")
        OTHER_DISTRICT = "other_district", _("anderer Zulassungsbezirk")

    class Outcome(models.TextChoices):
        OPEN = "open", _("offen")
        RECORDED = "recorded", _("Adresse geändert")
        REFUSED = "refused", _("abgelehnt")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="vehicle_changes", verbose_name=_("Vorgang")
    )
    position = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    plate = models.CharField(_("Kennzeichen"), max_length=12)
    register_check = models.CharField(
        _("Registerprüfung"), max_length=16, choices=RegisterCheck.choices, default=RegisterCheck.PENDING
    )
    check_detail: models.JSONField[dict[str, Any]] = models.JSONField(
        _("Ergebnis der Registerprüfung"), default=dict, blank=True, help_text=_("Hersteller, Typ, Bezirk")
    )
    checked_at = models.DateTimeField(_("geprüft am"), null=True, blank=True)
    keep_plate = models.BooleanField(
        _("Kennzeichen behalten (Kennzeichenmitnahme)"),
        default=True,
        help_text=_("Nur bei Zuzug aus einem anderen Zulassungsbezirk von Bedeutung."),
    )
    outcome = models.CharField(_("Ergebnis"), max_length=10, choices=Outcome.choices, default=Outcome.OPEN)
    reason = models.CharField(_("Begründung"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("eingetragen am"), null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("eingetragen von"),
    )

    class Meta:
        verbose_name = _("Fahrzeug eines Umzugs")
        verbose_name_plural = _("Fahrzeuge eines Umzugs")
        ordering = ["case", "position"]
        constraints = [models.UniqueConstraint(fields=["case", "plate"], name="vehicles_change_unique_plate")]

    def __str__(self) -> str:
        return f"{self.plate} ({self.get_outcome_display()})"


class PlateReservation(models.Model):
    """A desired plate (Wunschkennzeichen) reserved for a person for 90 days. At most one active
    reservation per plate, enforced by the database, so two people can never hold the same plate."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("reserviert")
        RELEASED = "released", _("freigegeben")
        EXPIRED = "expired", _("abgelaufen")
        USED = "used", _("zugeteilt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="+", verbose_name=_("Zulassungsbehörde")
    )
    plate = models.CharField(_("Kennzeichen"), max_length=12)
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="plate_reservations",
        verbose_name=_("reserviert für"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="plate_reservations",
        verbose_name=_("Vorgang"),
        help_text=_("Der Vorgang der Reservierung mit der Gebühr"),
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    reserved_at = models.DateTimeField(_("reserviert am"))
    expires_at = models.DateTimeField(_("reserviert bis"))
    extensions = models.PositiveSmallIntegerField(_("Verlängerungen"), default=0)
    ended_at = models.DateTimeField(_("beendet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Wunschkennzeichen-Reservierung")
        verbose_name_plural = _("Wunschkennzeichen-Reservierungen")
        constraints = [
            models.UniqueConstraint(
                fields=["plate"], condition=models.Q(status="active"), name="vehicles_plate_one_active"
            )
        ]
        indexes = [
            models.Index(fields=["holder", "status"], name="vehicles_reservation_holder"),
            models.Index(
                fields=["expires_at"], condition=models.Q(status="active"), name="vehicles_reservation_due"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plate} ({self.get_status_display()})"
