"""The choice of a service and the authorities to compare (a GET form: the result is a shareable link)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import Service
from amtsweg.tenancy.models import Authority

MIN_AUTHORITIES = 2


class ComparisonForm(forms.Form):
    leistung = forms.ModelChoiceField(
        label=_("Leistung"),
        queryset=Service.objects.none(),
        to_field_name="leika_key",
        empty_label=_("Bitte wählen"),
        help_text=_("Leistungen mit einem Prozessmodell im Verbund."),
        error_messages={
            "required": _("Bitte wählen Sie eine Leistung."),
            "invalid_choice": _("Für diese Leistung gibt es im Verbund kein Prozessmodell."),
        },
    )
    behoerde = forms.ModelMultipleChoiceField(
        label=_("Behörden"),
        queryset=Authority.objects.none(),
        to_field_name="ags",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Mindestens zwei Behörden des Verbunds."),
        error_messages={
            "required": _("Bitte wählen Sie mindestens zwei Behörden."),
            "invalid_choice": _("Die Behörde %(value)s gehört nicht zum Verbund."),
            "invalid_pk_value": _("„%(pk)s“ ist kein gültiger Gemeindeschlüssel."),
        },
    )

    def __init__(
        self,
        data: Any = None,
        *,
        services: QuerySet[Service],
        authorities: QuerySet[Authority],
        **kwargs: Any,
    ) -> None:
        super().__init__(data, **kwargs)
        leistung = self.fields["leistung"]
        behoerde = self.fields["behoerde"]
        assert isinstance(leistung, forms.ModelChoiceField)
        assert isinstance(behoerde, forms.ModelMultipleChoiceField)
        leistung.queryset = services
        behoerde.queryset = authorities

    def clean_behoerde(self) -> list[Authority]:
        chosen = list(self.cleaned_data["behoerde"])
        if len(chosen) < MIN_AUTHORITIES:
            raise forms.ValidationError(_("Bitte wählen Sie mindestens zwei Behörden."), code="too_few")
        return chosen
