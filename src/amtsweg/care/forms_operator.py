"""Forms of the operators' pages: the one-screen vacancy report, the facility details, photos."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import CareOffer, CareType, Facility, Specialisation
from .services import MAX_EXPECTED_ENTRIES, ReportLine
from .services_facilities import CARE_GRADES, FacilityDetails, own_share_value

EMPTY_EXPECTED_ROWS = 2  # empty rows after the stored ones (no JavaScript needed to add one)
MIN_EXPECTED_ROWS = 3

# Languages offered as checkboxes (ISO 639-1); the API accepts any two-letter code.
LANGUAGES: tuple[tuple[str, Any], ...] = (
    ("de", gettext_lazy("Deutsch")),
    ("en", gettext_lazy("Englisch")),
    ("tr", gettext_lazy("Türkisch")),
    ("ru", gettext_lazy("Russisch")),
    ("pl", gettext_lazy("Polnisch")),
    ("uk", gettext_lazy("Ukrainisch")),
    ("ar", gettext_lazy("Arabisch")),
    ("fa", gettext_lazy("Persisch")),
    ("it", gettext_lazy("Italienisch")),
    ("el", gettext_lazy("Griechisch")),
    ("ro", gettext_lazy("Rumänisch")),
    ("hr", gettext_lazy("Kroatisch")),
    ("sr", gettext_lazy("Serbisch")),
    ("es", gettext_lazy("Spanisch")),
    ("fr", gettext_lazy("Französisch")),
    ("nl", gettext_lazy("Niederländisch")),
    ("ku", gettext_lazy("Kurdisch")),
    ("vi", gettext_lazy("Vietnamesisch")),
)


def new_request_key() -> str:
    return uuid.uuid4().hex


def expected_rows(offer: CareOffer, today: date) -> int:
    stored = sum(1 for entry in offer.expected if entry.get("date", "") > today.isoformat())
    return min(MAX_EXPECTED_ENTRIES, max(MIN_EXPECTED_ROWS, stored + EMPTY_EXPECTED_ROWS))


class VacancyReportForm(forms.Form):
    """Free places now per care type (prefilled with the last report) and a few rows of expected free
    places by date per care type. ``lines()`` turns valid input into the service's ``ReportLine``s."""

    request_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(self, *args: Any, offers: list[CareOffer], today: date, **kwargs: Any) -> None:
        self.offers = offers
        self.today = today
        initial: dict[str, Any] = {"request_key": new_request_key()}
        for offer in offers:
            initial[f"{offer.care_type}-free"] = offer.free_now
            future = [e for e in offer.expected if e.get("date", "") > today.isoformat()]
            for i, entry in enumerate(future[:MAX_EXPECTED_ENTRIES]):
                initial[f"{offer.care_type}-exp{i}-date"] = entry["date"]
                initial[f"{offer.care_type}-exp{i}-places"] = entry["places"]
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for offer in offers:
            label = CareType(offer.care_type).label
            self.fields[f"{offer.care_type}-free"] = forms.IntegerField(
                label=_("%(type)s: jetzt frei") % {"type": label},
                min_value=0,
                max_value=offer.capacity,
                help_text=_("0 bis %(capacity)s Plätze") % {"capacity": offer.capacity},
                error_messages={
                    "required": _(
                        "Bitte geben Sie die freien Plätze für „%(type)s“ an (0, wenn alle belegt sind)."
                    )
                    % {"type": label},
                    "invalid": _("Bitte eine ganze Zahl angeben."),
                    "min_value": _("Freie Plätze können nicht negativ sein."),
                    "max_value": _("Mehr als %(capacity)s Plätze hat „%(type)s“ nicht.")
                    % {"capacity": offer.capacity, "type": label},
                },
            )
            for i in range(expected_rows(offer, today)):
                self.fields[f"{offer.care_type}-exp{i}-date"] = forms.DateField(
                    label=_("Datum"),
                    required=False,
                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                    error_messages={"invalid": _("Bitte ein Datum angeben, z. B. 2026-12-01.")},
                )
                self.fields[f"{offer.care_type}-exp{i}-places"] = forms.IntegerField(
                    label=_("Plätze"),
                    required=False,
                    min_value=0,
                    max_value=offer.capacity,
                    error_messages={
                        "invalid": _("Bitte eine ganze Zahl angeben."),
                        "min_value": _("Freie Plätze können nicht negativ sein."),
                        "max_value": _("Mehr als %(capacity)s Plätze hat „%(type)s“ nicht.")
                        % {"capacity": offer.capacity, "type": label},
                    },
                )

    def rows(self, offer: CareOffer) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [
            (self[f"{offer.care_type}-exp{i}-date"], self[f"{offer.care_type}-exp{i}-places"])
            for i in range(expected_rows(offer, self.today))
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        horizon = (
            self.today.replace(year=self.today.year + 1)
            if not (self.today.month == 2 and self.today.day == 29)
            else self.today.replace(year=self.today.year + 1, day=28)
        )
        for offer in self.offers:
            seen: set[date] = set()
            for i in range(expected_rows(offer, self.today)):
                date_name, places_name = f"{offer.care_type}-exp{i}-date", f"{offer.care_type}-exp{i}-places"
                day, places = data.get(date_name), data.get(places_name)
                if date_name in self.errors or places_name in self.errors:
                    continue
                if day is None and places is None:
                    continue
                if day is None:
                    self.add_error(date_name, _("Bitte geben Sie zu den Plätzen ein Datum an."))
                elif places is None:
                    self.add_error(places_name, _("Bitte geben Sie zum Datum die Zahl der Plätze an."))
                elif day <= self.today:
                    self.add_error(date_name, _("Das Datum muss nach heute liegen."))
                elif day > horizon:
                    self.add_error(date_name, _("Höchstens ein Jahr im Voraus."))
                elif day in seen:
                    self.add_error(date_name, _("Dieses Datum steht schon in einer anderen Zeile."))
                else:
                    seen.add(day)
        return data

    def lines(self) -> list[ReportLine]:
        result = []
        for offer in self.offers:
            expected = []
            for i in range(expected_rows(offer, self.today)):
                day = self.cleaned_data.get(f"{offer.care_type}-exp{i}-date")
                places = self.cleaned_data.get(f"{offer.care_type}-exp{i}-places")
                if day is not None and places is not None:
                    expected.append((day, places))
            result.append(
                ReportLine(
                    care_type=offer.care_type,
                    free_places=self.cleaned_data[f"{offer.care_type}-free"],
                    expected=sorted(expected),
                )
            )
        return result


class FacilityDetailsForm(forms.Form):
    """Contact, description, specialisations, languages and own share by Pflegegrad per offer."""

    phone = forms.CharField(label=gettext_lazy("Telefon"), max_length=40, required=False)
    email = forms.EmailField(
        label=gettext_lazy("E-Mail (öffentlich)"),
        required=False,
        help_text=gettext_lazy("Erscheint auf der Seite der Einrichtung."),
    )
    report_email = forms.EmailField(
        label=gettext_lazy("E-Mail für Erinnerungen"),
        required=False,
        help_text=gettext_lazy(
            "Erhält die Erinnerung, wenn keine Meldung eingegangen ist; leer: die öffentliche Adresse."
        ),
    )
    website = forms.URLField(
        label=gettext_lazy("Internetseite"), required=False, max_length=200, assume_scheme="https"
    )
    description = forms.CharField(
        label=gettext_lazy("Beschreibung"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    specialisations = forms.MultipleChoiceField(
        label=gettext_lazy("Schwerpunkte"),
        required=False,
        choices=Specialisation.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        label=gettext_lazy("Gesprochene Sprachen"),
        required=False,
        choices=LANGUAGES,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, facility: Facility, offers: list[CareOffer], **kwargs: Any) -> None:
        self.offers = offers
        initial: dict[str, Any] = {
            "phone": facility.phone,
            "email": facility.email,
            "report_email": facility.report_email,
            "website": facility.website,
            "description": facility.description,
            "specialisations": facility.specialisations,
            "languages": facility.languages,
        }
        for offer in offers:
            for grade in CARE_GRADES:
                value = offer.own_share.get(grade)
                initial[f"{offer.care_type}-share{grade}"] = value.replace(".", ",") if value else ""
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        known = {code for code, _label in LANGUAGES}
        extra = [(code, code) for code in facility.languages if code not in known]
        self.fields["languages"].choices = [*LANGUAGES, *extra]  # type: ignore[attr-defined]
        for offer in offers:
            for grade in CARE_GRADES:
                self.fields[f"{offer.care_type}-share{grade}"] = forms.CharField(
                    label=_("Pflegegrad %(grade)s") % {"grade": grade},
                    required=False,
                    max_length=12,
                )

    def share_fields(self, offer: CareOffer) -> list[forms.BoundField]:
        return [self[f"{offer.care_type}-share{grade}"] for grade in CARE_GRADES]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for offer in self.offers:
            for grade in CARE_GRADES:
                name = f"{offer.care_type}-share{grade}"
                raw = (data.get(name) or "").strip().replace("€", "").replace(" ", "")
                if not raw:
                    data[name] = None
                    continue
                # German notation: 2.480,50 (thousands dot, decimal comma)
                normalised = raw.replace(".", "").replace(",", ".") if "," in raw else raw
                try:
                    data[name] = own_share_value(normalised)
                except ValueError:
                    self.add_error(name, _("Bitte einen Betrag in Euro angeben, z. B. 2480,00."))
        return data

    def details(self) -> FacilityDetails:
        data = self.cleaned_data
        own_shares: dict[str, dict[str, Decimal]] = {}
        for offer in self.offers:
            own_shares[offer.care_type] = {
                grade: data[f"{offer.care_type}-share{grade}"]
                for grade in CARE_GRADES
                if data.get(f"{offer.care_type}-share{grade}") is not None
            }
        return FacilityDetails(
            phone=data["phone"],
            email=data["email"],
            report_email=data["report_email"],
            website=data["website"],
            description=data["description"],
            specialisations=data["specialisations"],
            languages=data["languages"],
            own_shares=own_shares,
        )


class PhotoForm(forms.Form):
    image = forms.FileField(
        label=gettext_lazy("Foto"),
        help_text=gettext_lazy("JPEG, PNG oder WebP, höchstens 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    alt_text = forms.CharField(
        label=gettext_lazy("Bildbeschreibung"),
        max_length=300,
        help_text=gettext_lazy("Was ist zu sehen? Für Menschen, die das Bild nicht sehen können."),
    )
