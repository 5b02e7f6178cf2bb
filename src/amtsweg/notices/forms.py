"""Forms of the notices pages: the verification code a visitor types, the reason of a revocation."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .verification import CODE_LENGTH, Malformed, parse_code


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=_("Prüfcode"),
        max_length=4 * CODE_LENGTH,
        help_text=_(
            "Steht auf dem Bescheid beim QR-Code: 16 Buchstaben und Ziffern, z. B. 7K3M-Q9TD-XW2B-HC4R."
        ),
        error_messages={"required": _("Bitte geben Sie den Prüfcode ein.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false", "size": 24}
        ),
    )

    def clean_code(self) -> str:
        text: str = self.cleaned_data["code"]
        try:
            return parse_code(text).display
        except Malformed:
            raise forms.ValidationError(malformed_message(), code="malformed") from None


def malformed_message() -> Any:
    return _(
        "Das ist kein gültiger Prüfcode. Ein Prüfcode hat 16 Zeichen (Buchstaben und Ziffern), "
        "z. B. 7K3M-Q9TD-XW2B-HC4R."
    )


class RevokeForm(forms.Form):
    reason = forms.CharField(
        label=_("Grund der Aufhebung"),
        max_length=300,
        help_text=_("Die antragstellende Person erhält den Grund mit der Nachricht über die Aufhebung."),
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Bitte geben Sie den Grund der Aufhebung an.")},
    )
