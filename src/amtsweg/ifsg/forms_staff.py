"""Forms of the health office's pages: they parse input; the rules live in ``services_admin``."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from amtsweg.tenancy.models import Authority, Office

from . import languages
from .models import Material, Programme, Question

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
LANGUAGE_CHOICES = [("", _("alle Sprachen")), *((lang.code, lang.name) for lang in languages.LANGUAGES)]


def parse_month(value: str) -> date | None:
    match = MONTH.match(value or "")
    return date(int(match[1]), int(match[2]), 1) if match else None


class MonthField(forms.CharField):
    """A calendar month as ``JJJJ-MM`` (what ``<input type="month">`` sends)."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "JJJJ-MM", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value: Any) -> date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        month = parse_month(text)
        if month is None:
            raise forms.ValidationError(_("Bitte geben Sie den Monat als JJJJ-MM an, z. B. 2026-03."))
        return month


class StatisticsFilterForm(forms.Form):
    monat = MonthField(label=_("Monat"), required=False)
    sprache = forms.ChoiceField(label=_("Sprache"), choices=LANGUAGE_CHOICES, required=False)


class CertificateFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=100)
    monat = MonthField(label=_("ausgestellt im Monat"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("alle")), ("valid", _("gültig")), ("revoked", _("widerrufen"))],
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund des Widerrufs"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Die Person erhält den Grund in ihrem Postfach."),
    )


