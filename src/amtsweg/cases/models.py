"""Submissions, cases (Vorgänge) with status history, documents, information requests and the postbox."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Phase(models.TextChoices):
    """The platform's fixed meaning of a status; every service's own statuses map onto one phase."""

    NEW = "new", _("eingegangen")
    IN_PROGRESS = "in_progress", _("in Bearbeitung")
    WAITING = "waiting", _("wartet auf Antragsteller/in")
    DECIDED = "decided", _("entschieden")
    CLOSED = "closed", _("abgeschlossen")


OPEN_PHASES = (Phase.NEW, Phase.IN_PROGRESS, Phase.WAITING)
# The predicate of the inbox's partial indexes; queries must use exactly this IN list to match it.
_OPEN = models.Q(phase__in=["new", "in_progress", "waiting"])


class StatusDefinition(models.Model):
    """One status of a service's status model (Statusmodell), or of the default model (no service)."""

    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="statuses",
        verbose_name=_("Leistung"),
        help_text=_("Leer: gilt für alle Leistungen ohne eigenes Statusmodell."),
    )
    key = models.SlugField(_("Schlüssel"), max_length=40)
    label_de = models.CharField(_("Bezeichnung (deutsch)"), max_length=100)
    label_en = models.CharField(_("Bezeichnung (englisch)"), max_length=100, blank=True)
    phase = models.CharField(_("Phase"), max_length=12, choices=Phase.choices)
    order = models.PositiveSmallIntegerField(_("Reihenfolge"), default=0)
    next_keys: models.JSONField[list[str]] = models.JSONField(
        _("erlaubte Folgestatus"),
        default=list,
        blank=True,
        help_text=_("Schlüssel der Status, die folgen dürfen."),
    )
    visible_to_applicant = models.BooleanField(
        _("für Antragstellende sichtbar"), default=True, help_text=_("Wird in „Meine Anträge“ angezeigt.")
    )

    class Meta:
        verbose_name = _("Status")
        verbose_name_plural = _("Status")
        ordering = ["service_id", "order"]
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(service__isnull=True), name="default_status_key_unique"
            ),
            models.UniqueConstraint(
                fields=["service", "key"],
                condition=models.Q(service__isnull=False),
                name="status_key_per_service",
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        from django.utils.translation import get_language

        return self.label_en if self.label_en and (get_language() or "de").startswith("en") else self.label_de


class Submission(models.Model):
    """A submitted application (Antrag): exactly one per draft, whatever the number of clicks or retries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    draft = models.OneToOneField(
        "forms.Draft", on_delete=models.PROTECT, related_name="submission", verbose_name=_("Entwurf")
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("Antragsteller/in"),
    )
    form_version = models.ForeignKey(
        "forms.FormVersion",
        on_delete=models.PROTECT,
        related_name="submissions",
        verbose_name=_("Formularversion"),
    )
    data: models.JSONField[dict[str, Any]] = models.JSONField(_("Antragsdaten"))
    data_sha256 = models.CharField(_("Prüfsumme der Daten"), max_length=64)
    channel = models.CharField(_("Kanal"), max_length=10, help_text=_("web oder api"))
    # How the applicant proved who they are when submitting (identity.assurance), shown to staff.
    trust_level = models.CharField(_("Vertrauensniveau der Anmeldung"), max_length=16, default="normal")
    login_method = models.CharField(_("Anmeldeverfahren"), max_length=60, blank=True)
    organisation = models.ForeignKey(
        "identity.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submissions",
        verbose_name=_("für die Organisation"),
    )
    submitted_at = models.DateTimeField(_("eingereicht am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Antrag")
        verbose_name_plural = _("Anträge")

    def __str__(self) -> str:
        return str(self.id)


class ReferenceCounter(models.Model):
    """The last reference number (Aktenzeichen) given per authority and year; locked while counting."""

    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, verbose_name=_("Behörde"))
    year = models.PositiveSmallIntegerField(_("Jahr"))
    last = models.PositiveIntegerField(_("letzte Nummer"), default=0)

    class Meta:
        verbose_name = _("Nummernkreis")
        verbose_name_plural = _("Nummernkreise")
        constraints = [models.UniqueConstraint(fields=["authority", "year"], name="reference_counter_unique")]

    def __str__(self) -> str:
        return f"{self.authority_id}/{self.year}: {self.last}"


class Case(models.Model):
    """A case (Vorgang) at the responsible authority, created from a submission."""

    # db_index=False on the foreign keys below: the composite inbox indexes start with them.
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("Behörde"),
        db_index=False,
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="cases", verbose_name=_("Leistung")
    )
    submission = models.OneToOneField(
        Submission,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="case",
        verbose_name=_("Antrag"),
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("Antragsteller/in"),
        db_index=False,
    )
    reference = models.CharField(_("Aktenzeichen"), max_length=40)
    year = models.PositiveSmallIntegerField(_("Jahr"))
    # Empty only inside the creating transaction: the number is drawn last, to hold the counter's
    # lock as briefly as possible (see cases.services.submission_submit).
    number = models.PositiveIntegerField(_("laufende Nummer"), null=True)
    title = models.CharField(_("Betreff"), max_length=300)
    applicant_name = models.CharField(_("Name der antragstellenden Person"), max_length=200, blank=True)
    status = models.CharField(_("Status"), max_length=40)
    phase = models.CharField(_("Phase"), max_length=12, choices=Phase.choices, default=Phase.NEW)
    team = models.ForeignKey(
        "tenancy.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("Team"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("bearbeitet von"),
        db_index=False,
    )
    submitted_at = models.DateTimeField(_("eingegangen am"), db_index=False)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    due_date = models.DateField(_("Frist"), null=True, blank=True)
    decided_at = models.DateTimeField(_("entschieden am"), null=True, blank=True)
    decision = models.CharField(
        _("Entscheidung"),
        max_length=12,
        blank=True,
        choices=[
            ("granted", _("bewilligt")),
            ("partially", _("teilweise bewilligt")),
            ("rejected", _("abgelehnt")),
        ],
    )

    class Meta:
        verbose_name = _("Vorgang")
        verbose_name_plural = _("Vorgänge")
        constraints = [
            models.UniqueConstraint(fields=["authority", "reference"], name="case_reference_per_authority"),
            models.UniqueConstraint(fields=["authority", "year", "number"], name="case_number_per_authority"),
        ]
        # The inbox (cases/selectors.py) reads every page as ordered ranges of these: the open cases
        # of an authority, team or assignee by received date (partial indexes, the default view),
        # and any one phase of them by received date or (authority) by due date.
        indexes = [
            models.Index(fields=["authority", "phase", "-submitted_at", "-id"], name="case_inbox_authority"),
            models.Index(fields=["team", "phase", "-submitted_at", "-id"], name="case_inbox_team"),
            models.Index(fields=["assignee", "phase", "-submitted_at", "-id"], name="case_inbox_assignee"),
            models.Index(
                fields=["authority", "-submitted_at", "-id"], condition=_OPEN, name="case_open_authority"
            ),
            models.Index(fields=["team", "-submitted_at", "-id"], condition=_OPEN, name="case_open_team"),
            models.Index(
                fields=["assignee", "-submitted_at", "-id"], condition=_OPEN, name="case_open_assignee"
            ),
            models.Index(fields=["authority", "phase", "due_date", "id"], name="case_inbox_due"),
            models.Index(fields=["applicant", "-submitted_at"], name="case_applicant"),
        ]

    def __str__(self) -> str:
        return self.reference


class CaseEvent(models.Model):
    """One entry of a case's history (Verlauf); also the event log for process analytics."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Antrag eingegangen")
        STATUS = "status", _("Status geändert")
        ASSIGNED = "assigned", _("zugewiesen")
        NOTE = "note", _("Notiz")
        INFO_REQUESTED = "info_requested", _("Nachforderung")
        INFO_RECEIVED = "info_received", _("Nachreichung eingegangen")
        DOCUMENT = "document", _("Dokument hinzugefügt")
        DECIDED = "decided", _("entschieden")
        NOTICE = "notice", _("Bescheid erstellt")
        TASK = "task", _("Aufgabe erledigt")
        HANDOVER = "handover", _("Übergabe")
        PROCESS = "process", _("Prozess")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("Vorgang"))
    at = models.DateTimeField(_("Zeitpunkt"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("durch")
    )
    kind = models.CharField(_("Art"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("Status danach"), max_length=40, blank=True)
    detail: models.JSONField[dict[str, Any]] = models.JSONField(_("Einzelheiten"), default=dict, blank=True)
    visible_to_applicant = models.BooleanField(_("für Antragstellende sichtbar"), default=False)

    class Meta:
        verbose_name = _("Ereignis")
        verbose_name_plural = _("Verlauf")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["case", "at"], name="case_event_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"


class CaseNote(models.Model):
    """An internal note on a case (Aktenvermerk); never shown to the applicant."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes", verbose_name=_("Vorgang"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, verbose_name=_("verfasst von")
    )
    text = models.TextField(_("Text"), max_length=10_000)
    created_at = models.DateTimeField(_("erstellt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Notiz")
        verbose_name_plural = _("Notizen")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class InformationRequest(models.Model):
    """A request for missing information or documents (Nachforderung) and the applicant's answer."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="information_requests", verbose_name=_("Vorgang")
    )
    message = models.TextField(_("Was fehlt?"), max_length=5000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("angefordert von"),
    )
    requested_at = models.DateTimeField(_("angefordert am"), auto_now_add=True)
    due_date = models.DateField(_("Frist"), null=True, blank=True)
    answer = models.TextField(_("Antwort"), max_length=10_000, blank=True)
    answered_at = models.DateTimeField(_("beantwortet am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Nachforderung")
        verbose_name_plural = _("Nachforderungen")
        ordering = ["requested_at", "id"]

    def __str__(self) -> str:
        return self.message[:60]


def _document_path(instance: Document, filename: str) -> str:
    # Stored under a random name: the original name is kept in the database, never in the path.
    return f"documents/{instance.created_at:%Y/%m}/{instance.id}"


class Document(models.Model):
    """A stored file: an upload to a draft, an attachment of a case, a receipt or a notice PDF."""

    class Kind(models.TextChoices):
        ATTACHMENT = "attachment", _("Anlage")
        REPLY = "reply", _("Nachreichung")
        RECEIPT = "receipt", _("Eingangsbestätigung")
        NOTICE = "notice", _("Bescheid")
        INTERNAL = "internal", _("internes Dokument")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    draft = models.ForeignKey(
        "forms.Draft",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("Entwurf"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("Vorgang"),
    )
    information_request = models.ForeignKey(
        InformationRequest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="documents",
        verbose_name=_("Nachforderung"),
    )
    field_key = models.CharField(_("Formularfeld"), max_length=63, blank=True)
    file = models.FileField(_("Datei"), upload_to=_document_path, max_length=200)
    filename = models.CharField(_("Dateiname"), max_length=255)
    content_type = models.CharField(_("Dateityp"), max_length=100)
    size = models.PositiveBigIntegerField(_("Größe in Bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    scanned = models.BooleanField(_("auf Schadsoftware geprüft"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        verbose_name=_("hochgeladen von"),
    )
    created_at = models.DateTimeField(_("gespeichert am"))

    class Meta:
        verbose_name = _("Dokument")
        verbose_name_plural = _("Dokumente")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.filename


class PostboxMessage(models.Model):
    """A message in a citizen's postbox (Postfach): from an authority, about a case, maybe with a document."""

    class Kind(models.TextChoices):
        RECEIPT = "receipt", _("Eingangsbestätigung")
        MESSAGE = "message", _("Nachricht")
        INFO_REQUEST = "info_request", _("Nachforderung")
        NOTICE = "notice", _("Bescheid")
        STATUS = "status", _("Statusänderung")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="postbox",
        verbose_name=_("Empfänger/in"),
    )
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="messages",
        verbose_name=_("Vorgang"),
    )
    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="+", verbose_name=_("Absender")
    )
    kind = models.CharField(_("Art"), max_length=12, choices=Kind.choices)
    subject = models.CharField(_("Betreff"), max_length=300)
    body = models.TextField(_("Text"), max_length=20_000, blank=True)
    document = models.ForeignKey(
        Document,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Dokument"),
    )
    information_request = models.ForeignKey(
        InformationRequest, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("eingegangen am"), auto_now_add=True)
    read_at = models.DateTimeField(_("gelesen am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Postfachnachricht")
        verbose_name_plural = _("Postfachnachrichten")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "-created_at"], name="postbox_recipient_created")]

    def __str__(self) -> str:
        return self.subject
