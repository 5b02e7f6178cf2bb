"""Portal forms: typed validation of what citizens type into the search and the residence question."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from amtsweg.tenancy.models import Authority

POSTCODE_RE = re.compile(r"^[0-9]{5}$")
POSTCODE_MESSAGE = _("Bitte geben Sie eine Postleitzahl mit 5 Ziffern ein.")


class ResidenceForm(forms.Form):
    """ "Wo wohnen Sie?": a postcode (and street where it matters) or one of the alliance's towns.

    Both ways submit by GET to the service page, so the answer can be bookmarked and works without
    JavaScript. ``ags`` wins when both are given, because choosing a town is the more explicit answer.
    """

    plz = forms.CharField(
        label=_("Postleitzahl"),
        required=False,
        max_length=10,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "postal-code",
                "class": "input--short",
                "size": "6",
            }
        ),
        help_text=_("5 Ziffern, z. B. 41460"),
        error_messages={"max_length": POSTCODE_MESSAGE},
    )
    strasse = forms.CharField(
        label=_("Straße (ohne Hausnummer)"),
        required=False,
        max_length=200,
        strip=True,
        help_text=_("Nur nötig, wenn die Postleitzahl zu mehreren Orten gehört."),
        error_messages={"max_length": _("Der Straßenname ist zu lang.")},
    )
    ags = forms.ChoiceField(
        label=_("Stadt oder Gemeinde"),
        required=False,
        error_messages={"invalid_choice": _("Bitte wählen Sie einen Ort aus der Liste.")},
    )

    def __init__(self, *args: Any, towns: list[Authority], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ags = self.fields["ags"]
        assert isinstance(ags, forms.ChoiceField)
        ags.choices = [("", _("Bitte wählen")), *_town_choices(towns)]

    def clean_plz(self) -> str:
        plz: str = self.cleaned_data.get("plz", "")
        if plz and not POSTCODE_RE.fullmatch(plz):
            raise forms.ValidationError(POSTCODE_MESSAGE, code="invalid")
        return plz

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("ags") or cleaned.get("plz") or self.errors:
            return cleaned
        if "plz" in self.data:
            self.add_error(
                "plz", forms.ValidationError(_("Bitte geben Sie Ihre Postleitzahl ein."), code="required")
            )
        else:
            self.add_error(
                "ags", forms.ValidationError(_("Bitte wählen Sie einen Ort aus der Liste."), code="required")
            )
        return cleaned

    @property
    def submitted(self) -> bool:
        """Whether the citizen answered at all (an unbound or empty query shows just the question)."""
        return self.is_bound and any(name in self.data for name in ("plz", "strasse", "ags"))


def _town_choices(towns: list[Authority]) -> list[Any]:
    alliances = {town.alliance_id for town in towns}
    if len(alliances) <= 1:
        return [(town.ags, town.name) for town in towns]
    groups: dict[str, list[tuple[str, str]]] = {}
    for town in towns:
        group = town.alliance.name if town.alliance is not None else str(_("Weitere Orte"))
        groups.setdefault(group, []).append((town.ags, town.name))
    return sorted(groups.items())
