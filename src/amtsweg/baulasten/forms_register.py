"""Forms of the register's back-office pages: search, entry (with parcel rows), Löschung, restore."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services_register
from .flurstueck import InvalidKennzeichen
from .models import BaulastKind, BaulastParcel, Gemarkung


def _gemarkung_choices(gemarkungen: Any) -> list[tuple[str, Any]]:
    return [("", gettext_lazy("– Gemarkung –"))] + [(g.key, str(g)) for g in gemarkungen]


class SearchForm(forms.Form):
    parcel = forms.CharField(
        label=gettext_lazy("Flurstück"),
        required=False,
        max_length=30,
        help_text=gettext_lazy(
            "20-stelliges Kennzeichen oder Flurstücksnummer wie 119/2 (dann mit Gemarkung)."
        ),
    )
    gemarkung = forms.ChoiceField(label=gettext_lazy("Gemarkung"), required=False)
    flur = forms.IntegerField(label=gettext_lazy("Flur"), required=False, min_value=1, max_value=999)
    address = forms.CharField(label=gettext_lazy("Lage (Straße, Hausnummer)"), required=False, max_length=200)
    owner = forms.CharField(
        label=gettext_lazy("Eigentümer / Verpflichtete"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Die Suche nach Personen wird protokolliert."),
    )
    q = forms.CharField(
        label=gettext_lazy("Volltext"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("Sucht im Inhalt der Baulasten und im erkannten Text der Scans."),
    )
    include_deleted = forms.BooleanField(
        label=gettext_lazy("gelöschte Baulasten einbeziehen"), required=False
    )

    def __init__(self, *args: Any, gemarkungen: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gemarkung"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _gemarkung_choices(gemarkungen)

    def criteria(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "parcel": d.get("parcel") or "",
            "gemarkung": d.get("gemarkung") or "",
            "flur": d.get("flur"),
            "address": d.get("address") or "",
            "owner": d.get("owner") or "",
            "q": d.get("q") or "",
            "include_deleted": bool(d.get("include_deleted")),
        }


class EntryForm(forms.Form):
    sheet = forms.IntegerField(label=gettext_lazy("Baulastenblatt"), min_value=1)
    number = forms.IntegerField(label=gettext_lazy("lfd. Nr."), min_value=1)
    kind = forms.ChoiceField(label=gettext_lazy("Art der Baulast"), choices=BaulastKind.choices)
    text = forms.CharField(label=gettext_lazy("Inhalt der Baulast"), widget=forms.Textarea(attrs={"rows": 6}))
    obligors = forms.CharField(
        label=gettext_lazy("Verpflichtete (Eigentümer bei Eintragung)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    entered_on = forms.DateField(
        label=gettext_lazy("eingetragen am"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    file_reference = forms.CharField(label=gettext_lazy("Aktenzeichen"), required=False, max_length=100)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ParcelRowForm(forms.Form):
    """One parcel of an entry: its key, or Gemarkung + Flur + Flurstücksnummer."""

    role = forms.ChoiceField(label=gettext_lazy("Rolle"), choices=BaulastParcel.Role.choices)
    kennzeichen = forms.CharField(label=gettext_lazy("Flurstückskennzeichen"), required=False, max_length=30)
    gemarkung = forms.ChoiceField(label=gettext_lazy("oder Gemarkung"), required=False)
    flur = forms.IntegerField(label=gettext_lazy("Flur"), required=False, min_value=1, max_value=999)
    flurstueck = forms.CharField(label=gettext_lazy("Flurstück"), required=False, max_length=20)
    location = forms.CharField(label=gettext_lazy("Lage"), required=False, max_length=200)

    def __init__(self, *args: Any, gemarkungen: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["gemarkung"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = _gemarkung_choices(gemarkungen)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        self.key = ""
        if not (data.get("kennzeichen") or data.get("gemarkung") or data.get("flurstueck")):
            return data  # an empty row
        try:
            self.key = services_register.parcel_key(
                kennzeichen=data.get("kennzeichen") or "",
                gemarkung=data.get("gemarkung") or "",
                flur=data.get("flur"),
                flurstueck_nr=data.get("flurstueck") or "",
            )
        except InvalidKennzeichen as problem:
            part = str(problem.extra.get("part", ""))
            target = (
                "kennzeichen"
                if data.get("kennzeichen")
                else {"flur": "flur", "gemarkung": "gemarkung"}.get(part, "flurstueck")
            )
            self.add_error(target, problem.localized())
        return data


class BaseParcelFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        if not any(
            getattr(f, "key", "") and f.cleaned_data.get("role") == BaulastParcel.Role.BURDENED
            for f in self.forms
        ):
            raise forms.ValidationError(_("Geben Sie mindestens ein belastetes Flurstück an."))

    def parcels(self) -> tuple[list[str], list[str], dict[str, str]]:
        burdened: list[str] = []
        benefiting: list[str] = []
        locations: dict[str, str] = {}
        for form in self.forms:
            key = getattr(form, "key", "")
            if not key:
                continue
            target = burdened if form.cleaned_data["role"] == BaulastParcel.Role.BURDENED else benefiting
            target.append(key)
            if form.cleaned_data.get("location"):
                locations[key] = form.cleaned_data["location"]
        return burdened, benefiting, locations


ParcelFormSet = forms.formset_factory(ParcelRowForm, formset=BaseParcelFormSet, extra=3, max_num=50)


def parcel_formset(data: Any, *, initial: list[dict[str, Any]] | None = None) -> BaseParcelFormSet:
    gemarkungen = list(Gemarkung.objects.select_related("town").order_by("name", "key"))
    formset = ParcelFormSet(data, initial=initial, prefix="parcels", form_kwargs={"gemarkungen": gemarkungen})
    assert isinstance(formset, BaseParcelFormSet)
    return formset


class DeleteForm(forms.Form):
    deleted_on = forms.DateField(
        label=gettext_lazy("gelöscht am"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    reason = forms.CharField(
        label=gettext_lazy("Grund der Löschung"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class RestoreForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
