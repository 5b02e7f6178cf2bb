"""Forms of the booking pages: the services in the query string, the contact form with proof of work."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from amtsweg.identity.models import User

from .models import Appointment

# A service in a URL: ``s=<LeiKa key or OfficeService id>:<quantity>``, repeated for several services.
MAX_ITEMS_IN_URL = 10
MAX_QUANTITY_IN_URL = 99


class ItemsInvalid(ValueError):
    """The services in the query string cannot be read (not a person's mistake: a broken link)."""


def parse_items(values: Sequence[str]) -> list[tuple[str, int]]:
    """``["99102013002000:2", ...]`` → ``[("99102013002000", 2), ...]``; raises :class:`ItemsInvalid`."""
    if not values or len(values) > MAX_ITEMS_IN_URL:
        raise ItemsInvalid("no or too many services")
    items: list[tuple[str, int]] = []
    for value in values:
        key, _sep, quantity = value.partition(":")
        if not key.isdigit() or len(key) > 14 or not (quantity or "1").isdigit():
            raise ItemsInvalid("malformed service")
        number = int(quantity or "1")
        if not 1 <= number <= MAX_QUANTITY_IN_URL:
            raise ItemsInvalid("quantity out of range")
        items.append((key, number))
    return items


def format_items(items: Sequence[tuple[str | int, int]]) -> list[str]:
    return [f"{key}:{quantity}" for key, quantity in items]


def parse_mode(value: str | None) -> str:
    return Appointment.Mode.VIDEO if value == Appointment.Mode.VIDEO else Appointment.Mode.IN_PERSON


def parse_start(value: str | None) -> datetime | None:
    """An aware instant from the ``start`` parameter (ISO 8601 with offset), or None."""
    if not value or len(value) > 40:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


def start_choices(
    data: QueryDict | Mapping[str, Any], services: Sequence[tuple[str, str, int]]
) -> list[tuple[str, int]]:
    """The services chosen on the start page (``n_<key>`` = quantity), as (key, quantity) items."""
    items: list[tuple[str, int]] = []
    for key, _name, maximum in services:
        raw = str(data.get(f"n_{key}", "") or "0")
        if raw.isdigit() and 0 < int(raw) <= maximum:
            items.append((key, int(raw)))
    return items


class ContactForm(forms.Form):
    """Who comes to the appointment, and the proof of work of a booking without an account.

    A logged-in citizen books under the account's name and address (the person of an appointment
    never changes, and an account cannot book for others under their names): the fields are
    removed and filled from the account.
    """

    name = forms.CharField(
        label=_("Vor- und Nachname"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        help_text=_("Die Person, die zum Termin kommt. Der Name kann später nicht geändert werden."),
    )
    email = forms.EmailField(
        label=_("E-Mail-Adresse"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("Hierhin senden wir die Bestätigung und den Link zum Ändern oder Absagen."),
    )
    phone = forms.CharField(
        label=_("Telefon (freiwillig)"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
        help_text=_("Nur für Rückfragen der Dienststelle zu Ihrem Termin."),
    )
    challenge = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)
    solution = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, account: User | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.account = account
        if account is not None:
            del self.fields["name"]
            del self.fields["email"]
        for field in self.visible_fields():
            if field.errors:
                field.field.widget.attrs["aria-invalid"] = "true"
            described = [f"{field.auto_id}_helptext"] if field.help_text else []
            if field.errors:
                described.append(f"{field.auto_id}_error")
            if described:
                field.field.widget.attrs["aria-describedby"] = " ".join(described)
            field.field.widget.attrs.setdefault("class", "input")

    def contact_values(self) -> tuple[str, str, str]:
        """(name, e-mail, phone) of the person, from the account where there is one."""
        if self.account is not None:
            name = self.account.get_full_name().strip() or self.account.email
            return name, self.account.email, self.cleaned_data["phone"].strip()
        return (
            self.cleaned_data["name"].strip(),
            self.cleaned_data["email"].strip(),
            self.cleaned_data["phone"].strip(),
        )