class MaterialForm(forms.Form):
    """One version of the material: texts and the three files (a new upload replaces the old one)."""

    title = forms.CharField(label=_("Titel"), max_length=200)
    text = forms.CharField(
        label=_("Belehrungstext (Markdown)"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=Material._meta.get_field("text").help_text,
    )
    declaration = forms.CharField(
        label=_("Erklärung"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=Material._meta.get_field("declaration").help_text,
    )
    transcript = forms.CharField(
        label=_("Transkript des Videos"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Pflicht, wenn es ein Video gibt."),
    )
    video = forms.FileField(
        label=_("Video"),
        required=False,
        help_text=_("WebM oder MP4, höchstens 200 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "video/webm,video/mp4"}),
    )
    captions = forms.FileField(
        label=_("Untertitel"),
        required=False,
        help_text=_("WebVTT (.vtt, UTF-8), höchstens 1 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".vtt,text/vtt"}),
    )
    leaflet = forms.FileField(
        label=_("Merkblatt"),
        required=False,
        help_text=_("PDF, höchstens 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf"}),
    )
    remove = forms.MultipleChoiceField(
        label=_("Dateien entfernen"),
        required=False,
        choices=[
            ("video", _("Video entfernen")),
            ("captions", _("Untertitel entfernen")),
            ("leaflet", _("Merkblatt entfernen")),
        ],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("video", "captions", "leaflet"):
            # The widget's "clear" checkbox would be a second way to remove; ``remove`` is the one.
            self.fields[name].widget = forms.FileInput(attrs=self.fields[name].widget.attrs)

    def files_given(self) -> dict[str, UploadedFile[bytes]]:
        return {
            name: self.cleaned_data[name]
            for name in ("video", "captions", "leaflet")
            if self.cleaned_data.get(name)
        }

    @staticmethod
    def initial_from(material: Material | None) -> dict[str, Any]:
        if material is None:
            return {}
        return {name: getattr(material, name) for name in ("title", "text", "declaration", "transcript")}


class QuestionForm(forms.Form):
    """A question with its texts per language; options one per line, in the same order in every language."""

    topic = forms.CharField(label=_("Thema"), max_length=120, required=False)
    correct = forms.IntegerField(
        label=_("Richtige Antwort"),
        min_value=1,
        max_value=6,
        help_text=_("Die Nummer der Zeile mit der richtigen Antwort (1 = erste Zeile)."),
    )
    active = forms.BooleanField(label=_("aktiv (wird in Durchgängen gezogen)"), required=False, initial=True)

    def __init__(self, *args: Any, question: Question | None = None, **kwargs: Any) -> None:
        if question is not None and "initial" not in kwargs:
            initial: dict[str, Any] = {
                "topic": question.topic,
                "correct": question.correct + 1,
                "active": question.active,
            }
            for code, entry in question.texts.items():
                initial[f"text_{code}"] = entry.get("text", "")
                initial[f"options_{code}"] = "\n".join(entry.get("options", []))
                initial[f"explanation_{code}"] = entry.get("explanation", "")
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        for lang in languages.LANGUAGES:
            required = lang.code == "de"
            self.fields[f"text_{lang.code}"] = forms.CharField(
                label=_("Frage"), required=required, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
            )
            self.fields[f"options_{lang.code}"] = forms.CharField(
                label=_("Antworten (eine je Zeile)"),
                required=required,
                max_length=3000,
                widget=forms.Textarea(attrs={"rows": 4}),
            )
            self.fields[f"explanation_{lang.code}"] = forms.CharField(
                label=_("Erläuterung"),
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            for kind in ("text", "options", "explanation"):
                field = self.fields[f"{kind}_{lang.code}"]
                field.widget.attrs.update({"lang": lang.code, "dir": "rtl" if lang.rtl else "auto"})

    def language_groups(self) -> list[tuple[languages.Language, list[forms.BoundField]]]:
        return [
            (lang, [self[f"{kind}_{lang.code}"] for kind in ("text", "options", "explanation")])
            for lang in languages.LANGUAGES
        ]

    def texts(self) -> dict[str, dict[str, Any]]:
        """The texts of every language in which the question or its options were given."""
        texts: dict[str, dict[str, Any]] = {}
        for lang in languages.LANGUAGES:
            text = (self.cleaned_data.get(f"text_{lang.code}") or "").strip()
            options = [
                line.strip() for line in (self.cleaned_data.get(f"options_{lang.code}") or "").splitlines()
            ]
            options = [option for option in options if option]
            if text or options:
                texts[lang.code] = {
                    "text": text,
                    "options": options,
                    "explanation": (self.cleaned_data.get(f"explanation_{lang.code}") or "").strip(),
                }
        return texts

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        """Show the service's messages at the fields they concern."""
        for key, messages in errors.items():
            code, _dot, kind = key.partition(".")
            field = {"correct": "correct", "options": "options_de"}.get(key, f"{kind}_{code}")
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class ProgrammeForm(forms.Form):
    enabled = forms.BooleanField(label=Programme._meta.get_field("enabled").verbose_name, required=False)
    questions_per_attempt = forms.IntegerField(
        label=Programme._meta.get_field("questions_per_attempt").verbose_name, min_value=1, max_value=50
    )
    pass_mark = forms.IntegerField(
        label=Programme._meta.get_field("pass_mark").verbose_name,
        min_value=1,
        max_value=50,
        help_text=Programme._meta.get_field("pass_mark").help_text,
    )
    attempts_per_round = forms.IntegerField(
        label=Programme._meta.get_field("attempts_per_round").verbose_name,
        min_value=1,
        max_value=20,
        help_text=Programme._meta.get_field("attempts_per_round").help_text,
    )
    retry_wait_hours = forms.IntegerField(
        label=Programme._meta.get_field("retry_wait_hours").verbose_name,
        min_value=0,
        max_value=720,
        help_text=Programme._meta.get_field("retry_wait_hours").help_text,
    )
    review_material_after_failure = forms.BooleanField(
        label=Programme._meta.get_field("review_material_after_failure").verbose_name,
        required=False,
        help_text=Programme._meta.get_field("review_material_after_failure").help_text,
    )
    work_start_months = forms.IntegerField(
        label=Programme._meta.get_field("work_start_months").verbose_name,
        min_value=1,
        max_value=3,
        help_text=Programme._meta.get_field("work_start_months").help_text,
    )
    appointment_office = forms.ModelChoiceField(
        label=Programme._meta.get_field("appointment_office").verbose_name,
        queryset=Office.objects.none(),
        required=False,
        empty_label=_("keine (keine Belehrung vor Ort anbieten)"),
    )

    def __init__(self, *args: Any, authority: Authority, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["appointment_office"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Office.objects.filter(authority=authority).order_by("name")

    @staticmethod
    def initial_from(programme: Programme) -> dict[str, Any]:
        from .services_admin import PROGRAMME_FIELDS

        return {name: getattr(programme, name) for name in PROGRAMME_FIELDS}
