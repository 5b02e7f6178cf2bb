"""Infektionsschutzbelehrung nach § 43 IfSG: the health office's programme, its versioned instruction
material and quiz per language, each person's instruction with quiz attempts, and the certificate.

The instruction ends in an ordinary application: a draft of the form ``infektionsschutzbelehrung``
(personal data and the declaration), paid or waived through ``payments``, submitted through
``cases.services.submission_submit`` into a case at the health office, whose process issues the
certificate (a ``notices.Notice`` in the certificate layout) automatically.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from . import languages


class Programme(models.Model):
    """The instruction as one health office offers it: quiz rules and the validity of the certificate.

    The form is the service's form definition (personal data and the declaration), the fee a
    ``payments.Fee`` of the service (paid before submission), waivers ``payments.Waiver`` voucher
    codes, the certificate text the service's ``NoticeTemplate`` (layout ``certificate``).
    """

    authority = models.OneToOneField(
        "tenancy.Authority",
        on_delete=models.PROTECT,
        related_name="ifsg_programme",
        verbose_name=_("Gesundheitsamt (Behörde)"),
    )
    service = models.ForeignKey(
        "catalog.Service", on_delete=models.PROTECT, related_name="+", verbose_name=_("Leistung")
    )
    enabled = models.BooleanField(_("online angeboten"), default=True)
    questions_per_attempt = models.PositiveSmallIntegerField(_("Fragen je Durchgang"), default=8)
    pass_mark = models.PositiveSmallIntegerField(
        _("Bestehensgrenze"), default=7, help_text=_("So viele Fragen müssen richtig beantwortet sein.")
    )
    attempts_per_round = models.PositiveSmallIntegerField(
        _("Versuche vor einer Pause"),
        default=3,
        help_text=_("Nach so vielen nicht bestandenen Durchgängen muss die Person warten."),
    )
    retry_wait_hours = models.PositiveSmallIntegerField(
        _("Pause in Stunden"),
        default=24,
        help_text=_("Wartezeit nach den nicht bestandenen Versuchen; danach beginnt eine neue Runde."),
    )
    review_material_after_failure = models.BooleanField(
        _("nach Nichtbestehen Material erneut ansehen"),
        default=True,
        help_text=_("Vor einem weiteren Versuch muss das Material erneut bestätigt werden."),
    )
    work_start_months = models.PositiveSmallIntegerField(
        _("Frist für die Aufnahme der Tätigkeit (Monate)"),
        default=3,
        help_text=_("§ 43 Abs. 1 IfSG: Die Bescheinigung darf bei Aufnahme der Tätigkeit nicht älter sein."),
    )
    appointment_office = models.ForeignKey(
        "tenancy.Office",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("Dienststelle für die Belehrung vor Ort"),
    )

    class Meta:
        verbose_name = _("Belehrungsangebot")
        verbose_name_plural = _("Belehrungsangebote")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pass_mark__lte=models.F("questions_per_attempt")),
                name="ifsg_pass_mark_reachable",
            ),
            models.CheckConstraint(
                condition=models.Q(questions_per_attempt__gte=1), name="ifsg_questions_min"
            ),
            models.CheckConstraint(condition=models.Q(attempts_per_round__gte=1), name="ifsg_attempts_min"),
        ]

    def __str__(self) -> str:
        return f"{self.service} – {self.authority}"


def _material_path(instance: Material, filename: str) -> str:
    return f"ifsg/{instance.programme.authority_id}/{instance.language}/v{instance.version}/{filename}"


class Material(models.Model):
    """One version of the instruction material in one language; published versions never change.

    Editing means a new version (a draft), published when ready; the previous published version of
    the language is retired at that moment. Every instruction records the version the person saw.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Entwurf")
        PUBLISHED = "published", _("veröffentlicht")
        RETIRED = "retired", _("abgelöst")

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="materials")
    language = models.CharField(_("Sprache"), max_length=12, choices=languages.CHOICES)
    version = models.PositiveIntegerField(_("Version"))
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    title = models.CharField(_("Titel"), max_length=200)
    text = models.TextField(
        _("Belehrungstext"), help_text=_("Markdown: Absätze, Überschriften mit #, Listen mit -, **fett**.")
    )
    declaration = models.TextField(
        _("Erklärung"),
        help_text=_("Die schriftliche Erklärung nach § 43 Abs. 1 Nr. 2 IfSG in dieser Sprache."),
    )
    video = models.FileField(_("Video"), upload_to=_material_path, blank=True, max_length=300)
    captions = models.FileField(
        _("Untertitel (WebVTT)"), upload_to=_material_path, blank=True, max_length=300
    )
    transcript = models.TextField(_("Transkript des Videos"), blank=True)
    leaflet = models.FileField(_("Merkblatt (PDF)"), upload_to=_material_path, blank=True, max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("angelegt am"), auto_now_add=True)
    published_at = models.DateTimeField(_("veröffentlicht am"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("Belehrungsmaterial")
        verbose_name_plural = _("Belehrungsmaterialien")
        ordering = ["language", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "language", "version"], name="ifsg_material_version"
            ),
            models.UniqueConstraint(
                fields=["programme", "language"],
                condition=models.Q(status="published"),
                name="ifsg_material_one_published",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.language}, v{self.version})"


