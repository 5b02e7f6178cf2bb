"""Process models (Prozessmodelle) per service and authority, their versions, and the processes of
cases that run on them: instances, tasks (the inbox and the event log), timers and hand-overs."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .structure import ProcessStructure


class ProcessDefinition(models.Model):
    """The process of a service: the alliance's reference model (``authority`` empty) or one
    authority's variant (Prozessvariante)."""

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="processes", verbose_name=_("Leistung")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="process_variants",
        verbose_name=_("Behörde"),
        help_text=_("Leer: das Referenzmodell des Verbunds. Sonst die Variante dieser Behörde."),
    )
    name = models.CharField(_("Name"), max_length=300)
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)

    class Meta:
        verbose_name = _("Prozessmodell")
        verbose_name_plural = _("Prozessmodelle")
        constraints = [
            # Two partial constraints instead of nulls_distinct=False, which SQLite does not support.
            models.UniqueConstraint(
                fields=["service"],
                condition=models.Q(authority__isnull=True),
                name="one_reference_process_per_service",
            ),
            models.UniqueConstraint(
                fields=["service", "authority"],
                condition=models.Q(authority__isnull=False),
                name="one_process_variant_per_authority",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class ProcessVersion(models.Model):
    """One version of a process model: the BPMN 2.0 file as uploaded (with its diagram), and what the
    platform read from it. Published versions never change; running cases stay on their version."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        RETIRED = "retired", _("abgelöst")

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.CASCADE, related_name="versions", verbose_name=_("Prozessmodell")
    )
    number = models.PositiveIntegerField(_("Version"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    process_id = models.CharField(
        _("Prozess-ID"), max_length=200, help_text=_("Die id des ausführbaren Prozesses in der BPMN-Datei.")
    )
    bpmn_xml = models.TextField(_("BPMN-Datei"))
    supporting_files: models.JSONField[list[dict[str, str]]] = models.JSONField(
        _("weitere Dateien"),
        default=list,
        blank=True,
        help_text=_("Aufgerufene Prozesse (callActivity) als weitere BPMN-Dateien: [{filename, xml}]."),
    )
    sha256 = models.CharField(_("Prüfsumme"), max_length=64)
    structure: models.JSONField[dict[str, Any]] = models.JSONField(
        _("Struktur"),
        help_text=_("Was die Plattform aus dem Modell gelesen hat (siehe processes/structure.py)."),
    )
    executable = models.BooleanField(
        _("ausführbar"), default=False, help_text=_("Ob Vorgänge auf dieser Version laufen können.")
    )
    execution_problems: models.JSONField[list[dict[str, str]]] = models.JSONField(
        _("Gründe, warum nicht ausführbar"), default=list, blank=True
    )
    source = models.CharField(_("Quelle"), max_length=255, blank=True, help_text=_("z. B. der Dateiname"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("hochgeladen von"),
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Prozessversion")
        verbose_name_plural = _("Prozessversionen")
        ordering = ["definition", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["definition", "number"], name="process_version_number_unique"),
            models.UniqueConstraint(
                fields=["definition"],
                condition=models.Q(status="published"),
                name="one_published_version_per_process",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.definition} v{self.number}"

    @property
    def parsed(self) -> ProcessStructure:
        """The structure as a typed object, parsed once per instance."""
        cached: ProcessStructure | None = self.__dict__.get("_parsed")
        if cached is None:
            cached = ProcessStructure.model_validate(self.structure)
            self.__dict__["_parsed"] = cached
        return cached


class LaneTeam(models.Model):
    """Which team of an authority works the tasks of a lane (Lane → Team). Without a row, a lane goes
    to the authority's team of the same name, and else to the team of the service offering."""

    definition = models.ForeignKey(
        ProcessDefinition,
        on_delete=models.CASCADE,
        related_name="lane_teams",
        verbose_name=_("Prozessmodell"),
    )
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, verbose_name=_("Behörde"))
    lane = models.CharField(_("Lane"), max_length=200, help_text=_("Name der Lane im Modell"))
    team = models.ForeignKey("tenancy.Team", on_delete=models.CASCADE, verbose_name=_("Team"))

    class Meta:
        verbose_name = _("Zuordnung Lane → Team")
        verbose_name_plural = _("Zuordnungen Lane → Team")
        constraints = [
            models.UniqueConstraint(fields=["definition", "authority", "lane"], name="lane_team_unique")
        ]

    def __str__(self) -> str:
        return f"{self.lane} → {self.team_id}"


class ProcessInstance(models.Model):
    """The process of one case (Prozessinstanz): the version it runs on and the engine's saved state,
    written in the same transaction as every change of the case."""

    class Status(models.TextChoices):
        RUNNING = "running", _("läuft")
        COMPLETED = "completed", _("abgeschlossen")
        CANCELLED = "cancelled", _("abgebrochen")
        FAILED = "failed", _("angehalten (Fehler)")

    case = models.OneToOneField(
        "cases.Case", on_delete=models.CASCADE, related_name="process", verbose_name=_("Vorgang")
    )
    version = models.ForeignKey(
        ProcessVersion, on_delete=models.PROTECT, related_name="instances", verbose_name=_("Prozessversion")
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    # Text, not JSON: the engine's own JSON encoding is stored as it is and read back in one pass.
    state = models.TextField(
        _("Zustand"), blank=True, help_text=_("Der gespeicherte Zustand der Workflow-Engine (JSON).")
    )
    revision = models.PositiveIntegerField(_("Revision"), default=0)
    started_at = models.DateTimeField(_("gestartet am"))
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    completed_at = models.DateTimeField(_("beendet am"), null=True, blank=True)
    error = models.TextField(_("Fehler"), blank=True)

    class Meta:
        verbose_name = _("Prozessinstanz")
        verbose_name_plural = _("Prozessinstanzen")
        indexes = [models.Index(fields=["version", "status"], name="process_instance_version")]

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.version_id}"


class ProcessTask(models.Model):
    """One execution of a BPMN element in a case's process (Aufgabe): while open, a task in a team
    inbox (user task, external task, hand-over); afterwards, and for every automatic step, an entry
    of the event log that the viewer, the comparison and process analytics read."""

    class Kind(models.TextChoices):
        USER = "user", _("Benutzeraufgabe")
        MANUAL = "manual", _("manuelle Aufgabe")
        EXTERNAL = "external", _("externe Aufgabe")
        SERVICE = "service", _("automatische Aufgabe")
        HANDOVER = "handover", _("Übergabe")
        SUBPROCESS = "subprocess", _("Teilprozess")
        EVENT = "event", _("Ereignis")
        GATEWAY = "gateway", _("Gateway")

    class State(models.TextChoices):
        OPEN = "open", _("offen")
        WAITING = "waiting", _("wartet")
        COMPLETED = "completed", _("erledigt")
        CANCELLED = "cancelled", _("abgebrochen")

    id = models.UUIDField(
        primary_key=True, default=uuid.uuid4, editable=False, help_text=_("Die id der Aufgabe in der Engine")
    )
    instance = models.ForeignKey(
        ProcessInstance,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("Prozessinstanz"),
        help_text=_("Leer bei übernommenen historischen Vorgängen."),
    )
    # Denormalised from the case, so that the inbox and the analytics read one table.
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="process_tasks", verbose_name=_("Vorgang")
    )
    authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("Behörde"),
        db_index=False,
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("Leistung"),
        db_index=False,
    )
    bpmn_id = models.CharField(_("Element-ID"), max_length=200)
    name = models.CharField(_("Bezeichnung"), max_length=300, blank=True)
    kind = models.CharField(_("Art"), max_length=10, choices=Kind.choices)
    lane = models.CharField(_("Lane"), max_length=200, blank=True)
    state = models.CharField(_("Zustand"), max_length=10, choices=State.choices)
    team = models.ForeignKey(
        "tenancy.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="process_tasks",
        verbose_name=_("Team"),
        db_index=False,
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("bearbeitet von"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("bereit seit"))
    claimed_at = models.DateTimeField(_("übernommen am"), null=True, blank=True)
    completed_at = models.DateTimeField(_("erledigt am"), null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("erledigt von"),
    )
    due_at = models.DateTimeField(_("fällig am"), null=True, blank=True)
    result: models.JSONField[dict[str, Any]] = models.JSONField(
        _("Ergebnis"), default=dict, blank=True, help_text=_("Die Angaben beim Erledigen")
    )

    class Meta:
        verbose_name = _("Aufgabe")
        verbose_name_plural = _("Aufgaben")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(
                fields=["team", "created_at"],
                condition=models.Q(state__in=["open", "waiting"]),
                name="process_task_open_team",
            ),
            models.Index(
                fields=["authority", "created_at"],
                condition=models.Q(state__in=["open", "waiting"]),
                name="process_task_open_authority",
            ),
            models.Index(fields=["case", "created_at"], name="process_task_case"),
            # Comparison and analytics read all tasks of one service per authority.
            models.Index(fields=["service", "authority", "case"], name="process_task_service"),
        ]

    def __str__(self) -> str:
        return f"{self.name or self.bpmn_id} ({self.get_state_display()})"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.OPEN, self.State.WAITING)


