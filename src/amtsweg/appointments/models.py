"""Appointment booking for citizen offices: offices that give appointments, counters, services with
durations, breaks and closures, appointments, the occupancy that makes double booking impossible,
the waiting-room queue, and appointments requested by a case's process.

Times are stored in UTC; opening hours, breaks and the booking grid are wall-clock times of
``Europe/Berlin`` (``appointments.calendar`` converts, including the DST days). A booked interval
occupies one ``Occupancy`` row per grid unit and counter, and a unique constraint on
``(counter, unit)`` is what guarantees that no unit is ever given twice, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_revision() -> str:
    return uuid.uuid4().hex


class AppointmentOffice(models.Model):
    """The appointment settings of an office (Terminvergabe einer Dienststelle).

    Opening hours are the office's ``tenancy.OpeningHours``; NRW public holidays close it (the
    ``holidays`` library); ``Break`` and ``Closure`` take more time out.
    """

    office = models.OneToOneField(
        "tenancy.Office",
        on_delete=models.CASCADE,
        related_name="appointment_settings",
        verbose_name=_("Dienststelle"),
    )
    enabled = models.BooleanField(
        _("Online-Terminvergabe"), default=True, help_text=_("Nur dann sind Termine online buchbar.")
    )
    grid_minutes = models.PositiveSmallIntegerField(
        _("Zeitraster (Minuten)"),
        default=10,
        choices=[(minutes, str(minutes)) for minutes in (5, 10, 15, 20, 30, 60)],
        help_text=_("Termine beginnen in diesem Raster; Dauern sind Vielfache davon."),
    )
    book_from_days = models.PositiveSmallIntegerField(
        _("buchbar ab (Tage)"), default=1, help_text=_("1 = frühestens morgen.")
    )
    book_until_days = models.PositiveSmallIntegerField(
        _("buchbar bis (Tage)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("Wie viele Tage im Voraus gebucht werden kann."),
    )
    hold_minutes = models.PositiveSmallIntegerField(
        _("Reservierung gilt (Minuten)"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(24 * 60)],
        help_text=_("So lange wartet eine Reservierung auf die Bestätigung per E-Mail."),
    )
    release_delay_minutes = models.PositiveIntegerField(
        _("abgesagte Termine zurückhalten (Minuten)"),
        default=60,
        help_text=_(
            "Ein abgesagter Termin wird erst nach dieser Zeit wieder angeboten (gegen Weiterverkauf)."
        ),
    )
    max_open_per_person = models.PositiveSmallIntegerField(
        _("offene Termine je Person"),
        default=2,
        validators=[MinValueValidator(1)],
        help_text=_("Höchstzahl gleichzeitig offener Termine je Konto und je E-Mail-Adresse."),
    )
    checkin_early_minutes = models.PositiveSmallIntegerField(_("Anmeldung vor Termin (Minuten)"), default=30)
    no_show_after_minutes = models.PositiveSmallIntegerField(
        _("nicht erschienen nach (Minuten)"),
        default=15,
        help_text=_("Ohne Anmeldung bis so lange nach Terminbeginn gilt der Termin als nicht wahrgenommen."),
    )
    video_enabled = models.BooleanField(_("Videotermine"), default=False)
    revision = models.CharField(
        max_length=32,
        default=new_revision,
        editable=False,
        help_text="Changes with every change of the calendar configuration (slot engine cache key).",
    )

    class Meta:
        verbose_name = _("Terminvergabe")
        verbose_name_plural = _("Terminvergaben")

    def __str__(self) -> str:
        return str(self.office)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.revision = new_revision()
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "revision"}
        super().save(*args, **kwargs)


class OfficeService(models.Model):
    """A service that can be booked at an office, with its duration (Terminleistung)."""

    office = models.ForeignKey(
        AppointmentOffice, on_delete=models.CASCADE, related_name="services", verbose_name=_("Terminvergabe")
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        related_name="appointment_services",
        verbose_name=_("Leistung"),
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("Dauer (Minuten)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    max_quantity = models.PositiveSmallIntegerField(
        _("Höchstanzahl je Termin"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("Z. B. Personalausweise für mehrere Familienmitglieder in einem Termin."),
    )
    bookable_online = models.BooleanField(_("online buchbar"), default=True)
    video = models.BooleanField(_("auch per Video"), default=False)

    class Meta:
        verbose_name = _("Terminleistung")
        verbose_name_plural = _("Terminleistungen")
        ordering = ["service__name"]
        constraints = [models.UniqueConstraint(fields=["office", "service"], name="one_duration_per_office")]

    def __str__(self) -> str:
        return f"{self.service.name} ({self.duration_minutes} min)"


class Counter(models.Model):
    """A counter or workstation (Schalter/Arbeitsplatz) that serves one appointment at a time."""

    office = models.ForeignKey(
        AppointmentOffice, on_delete=models.CASCADE, related_name="counters", verbose_name=_("Terminvergabe")
    )
    name = models.CharField(_("Name"), max_length=100, help_text=_("Z. B. „Schalter 3“ oder „Raum 1.12“."))
    label = models.CharField(
        _("Anzeige"), max_length=20, help_text=_("So erscheint der Platz auf der Aufrufanzeige, z. B. „3“.")
    )
    active = models.BooleanField(_("aktiv"), default=True)
    in_person = models.BooleanField(_("Termine vor Ort"), default=True)
    video = models.BooleanField(_("Videotermine"), default=False)
    services = models.ManyToManyField(
        OfficeService,
        blank=True,
        related_name="counters",
        verbose_name=_("Leistungen"),
        help_text=_("Leer: alle Leistungen der Dienststelle."),
    )

    class Meta:
        verbose_name = _("Schalter")
        verbose_name_plural = _("Schalter")
        ordering = ["office", "label", "pk"]
        constraints = [models.UniqueConstraint(fields=["office", "label"], name="counter_label_per_office")]

    def __str__(self) -> str:
        return self.name


class Break(models.Model):
    """A recurring break (Pause): on one weekday or every day, for the office or one counter."""

    office = models.ForeignKey(
        AppointmentOffice, on_delete=models.CASCADE, related_name="breaks", verbose_name=_("Terminvergabe")
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="breaks",
        verbose_name=_("Schalter"),
    )
    weekday = models.PositiveSmallIntegerField(
        _("Wochentag"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(6)],
        help_text=_("0 = Montag … 6 = Sonntag; leer: jeden Tag."),
    )
    starts = models.TimeField(_("von"))
    ends = models.TimeField(_("bis"))

    class Meta:
        verbose_name = _("Pause")
        verbose_name_plural = _("Pausen")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gt=models.F("starts")), name="break_ends_after_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts:%H:%M}–{self.ends:%H:%M}"


class Closure(models.Model):
    """A closure (Schließung): the office or one counter is closed from ``starts_at`` to ``ends_at``."""

    office = models.ForeignKey(
        AppointmentOffice, on_delete=models.CASCADE, related_name="closures", verbose_name=_("Terminvergabe")
    )
    counter = models.ForeignKey(
        Counter,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("Schalter"),
    )
    starts_at = models.DateTimeField(_("von"))
    ends_at = models.DateTimeField(_("bis"))
    reason = models.CharField(_("Grund"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Schließung")
        verbose_name_plural = _("Schließungen")
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="closure_ends_after_starts"
            )
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%d.%m.%Y %H:%M}–{self.ends_at:%d.%m.%Y %H:%M}"


class AppointmentRequest(models.Model):
    """A case's process asks the applicant to book an appointment (action ``appointment.book``)."""

    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        BOOKED = "booked", _("gebucht")
        WITHDRAWN = "withdrawn", _("zurückgezogen")

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="appointment_requests", verbose_name=_("Vorgang")
    )
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="+", verbose_name=_("Behörde")
    )
    office = models.ForeignKey(
        AppointmentOffice,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="requests",
        verbose_name=_("Terminvergabe"),
        help_text=_("Leer: jede Dienststelle der Behörde, die die Leistungen anbietet."),
    )
    services = models.JSONField(
        _("Leistungen"), default=list, help_text=_("LeiKa-Schlüssel, Wiederholung = Anzahl.")
    )
    note = models.TextField(_("Hinweis"), blank=True)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Terminanforderung")
        verbose_name_plural = _("Terminanforderungen")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.case} ({self.get_status_display()})"


