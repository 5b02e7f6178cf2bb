"""Back-office forms of the cases module: the inbox filter, bulk actions and each action on a case."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from amtsweg.catalog.models import Service
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Team

from .models import Phase, StatusDefinition
from .selectors import InboxFilter, InboxSort, InboxView

MAX_BULK = 200


class PlainSelect(forms.Select):
    """A ``<select>`` rendered in Python instead of one template per option.

    The inbox shows several long lists (services, statuses, colleagues) on every page load; Django's
    template-based widget rendering made them a third of the page's time.
    """

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        options = "".join(self._options(self.choices, chosen))
        return mark_safe(f'<select name="{escape(name)}"{flatatt(final)}>{options}</select>')  # noqa: S308

    @staticmethod
    def _options(choices: Any, chosen: set[str]) -> Iterator[str]:
        for option_value, label in choices:
            if isinstance(label, list | tuple):  # an optgroup
                inner = "".join(PlainSelect._options(label, chosen))
                yield f'<optgroup label="{escape(option_value)}">{inner}</optgroup>'
                continue
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen else ""
            yield f'<option value="{escape(text)}"{selected}>{escape(label)}</option>'


class AccessibleForm(forms.Form):
    """Links each invalid field to its error message (``aria-describedby``) for screen readers."""

    def full_clean(self) -> None:
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                bound = self[name]
                widget = self.fields[name].widget
                described = [f"{bound.auto_id}_error"]
                if self.fields[name].help_text:
                    described.append(f"{bound.auto_id}_helptext")
                widget.attrs["aria-describedby"] = " ".join(described)


def colleagues(authority: Authority) -> QuerySet[User]:
    """Active staff accounts who work for ``authority`` (the people a case can be given to)."""
    return (
        User.objects.filter(memberships__authority=authority, is_active=True, kind=User.Kind.STAFF)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


class ColleagueChoiceField(forms.ModelChoiceField[User]):
    def label_from_instance(self, obj: User) -> str:
        return obj.get_full_name() or obj.email


# --- the inbox --------------------------------------------------------------------------------------

VIEW_PARAMS = {
    "team": InboxView.TEAM,
    "meine": InboxView.MINE,
    "nicht-zugewiesen": InboxView.UNASSIGNED,
    "alle": InboxView.ALL,
}
VIEW_LABELS = {
    "team": _("Mein Team"),
    "meine": _("Mir zugewiesen"),
    "nicht-zugewiesen": _("Nicht zugewiesen"),
    "alle": _("Alle Vorgänge"),
}
SORT_PARAMS = {
    "neueste": InboxSort.NEWEST,
    "aelteste": InboxSort.OLDEST,
    "frist": InboxSort.DUE,
    "status": InboxSort.STATUS,
}


class InboxFilterForm(AccessibleForm):
    """The inbox's query string; invalid values are reported and ignored, never a server error."""

    ansicht = forms.ChoiceField(choices=list(VIEW_LABELS.items()), required=False, widget=forms.HiddenInput)
    phase = forms.ChoiceField(
        label=_("Phase"),
        required=False,
        choices=[("offen", _("offene Vorgänge")), ("alle", _("alle Phasen")), *Phase.choices],
        widget=PlainSelect,
    )
    status = forms.ChoiceField(label=_("Status"), required=False, widget=PlainSelect)
    leistung = forms.TypedChoiceField(
        label=_("Leistung"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    team = forms.TypedChoiceField(
        label=_("Team"), required=False, coerce=int, empty_value=None, widget=PlainSelect
    )
    ueberfaellig = forms.BooleanField(label=_("nur mit überschrittener Frist"), required=False)
    suche = forms.CharField(
        label=_("Suche"),
        required=False,
        max_length=200,
        help_text=_("Aktenzeichen, Name der antragstellenden Person oder Betreff"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    sortierung = forms.ChoiceField(
        label=_("Sortierung"),
        required=False,
        choices=[
            ("neueste", _("Eingang, neueste zuerst")),
            ("aelteste", _("Eingang, älteste zuerst")),
            ("frist", _("Frist, früheste zuerst")),
            ("status", _("Status")),
        ],
        widget=PlainSelect,
    )

    def __init__(
        self,
        data: Any,
        *,
        statuses: list[StatusDefinition],
        services: Sequence[Service],
        teams: Sequence[Team],
        default_view: str,
    ) -> None:
        super().__init__(data, auto_id="filter-%s")
        self.default_view = default_view
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [("", _("alle")), *((s.key, s.label) for s in statuses)]
        service_field = self.fields["leistung"]
        assert isinstance(service_field, forms.ChoiceField)
        service_field.choices = [("", _("alle")), *((s.pk, s.name) for s in services)]
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ChoiceField)
        team_field.choices = [("", _("alle")), *((t.pk, t.name) for t in teams)]

    def value(self, name: str) -> Any:
        """The cleaned value of ``name``, or its default when it was missing or invalid."""
        if not hasattr(self, "cleaned_data"):
            self.is_valid()
        if name in self.errors:
            return None
        return self.cleaned_data.get(name)

    @property
    def view_param(self) -> str:
        return self.value("ansicht") or self.default_view

    def to_filter(self) -> InboxFilter:
        phase = self.value("phase") or "offen"
        return InboxFilter(
            view=VIEW_PARAMS[self.view_param],
            phase={"offen": "open", "alle": "all"}.get(phase, phase),
            status=self.value("status") or "",
            service_id=self.value("leistung"),
            team_id=self.value("team"),
            overdue=bool(self.value("ueberfaellig")),
            text=self.value("suche") or "",
            sort=SORT_PARAMS[self.value("sortierung") or "neueste"],
        )


class BulkActionForm(AccessibleForm):
    """One action for the cases ticked in the inbox."""

    ACTIONS = [
        ("mir", _("mir zuweisen")),
        ("zuweisen", _("zuweisen an …")),
        ("freigeben", _("Zuweisung aufheben")),
        ("status", _("Status setzen auf …")),
    ]
    vorgang = forms.TypedMultipleChoiceField(
        label=_("Vorgänge"), coerce=int, error_messages={"required": _("Bitte wählen Sie Vorgänge aus.")}
    )
    aktion = forms.ChoiceField(label=_("Aktion"), choices=ACTIONS, widget=PlainSelect)
    an = ColleagueChoiceField(
        label=_("Kollegin oder Kollege"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("bitte wählen"),
        widget=PlainSelect,
    )
    status = forms.ChoiceField(label=_("neuer Status"), required=False, widget=PlainSelect)

    def __init__(self, data: Any, *, authority: Authority, statuses: list[StatusDefinition]) -> None:
        super().__init__(data, auto_id="bulk-%s")
        assignee = self.fields["an"]
        assert isinstance(assignee, forms.ModelChoiceField)
        assignee.queryset = colleagues(authority)
        status_field = self.fields["status"]
        assert isinstance(status_field, forms.ChoiceField)
        status_field.choices = [("", _("bitte wählen"))] + [
            (s.key, s.label) for s in statuses if s.phase not in (Phase.DECIDED, Phase.WAITING)
        ]
        cases = self.fields["vorgang"]
        assert isinstance(cases, forms.ChoiceField)
        # The ids are checked against the user's cases when the action runs; here only their form.
        cases.choices = [
            (value, value) for value in (data.getlist("vorgang") if data else []) if value.isdigit()
        ]

    def clean_vorgang(self) -> list[int]:
        ids: list[int] = self.cleaned_data["vorgang"]
        if len(ids) > MAX_BULK:
            raise forms.ValidationError(
                _("Bitte wählen Sie höchstens %(max)d Vorgänge auf einmal."), params={"max": MAX_BULK}
            )
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("aktion") == "zuweisen" and not data.get("an"):
            self.add_error("an", _("Bitte wählen Sie, wem die Vorgänge zugewiesen werden."))
        if data.get("aktion") == "status" and not data.get("status"):
            self.add_error("status", _("Bitte wählen Sie den neuen Status."))
        return data


# --- actions on one case ----------------------------------------------------------------------------


class AssignForm(AccessibleForm):
    assignee = ColleagueChoiceField(
        label=_("bearbeitet von"), queryset=User.objects.none(), required=False, empty_label=_("– niemand –")
    )

    def __init__(
        self, data: Any = None, *, authority: Authority, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, initial=initial, auto_id="assign-%s")
        field = self.fields["assignee"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = colleagues(authority)


class TeamForm(AccessibleForm):
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.none(), required=False, empty_label=_("– kein Team –")
    )

    def __init__(
        self, data: Any = None, *, authority: Authority, initial: dict[str, Any] | None = None
    ) -> None:
        super().__init__(data, initial=initial, auto_id="team-%s")
        field = self.fields["team"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Team.objects.filter(authority=authority).order_by("name")


class StatusForm(AccessibleForm):
    status = forms.ChoiceField(label=_("neuer Status"))
    comment = forms.CharField(
        label=_("Kommentar (intern)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, data: Any = None, *, allowed: list[StatusDefinition]) -> None:
        super().__init__(data, auto_id="status-%s")
        field = self.fields["status"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(s.key, s.label) for s in allowed]


class NoteForm(AccessibleForm):
    text = forms.CharField(
        label=_("Neue Notiz"),
        max_length=10_000,
        help_text=_("Interne Notizen sieht die antragstellende Person nie."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, auto_id="note-%s")


class InformationRequestForm(AccessibleForm):
    message = forms.CharField(
        label=_("Was fehlt?"),
        max_length=5000,
        help_text=_("Diese Nachricht erhält die antragstellende Person in ihr Postfach."),
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    due_date = forms.DateField(
        label=_("Frist (optional)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, auto_id="request-%s")

    def clean_due_date(self) -> date | None:
        due: date | None = self.cleaned_data.get("due_date")
        if due is not None and due < timezone.localdate():
            raise forms.ValidationError(_("Die Frist darf nicht in der Vergangenheit liegen."))
        return due


DECISIONS = [
    ("granted", _("bewilligt")),
    ("partially", _("teilweise bewilligt")),
    ("rejected", _("abgelehnt")),
]


def parse_fee_lines(value: str) -> list[dict[str, str]]:
    """``Bezeichnung | Rechtsgrundlage | Betrag`` per line into fee lines; ValidationError names the line."""
    lines: list[dict[str, str]] = []
    for number, raw in enumerate(value.splitlines(), start=1):
        if not raw.strip():
            continue
        parts = [part.strip() for part in raw.split("|")]
        if len(parts) != 3 or not parts[0]:
            raise forms.ValidationError(
                _("Zeile %(line)d: bitte „Bezeichnung | Rechtsgrundlage | Betrag“ angeben."),
                params={"line": number},
            )
        written = parts[2].replace("€", "").replace(" ", "").strip()
        if "," in written:  # German: 1.234,50
            written = written.replace(".", "").replace(",", ".")
        try:
            amount = Decimal(written)
        except InvalidOperation:
            amount = Decimal(-1)
        if not amount.is_finite() or amount < 0 or amount > Decimal("1000000"):
            raise forms.ValidationError(
                _("Zeile %(line)d: „%(amount)s“ ist kein gültiger Betrag (z. B. 12,50)."),
                params={"line": number, "amount": parts[2]},
            )
        lines.append({"label": parts[0][:200], "legal_basis": parts[1][:200], "amount": f"{amount:.2f}"})
    if len(lines) > 200:
        raise forms.ValidationError(_("Höchstens 200 Gebührenpositionen."))
    return lines


class DecisionForm(AccessibleForm):
    decision = forms.ChoiceField(label=_("Entscheidung"), choices=DECISIONS, widget=forms.RadioSelect)
    body = forms.CharField(
        label=_("Bescheidtext (optional)"),
        required=False,
        max_length=20_000,
        help_text=_("Leer lassen, um den Text der Bescheidvorlage zu verwenden."),
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    fee_lines = forms.CharField(
        label=_("Gebührenpositionen (optional)"),
        required=False,
        max_length=20_000,
        help_text=_(
            "Eine Position je Zeile: Bezeichnung | Rechtsgrundlage | Betrag, z. B. "
            "„Meldebescheinigung | GebO § 1 Nr. 3 | 10,00“. Leer: die Gebühren der Vorlage."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, data: Any = None) -> None:
        super().__init__(data, auto_id="decision-%s")

    def clean_fee_lines(self) -> list[dict[str, str]] | None:
        value: str = self.cleaned_data.get("fee_lines") or ""
        return parse_fee_lines(value) or None