class Question(models.Model):
    """A quiz item of the pool: one question with its options in every language, one correct option.

    ``texts`` maps a language code to ``{"text": str, "options": [str, ...], "explanation": str}``;
    every language has the same number of options in the same order, ``correct`` is the index of
    the right one. ``number`` is the item's stable number (statistics name items by it).
    """

    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="questions")
    number = models.PositiveSmallIntegerField(_("Nummer"))
    topic = models.CharField(_("Thema"), max_length=120, blank=True)
    correct = models.PositiveSmallIntegerField(_("richtige Antwort (Index)"))
    active = models.BooleanField(_("aktiv"), default=True)
    texts: models.JSONField[dict[str, dict[str, Any]]] = models.JSONField(_("Texte je Sprache"), default=dict)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Quizfrage")
        verbose_name_plural = _("Quizfragen")
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["programme", "number"], name="ifsg_question_number")]

    def __str__(self) -> str:
        return f"{self.number}: {self.text_in('de')}"

    def text_in(self, language: str) -> str:
        return str(self.texts.get(language, {}).get("text", ""))


class Instruction(models.Model):
    """One person's instruction (Belehrung), from the choice of language to the certificate.

    The steps are recorded as times; ``draft`` is the application draft that carries the personal data
    and the declaration (created with the instruction), ``case`` the case after submission.
    """

    class Status(models.TextChoices):
        STARTED = "started", _("begonnen")
        INSTRUCTED = "instructed", _("Material bestätigt")
        DECLARED = "declared", _("Erklärung abgegeben")
        PASSED = "passed", _("Verständnisfragen bestanden")
        SUBMITTED = "submitted", _("eingereicht")
        CERTIFIED = "certified", _("bescheinigt")

    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="ifsg_instructions"
    )
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="instructions")
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ifsg_instructions"
    )
    language = models.CharField(_("Sprache"), max_length=12, choices=languages.CHOICES)
    material = models.ForeignKey(
        Material, on_delete=models.PROTECT, related_name="instructions", verbose_name=_("Materialversion")
    )
    status = models.CharField(_("Status"), max_length=12, choices=Status.choices, default=Status.STARTED)
    draft = models.OneToOneField(
        "forms.Draft", on_delete=models.SET_NULL, null=True, blank=True, related_name="ifsg_instruction"
    )
    case = models.OneToOneField(
        "cases.Case", on_delete=models.SET_NULL, null=True, blank=True, related_name="ifsg_instruction"
    )
    instructed_at = models.DateTimeField(_("Material bestätigt am"), null=True, blank=True)
    declaration_text = models.TextField(_("abgegebene Erklärung"), blank=True)
    declared_at = models.DateTimeField(_("erklärt am"), null=True, blank=True)
    passed_at = models.DateTimeField(_("bestanden am"), null=True, blank=True)
    blocked_until = models.DateTimeField(_("nächster Versuch ab"), null=True, blank=True)
    created_at = models.DateTimeField(_("begonnen am"), auto_now_add=True)
    updated_at = models.DateTimeField(_("geändert am"), auto_now=True)

    class Meta:
        verbose_name = _("Belehrung")
        verbose_name_plural = _("Belehrungen")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["authority", "created_at"], name="ifsg_instruction_month")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} ({self.language})"


class QuizAttempt(models.Model):
    """One run through the quiz: the drawn questions with their shuffled options, and the answers.

    ``items`` is ``[{"question": id, "number": n, "order": [original option indexes as shown]}]``;
    ``answers`` maps the question id (as a string) to the original index of the chosen option.
    """

    instruction = models.ForeignKey(Instruction, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField(_("Versuch"))
    items: models.JSONField[list[dict[str, Any]]] = models.JSONField(default=list)
    answers: models.JSONField[dict[str, int]] = models.JSONField(default=dict)
    correct_count = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Quizversuch")
        verbose_name_plural = _("Quizversuche")
        ordering = ["instruction", "number"]
        constraints = [models.UniqueConstraint(fields=["instruction", "number"], name="ifsg_attempt_number")]

    def __str__(self) -> str:
        return f"{self.number}: {self.correct_count}/{len(self.items)}"


class ItemResult(models.Model):
    """One answered item of a submitted attempt, kept flat for the statistics of failing items."""

    attempt = models.ForeignKey(QuizAttempt, on_delete=models.CASCADE, related_name="results")
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="results")
    authority = models.ForeignKey("tenancy.Authority", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=12)
    correct = models.BooleanField()
    answered_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["authority", "answered_at"], name="ifsg_item_result_time")]

    def __str__(self) -> str:
        return f"{self.question_id}: {self.correct}"


class Certificate(models.Model):
    """The certificate (Bescheinigung nach § 43 Abs. 1 IfSG): the notice plus what it certifies.

    The notice carries the verification code, the PDF and the revocation; ``holder_name`` and
    ``birth_year`` are what the certificate prints and the public verification shows.
    """

    authority = models.ForeignKey(
        "tenancy.Authority", on_delete=models.PROTECT, related_name="ifsg_certificates"
    )
    instruction = models.OneToOneField(Instruction, on_delete=models.PROTECT, related_name="certificate")
    notice = models.OneToOneField("notices.Notice", on_delete=models.PROTECT, related_name="ifsg_certificate")
    holder_name = models.CharField(_("Name"), max_length=200)
    birth_date = models.DateField(_("Geburtsdatum"))
    language = models.CharField(_("Sprache der Belehrung"), max_length=12, choices=languages.CHOICES)
    instructed_on = models.DateField(_("belehrt am"))
    work_begin_by = models.DateField(_("Tätigkeit aufnehmen bis"))
    issued_at = models.DateTimeField(_("ausgestellt am"))

    class Meta:
        verbose_name = _("Bescheinigung")
        verbose_name_plural = _("Bescheinigungen")
        ordering = ["-issued_at"]
        indexes = [models.Index(fields=["authority", "issued_at"], name="ifsg_certificate_month")]

    def __str__(self) -> str:
        return f"{self.holder_name} ({self.instructed_on:%d.%m.%Y})"