class Appointment(models.Model):
    """A booked or reserved appointment (Termin).

    ``reserved`` holds the time until ``hold_expires_at`` while the e-mail confirmation is pending,
    ``booked`` is confirmed. A cancelled one keeps its units occupied until ``released_at``
    (anti-scalping hold-back); an expired hold frees them at ``hold_expires_at``. Moving an
    appointment creates a new row for the new time (``rescheduled_to``) and cancels this one, so
    every row is one interval and the old time is held back like any cancelled one.
    The secret manage link carries a token: the reference and an HMAC (keyed by ``SECRET_KEY``) over
    the id and ``token_salt``, so e-mails can name the link again while the database alone cannot.
    """

    class Status(models.TextChoices):
        RESERVED = "reserved", _("reserviert")
        BOOKED = "booked", _("gebucht")
        CANCELLED = "cancelled", _("abgesagt")
        EXPIRED = "expired", _("verfallen")
        ATTENDED = "attended", _("wahrgenommen")
        NO_SHOW = "no_show", _("nicht erschienen")

    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("vor Ort")
        VIDEO = "video", _("per Video")

    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="appointments", verbose_name=_("Behörde")
    )
    office = models.ForeignKey(
        AppointmentOffice,
        on_delete=models.PROTECT,
        related_name="appointments",
        verbose_name=_("Terminvergabe"),
    )
    counter = models.ForeignKey(
        Counter, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("Schalter")
    )
    reference = models.CharField(_("Terminnummer"), max_length=16, unique=True)
    token_salt = models.CharField(max_length=32, editable=False)
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.RESERVED)
    mode = models.CharField(_("Art"), max_length=12, choices=Mode.choices, default=Mode.IN_PERSON)
    starts_at = models.DateTimeField(_("Beginn"))
    ends_at = models.DateTimeField(_("Ende"))
    name = models.CharField(_("Name"), max_length=200)
    email = models.EmailField(_("E-Mail"))
    email_key = models.CharField(max_length=64, db_index=True, editable=False)
    phone = models.CharField(_("Telefon"), max_length=40, blank=True)
    language = models.CharField(_("Sprache"), max_length=8, default="de")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("Konto"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("Vorgang"),
    )
    request = models.ForeignKey(
        AppointmentRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("Terminanforderung"),
    )
    channel = models.CharField(_("Kanal"), max_length=10, default="web")
    hold_expires_at = models.DateTimeField(_("Reservierung bis"), null=True, blank=True)
    released_at = models.DateTimeField(
        _("Zeit wieder frei ab"),
        null=True,
        blank=True,
        help_text=_("Leer, solange der Termin die Zeit belegt."),
    )
    video_room = models.CharField(_("Videoraum"), max_length=80, blank=True)
    rescheduled_to = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="rescheduled_from",
        verbose_name=_("verschoben auf"),
    )
    ical_uid = models.CharField(
        max_length=80,
        editable=False,
        help_text="Stays the same when the appointment is moved (iCalendar UID).",
    )
    sequence = models.PositiveSmallIntegerField(default=0, editable=False, help_text="iCalendar SEQUENCE.")
    created_at = models.DateTimeField(_("angelegt am"), default=timezone.now)
    confirmed_at = models.DateTimeField(_("bestätigt am"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("abgesagt am"), null=True, blank=True)
    cancelled_by = models.CharField(_("abgesagt von"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("Termin")
        verbose_name_plural = _("Termine")
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["office", "starts_at"], name="appointment_office_start"),
            models.Index(fields=["counter", "starts_at"], name="appointment_counter_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="appointment_ends_after_starts"
            )
        ]

    def __str__(self) -> str:
        return self.reference


class AppointmentItem(models.Model):
    """One service of an appointment and how many times (durations add up)."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(
        OfficeService, on_delete=models.PROTECT, related_name="+", verbose_name=_("Leistung")
    )
    quantity = models.PositiveSmallIntegerField(_("Anzahl"), default=1)

    class Meta:
        verbose_name = _("Terminleistung im Termin")
        verbose_name_plural = _("Terminleistungen im Termin")
        constraints = [
            models.UniqueConstraint(fields=["appointment", "service"], name="one_item_per_service")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.service_id}"


class Occupancy(models.Model):
    """One grid unit of a counter taken by an appointment; the unique constraint forbids double booking.

    ``blocks_until`` empty: the unit is taken for good (booked). Set: taken until then (a hold
    waiting for confirmation, or a cancelled appointment held back); afterwards a booking may delete
    the row and take the unit.
    """

    counter = models.ForeignKey(Counter, on_delete=models.CASCADE, related_name="+")
    unit = models.DateTimeField()
    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="occupancy")
    blocks_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["counter", "unit"], name="one_appointment_per_unit")]

    def __str__(self) -> str:
        return f"{self.counter_id}@{self.unit:%Y-%m-%d %H:%M}"


class BookingLock(models.Model):
    """A row to lock while checking the per-person limits (one per account or e-mail key)."""

    key = models.CharField(max_length=80, unique=True)

    def __str__(self) -> str:
        return self.key


class QueueTicket(models.Model):
    """A visit in the waiting room: a checked-in appointment or a walk-in, with its display number."""

    class Status(models.TextChoices):
        WAITING = "waiting", _("wartet")
        CALLED = "called", _("aufgerufen")
        IN_PROGRESS = "in_progress", _("in Bearbeitung")
        DONE = "done", _("erledigt")
        MISSED = "missed", _("verpasst")

    office = models.ForeignKey(
        AppointmentOffice, on_delete=models.CASCADE, related_name="tickets", verbose_name=_("Terminvergabe")
    )
    day = models.DateField(_("Tag"))
    number = models.CharField(_("Nummer"), max_length=8)
    appointment = models.OneToOneField(
        Appointment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="ticket",
        verbose_name=_("Termin"),
    )
    service = models.ForeignKey(
        OfficeService,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Anliegen"),
        help_text=_("Bei Vorsprachen ohne Termin."),
    )
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.WAITING)
    counter = models.ForeignKey(
        Counter,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        verbose_name=_("Schalter"),
    )
    checked_in_at = models.DateTimeField(_("angemeldet um"))
    called_at = models.DateTimeField(_("aufgerufen um"), null=True, blank=True)
    started_at = models.DateTimeField(_("Beginn"), null=True, blank=True)
    finished_at = models.DateTimeField(_("Ende"), null=True, blank=True)
    call_count = models.PositiveSmallIntegerField(_("Aufrufe"), default=0)
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Mitarbeitende"),
    )

    class Meta:
        verbose_name = _("Wartenummer")
        verbose_name_plural = _("Wartenummern")
        ordering = ["day", "checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["office", "day", "number"], name="one_number_per_office_day")
        ]

    def __str__(self) -> str:
        return self.number


class LeadTimeSample(models.Model):
    """How far ahead the earliest free slot of an office was at a moment (for the statistics)."""

    office = models.ForeignKey(AppointmentOffice, on_delete=models.CASCADE, related_name="lead_times")
    measured_at = models.DateTimeField(db_index=True)
    lead_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("Leer: kein freier Termin im Fenster.")
    )

    class Meta:
        ordering = ["-measured_at"]

    def __str__(self) -> str:
        return f"{self.office_id}@{self.measured_at:%Y-%m-%d %H:%M}: {self.lead_minutes}"