class ProcessTimer(models.Model):
    """A timer event of a running process (deadline, reminder, escalation): when it is due, the worker
    lets the process go on (Frist)."""

    instance = models.ForeignKey(
        ProcessInstance, on_delete=models.CASCADE, related_name="timers", verbose_name=_("Prozessinstanz")
    )
    task_id = models.UUIDField(_("Aufgaben-ID in der Engine"))
    bpmn_id = models.CharField(_("Element-ID"), max_length=200)
    name = models.CharField(_("Bezeichnung"), max_length=300, blank=True)
    due_at = models.DateTimeField(_("fällig am"))
    fired_at = models.DateTimeField(_("ausgelöst am"), null=True, blank=True)

    class Meta:
        verbose_name = _("Frist")
        verbose_name_plural = _("Fristen")
        constraints = [models.UniqueConstraint(fields=["instance", "task_id"], name="process_timer_unique")]
        indexes = [
            models.Index(
                fields=["due_at"], condition=models.Q(fired_at__isnull=True), name="process_timer_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.bpmn_id} {self.due_at:%Y-%m-%d %H:%M}"


class Handover(models.Model):
    """A case, or a part of it, handed to another authority's inbox (Übergabe), with only the data the
    process step names; the receiving authority answers with a status that goes back to the sender."""

    class Status(models.TextChoices):
        OPEN = "open", _("offen")
        ACCEPTED = "accepted", _("angenommen")
        COMPLETED = "completed", _("erledigt")
        DECLINED = "declined", _("abgelehnt")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="handovers", verbose_name=_("Vorgang")
    )
    task = models.OneToOneField(
        ProcessTask, on_delete=models.CASCADE, related_name="handover", verbose_name=_("Aufgabe")
    )
    from_authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="+", verbose_name=_("von Behörde")
    )
    to_authority = models.ForeignKey(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="handovers_received",
        verbose_name=_("an Behörde"),
        db_index=False,
    )
    to_team = models.ForeignKey(
        "tenancy.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("an Team"),
    )
    subject = models.CharField(_("Betreff"), max_length=300)
    data: models.JSONField[dict[str, Any]] = models.JSONField(
        _("übergebene Angaben"),
        default=dict,
        blank=True,
        help_text=_("Nur die Angaben, die der Prozessschritt nennt."),
    )
    documents: models.JSONField[list[str]] = models.JSONField(
        _("übergebene Dokumente"), default=list, blank=True, help_text=_("ids der übergebenen Dokumente")
    )
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("als Vorgang der Leistung"),
        help_text=_(
            "Leer: nur eine Aufgabe im Übergabe-Eingang; sonst bearbeitet die empfangende Behörde "
            "ihren Teil als eigenen Vorgang dieser Leistung."
        ),
    )
    receiving_case = models.OneToOneField(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handover_received",
        verbose_name=_("Vorgang der empfangenden Behörde"),
    )
    delivered_at = models.DateTimeField(_("zugestellt am"), null=True, blank=True)
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    reply = models.TextField(_("Rückmeldung"), max_length=5000, blank=True)
    reply_data: models.JSONField[dict[str, Any]] = models.JSONField(
        _("zurückgegebene Angaben"),
        default=dict,
        blank=True,
        help_text=_("Was die empfangende Behörde mit ihrer Antwort zurückgibt (z. B. Ergebnis je Fahrzeug)."),
    )
    created_at = models.DateTimeField(_("übergeben am"))
    answered_at = models.DateTimeField(_("beantwortet am"), null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beantwortet von"),
    )

    class Meta:
        verbose_name = _("Übergabe")
        verbose_name_plural = _("Übergaben")
        indexes = [models.Index(fields=["to_authority", "status", "-created_at"], name="handover_inbox")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.to_authority_id}"

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.ACCEPTED)

    @property
    def reference(self) -> str:
        """The sender's file reference (read from the case, which is numbered at the end of the
        submission that may already have handed it over)."""
        return self.case.reference


class HandbookEntry(models.Model):
    """The know-how of one step of a process (Prozesshandbuch): how to do it, on which legal basis,
    with which templates, and whom to ask — kept per process so it survives staff turnover."""

    definition = models.ForeignKey(
        ProcessDefinition, on_delete=models.CASCADE, related_name="handbook", verbose_name=_("Prozessmodell")
    )
    bpmn_id = models.CharField(_("Element-ID"), max_length=200)
    instructions = models.TextField(_("Arbeitsanweisung"), max_length=20_000, blank=True)
    legal_basis = models.TextField(_("Rechtsgrundlage"), max_length=2000, blank=True)
    templates = models.TextField(
        _("Vorlagen"), max_length=2000, blank=True, help_text=_("Eine Vorlage je Zeile (Name oder Ablageort)")
    )
    contact = models.CharField(_("Ansprechperson"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("geändert von"),
    )

    class Meta:
        verbose_name = _("Handbucheintrag")
        verbose_name_plural = _("Prozesshandbuch")
        constraints = [
            models.UniqueConstraint(fields=["definition", "bpmn_id"], name="handbook_entry_unique")
        ]

    def __str__(self) -> str:
        return f"{self.definition_id}: {self.bpmn_id}"
