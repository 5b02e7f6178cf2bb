"""Back-office forms of the payments module: a fee of the authority, a voucher code."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem

from .fees import validate_formula
from .models import Fee, Waiver


class FeeForm(forms.ModelForm[Fee]):
    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = services

    class Meta:
        model = Fee
        fields = [
            "service",
            "key",
            "title",
            "kind",
            "amount_cents",
            "unit_field",
            "formula",
            "timing",
            "legal_basis",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if kind == Fee.Kind.PER_UNIT and not data.get("unit_field"):
            self.add_error("unit_field", _("Bitte geben Sie das Feld mit der Anzahl an."))
        if kind == Fee.Kind.FORMULA:
            if not data.get("formula"):
                self.add_error("formula", _("Bitte geben Sie die Formel an."))
            else:
                try:
                    validate_formula(data["formula"])
                except Problem as problem:
                    self.add_error("formula", problem.localized())
        return data


class WaiverForm(forms.ModelForm[Waiver]):
    def __init__(self, *args: Any, services: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = services
        field.required = False

    class Meta:
        model = Waiver
        fields = ["code", "reason", "service", "uses_left", "valid_until"]
        widgets = {"valid_until": forms.DateInput(attrs={"type": "date"})}


def offered_services(authority_id: int) -> Any:
    return Service.objects.filter(offerings__authority_id=authority_id).order_by("name").distinct()
