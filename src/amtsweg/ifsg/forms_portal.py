"""Forms of the citizen's instruction pages: the choice of language, the confirmation of the material,
the declaration with the personal data, the quiz answers and the voucher code.

The quiz form is built per attempt: one required choice per drawn question, the values being the
positions *as shown* (the services map them back to the original options).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import languages


class LanguageForm(forms.Form):
    """The language of the instruction, among the languages the programme offers."""

    sprache = forms.ChoiceField(
        label=_("Sprache der Belehrung"),
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Bitte wählen Sie eine Sprache."),
            "invalid_choice": _("Bitte wählen Sie eine Sprache."),
        },
    )

    def __init__(self, *args: Any, offered: list[languages.Language], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sprache"].choices = [(language.code, language.native) for language in offered]  # type: ignore[attr-defined]


class MaterialConfirmForm(forms.Form):
    bestaetigt = forms.BooleanField(
        label=_("Ich habe den Text gelesen und das Video angesehen (oder das Transkript gelesen)."),
        error_messages={"required": _("Bitte bestätigen Sie, dass Sie das Material gelesen haben.")},
    )


class DeclarationForm(forms.Form):
    """Personal data for the certificate and the written declaration (§ 43 Abs. 1 Nr. 2 IfSG)."""

    familienname = forms.CharField(
        label=_("Familienname"),
        max_length=100,
        error_messages={"required": _("Bitte geben Sie Ihren Familiennamen ein.")},
    )
    vornamen = forms.CharField(
        label=_("Vornamen"),
        max_length=150,
        error_messages={"required": _("Bitte geben Sie Ihre Vornamen ein.")},
    )
    geburtsdatum = forms.DateField(
        label=_("Geburtsdatum"),
        help_text=_("zum Beispiel 1990-04-01"),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
        error_messages={
            "required": _("Bitte geben Sie Ihr Geburtsdatum ein."),
            "invalid": _("Bitte geben Sie das Geburtsdatum als Datum ein, zum Beispiel 1990-04-01."),
        },
    )
    erklaerung = forms.BooleanField(
        label=_("Ich gebe die obenstehende Erklärung ab."),
        error_messages={
            "required": _("Ohne diese Erklärung kann die Bescheinigung nicht ausgestellt werden.")
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["familienname"].widget.attrs["autocomplete"] = "family-name"
        self.fields["vornamen"].widget.attrs["autocomplete"] = "given-name"

    def clean_geburtsdatum(self) -> date:
        born: date = self.cleaned_data["geburtsdatum"]
        today = timezone.localdate()
        if born >= today or born.year < today.year - 120:
            raise forms.ValidationError(_("Bitte prüfen Sie das Geburtsdatum."))
        return born


def quiz_field_name(question_id: int) -> str:
    return f"frage-{question_id}"


class QuizForm(forms.Form):
    """One required choice per drawn question; ``cleaned_answers`` maps question id → shown position."""

    def __init__(self, *args: Any, questions: list[tuple[int, str, list[str]]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for position, (question_id, text, options) in enumerate(questions, start=1):
            self.fields[quiz_field_name(question_id)] = forms.TypedChoiceField(
                label=text,
                choices=[(str(index), option) for index, option in enumerate(options)],
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": _("Bitte beantworten Sie Frage %(number)s.") % {"number": position},
                    "invalid_choice": _("Bitte beantworten Sie Frage %(number)s.") % {"number": position},
                },
            )

    def cleaned_answers(self) -> dict[int, int]:
        return {
            int(name.removeprefix("frage-")): int(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("frage-")
        }


class VoucherForm(forms.Form):
    code = forms.CharField(
        label=_("Gutscheincode"),
        max_length=64,
        help_text=_("Zum Beispiel für Ehrenamtliche oder Schülerinnen und Schüler."),
        error_messages={"required": _("Bitte geben Sie den Gutscheincode ein.")},
    )
