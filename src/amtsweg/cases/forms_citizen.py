"""Forms of the citizen's account: the answer to an information request (text and files)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .services_citizen import MAX_FILES_PER_ANSWER


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; type, size and content are checked by the upload pipeline."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single = super().clean
        if isinstance(data, list | tuple):
            files = [single(item, initial) for item in data if item]
        else:
            files = [single(data, initial)] if data else []
        return [f for f in files if f]


class InformationRequestAnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Ihre Antwort"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Höchstens 10.000 Zeichen. Sie können auch nur Dateien hochladen."),
    )
    # Not "files": that name is the form's own MultiValueDict of uploads.
    uploads = MultipleFileField(
        label=_("Unterlagen hochladen"),
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["uploads"].help_text = gettext("PDF, JPEG oder PNG; bis zu %(count)s Dateien.") % {
            "count": MAX_FILES_PER_ANSWER
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not str(cleaned.get("answer", "")).strip() and not cleaned.get("uploads") and not self.errors:
            raise forms.ValidationError(
                _("Bitte schreiben Sie eine Antwort oder laden Sie Unterlagen hoch."), code="empty-answer"
            )
        return cleaned
