"""Forms of the capture pages: the bulk upload, indexing a scan and the four-eyes check."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from amtsweg.cases.forms_citizen import MultipleFileInput


class ScanFilesField(forms.FileField):
    """Several files in one input; type, size and structure are checked by services_capture."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(allow_empty_file=True, **kwargs)  # an empty file gets the service's message

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[bytes]]:
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [f for f in (single(item, initial) for item in items if item) if f]


class ScanUploadForm(forms.Form):
    label = forms.CharField(
        label=_("Bezeichnung des Stapels"),
        max_length=200,
        required=False,
        help_text=_("Zum Beispiel „Archivkarton 17, Blätter 1–250“."),
    )
    uploads = ScanFilesField(
        label=_("Gescannte Dateien (PDF oder TIFF)"),
        widget=MultipleFileInput(attrs={"accept": ".pdf,.tif,.tiff,application/pdf,image/tiff"}),
    )


class ScanIndexForm(forms.Form):
    parcels = forms.MultipleChoiceField(
        label=_("Vorgeschlagene Flurstücke"), required=False, widget=forms.CheckboxSelectMultiple
    )
    entries = forms.MultipleChoiceField(
        label=_("Vorgeschlagene Baulasten"), required=False, widget=forms.CheckboxSelectMultiple
    )
    more_parcels = forms.CharField(
        label=_("Weitere Flurstückskennzeichen"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("20-stellig, eines je Zeile, z. B. 053359003001190002__"),
    )
    more_entries = forms.CharField(
        label=_("Weitere Baulasten (Nummern der Einträge)"),
        required=False,
        help_text=_("Durch Komma getrennt, z. B. 12, 15"),
    )

    def __init__(
        self,
        *args: Any,
        parcel_choices: list[tuple[str, str]],
        entry_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parcels"].choices = parcel_choices  # type: ignore[attr-defined]
        self.fields["entries"].choices = entry_choices  # type: ignore[attr-defined]

    def clean_more_entries(self) -> list[int]:
        text = str(self.cleaned_data.get("more_entries") or "")
        try:
            return [int(part) for part in text.replace(";", ",").split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError(_("Bitte nur Nummern, durch Komma getrennt.")) from exc

    def parcel_keys(self) -> list[str]:
        more = str(self.cleaned_data.get("more_parcels") or "").split()
        return [*self.cleaned_data.get("parcels", []), *more]

    def entry_ids(self) -> list[int]:
        return [int(pk) for pk in self.cleaned_data.get("entries", [])] + list(
            self.cleaned_data["more_entries"]
        )


class ScanCheckForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Ergebnis der Prüfung"),
        choices=[("approve", _("Erfassung ist richtig")), ("reject", _("Zur Korrektur zurückgeben"))],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Anmerkung"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Bei Rückgabe erforderlich: was ist zu korrigieren?"),
    )
