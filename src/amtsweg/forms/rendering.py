"""Server-side HTML for form steps, and the summary of answers for review pages, receipts and cases.

:func:`render_step` turns one step into accessible HTML that works without JavaScript: labels tied
to inputs, fieldsets with legends for radios, checkboxes, addresses and groups, hints and errors
referenced by ``aria-describedby``, an error summary with links to the fields (the GOV.UK
pattern), and repeating groups whose "Weitere Zeile"/"Entfernen" buttons are ordinary submit
buttons. Input names are the dotted paths the engine reads (``children.1.birth_date``).

:func:`summary_rows` turns answers into labelled display values (choices by their labels, "Ja"/
"Nein", "12,50 €", "24.11.2026", file names), for the review page, the receipt PDF and the back office.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string
from django.utils import formats
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import engine
from .engine import DEFAULT_ACCEPT, Scope
from .schema import FieldType, FormField, FormSchema, Step

# Radios up to this many options; a select list beyond (long code lists).
MAX_RADIOS = 8
# Autocomplete tokens (WCAG 1.3.5) for the applicant's own data, by common field keys.
PERSONAL_AUTOCOMPLETE = {
    "given_name": "given-name",
    "first_name": "given-name",
    "vorname": "given-name",
    "family_name": "family-name",
    "last_name": "family-name",
    "nachname": "family-name",
    "familienname": "family-name",
    "birth_date": "bday",
    "date_of_birth": "bday",
    "geburtsdatum": "bday",
}
TYPE_AUTOCOMPLETE = {FieldType.EMAIL: "email", FieldType.PHONE: "tel"}
INPUT_TYPES = {FieldType.EMAIL: "email", FieldType.PHONE: "tel", FieldType.DATE: "date"}
TEMPLATES = {
    kind: "forms/fields/input.html"
    for kind in (
        FieldType.TEXT,
        FieldType.EMAIL,
        FieldType.PHONE,
        FieldType.NUMBER,
        FieldType.MONEY,
        FieldType.DATE,
    )
}
FILE_TYPE_NAMES = {"application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG"}


def _address_parts() -> list[tuple[str, str, str, str]]:
    """(part, label, autocomplete, width class) of the four inputs of an address."""
    return [
        ("street", _("Straße"), "address-line1", ""),
        ("house_number", _("Hausnummer"), "", "input--short"),
        ("postcode", _("Postleitzahl"), "postal-code", "input--short"),
        ("city", _("Ort"), "address-level2", ""),
    ]


@dataclass
class Choice:
    value: str
    label: str
    id: str
    checked: bool


@dataclass
class DocumentInfo:
    """An uploaded file as shown next to its file field."""

    id: str
    filename: str
    size: int = 0
    url: str = ""


@dataclass
class GroupRow:
    index: int
    path: str
    legend: str
    fields: list[BoundField]
    removable: bool


@dataclass
class BoundField:
    """One field ready for its template: names, ids, value, messages and ARIA references."""

    field: FormField
    path: str
    id: str
    label: str
    template: str
    required: bool = False
    hint: str = ""
    errors: list[str] = dataclasses.field(default_factory=list)
    value: str = ""
    input_type: str = "text"
    inputmode: str = ""
    autocomplete: str = ""
    width: str = ""
    minimum: str = ""
    maximum: str = ""
    choices: list[Choice] = dataclasses.field(default_factory=list)
    parts: list[BoundField] = dataclasses.field(default_factory=list)
    rows: list[GroupRow] = dataclasses.field(default_factory=list)
    documents: list[DocumentInfo] = dataclasses.field(default_factory=list)
    accept: str = ""
    multiple: bool = False
    can_add: bool = False
    can_upload: bool = True

    @property
    def anchor(self) -> str:
        """An id derived from the path alone (the input's id may be its first option's)."""
        return field_id(self.path)

    @property
    def hint_id(self) -> str:
        return f"{field_id(self.path)}-hint" if self.hint else ""

    @property
    def error_id(self) -> str:
        return f"{field_id(self.path)}-error" if self.errors else ""

    @property
    def describedby(self) -> str:
        return " ".join(part for part in (self.hint_id, self.error_id) if part)


@dataclass
class ErrorLink:
    message: str
    target: str  # the id of the input to jump to; empty when the field is not on this page


@dataclass
class StepView:
    step: Step
    fields: list[BoundField]
    error_links: list[ErrorLink]
    multipart: bool


def field_id(path: str) -> str:
    return "f-" + path.replace(".", "-")


class _Binder:
    def __init__(
        self,
        *,
        errors: Mapping[str, Sequence[str]],
        documents: Mapping[str, DocumentInfo],
        extra_rows: Mapping[str, int],
        today: dt.date,
    ) -> None:
        self.errors = errors
        self.documents = documents
        self.extra_rows = extra_rows
        self.today = today
        self.targets: dict[str, str] = {}  # error path → input id

    def messages(self, path: str) -> list[str]:
        return [str(m) for m in self.errors.get(path, [])]

    def fields(
        self, fields: list[FormField], values: Mapping[str, Any], scope: Scope, prefix: str
    ) -> list[BoundField]:
        bound: list[BoundField] = []
        for form_field in fields:
            if not engine.field_visible(form_field, scope):
                continue
            bound.append(self.field(form_field, values.get(form_field.key), scope, prefix + form_field.key))
        return bound

    def field(self, form_field: FormField, value: Any, scope: Scope, path: str) -> BoundField:
        kind = form_field.type
        bound = BoundField(
            field=form_field,
            path=path,
            id=field_id(path),
            label=str(form_field.label),
            template=TEMPLATES.get(kind, f"forms/fields/{kind.value}.html"),
            required=kind != FieldType.INFO and engine.field_required(form_field, scope),
            hint=str(form_field.help) if form_field.help else "",
            errors=self.messages(path),
        )
        self.targets[path] = bound.id
        if kind in (
            FieldType.TEXT,
            FieldType.EMAIL,
            FieldType.PHONE,
            FieldType.NUMBER,
            FieldType.MONEY,
            FieldType.DATE,
        ):
            self._input(bound, value, top_level="." not in path)
        elif kind == FieldType.TEXTAREA:
            bound.value = value if isinstance(value, str) else ""
            if form_field.max_length:
                bound.hint = _join(
                    bound.hint, _("Höchstens %(count)d Zeichen.") % {"count": form_field.max_length}
                )
        elif kind in (FieldType.CHOICE, FieldType.MULTICHOICE):
            self._choices(bound, value)
        elif kind == FieldType.YESNO:
            current = engine.parse_bool(value) if value is not None else None
            bound.choices = [
                Choice("ja", _("Ja"), f"{bound.id}-ja", current is True),
                Choice("nein", _("Nein"), f"{bound.id}-nein", current is False),
            ]
            self._no_answer(bound, current is None)
        elif kind == FieldType.ADDRESS:
            self._address(bound, value)
        elif kind == FieldType.FILE:
            self._file(bound, value)
        elif kind == FieldType.GROUP:
            self._group(bound, value, scope)
        return bound

    def _input(self, bound: BoundField, value: Any, *, top_level: bool) -> None:
        form_field = bound.field
        kind = form_field.type
        bound.input_type = INPUT_TYPES.get(kind, "text")
        bound.value = _input_value(form_field, value)
        bound.autocomplete = TYPE_AUTOCOMPLETE.get(kind, "")
        if top_level and not bound.autocomplete:
            bound.autocomplete = PERSONAL_AUTOCOMPLETE.get(form_field.key, "")
        if kind == FieldType.NUMBER:
            bound.inputmode = "decimal" if form_field.decimals else "numeric"
            bound.width = "input--short"
        elif kind == FieldType.MONEY:
            bound.inputmode = "decimal"
            bound.width = "input--short"
            bound.hint = _join(bound.hint, _("Betrag in Euro, z. B. 12,50"))
        elif kind == FieldType.DATE:
            bound.width = "input--date"
            low = engine.resolve_date(form_field.minimum, self.today) if form_field.minimum else None
            high = engine.resolve_date(form_field.maximum, self.today) if form_field.maximum else None
            bound.minimum = low.isoformat() if low else ""
            bound.maximum = high.isoformat() if high else ""
        elif kind == FieldType.PHONE:
            bound.width = "input--medium"

    def _choices(self, bound: BoundField, value: Any) -> None:
        form_field = bound.field
        if form_field.type == FieldType.MULTICHOICE:
            selected = {str(v) for v in value} if isinstance(value, list | tuple) else set()
        else:
            selected = {str(value)} if isinstance(value, str | int) and not isinstance(value, bool) else set()
        options = form_field.options or []
        bound.choices = [
            Choice(option.value, str(option.label), f"{bound.id}-{index}", option.value in selected)
            for index, option in enumerate(options)
        ]
        if form_field.type == FieldType.CHOICE and len(options) > MAX_RADIOS:
            bound.template = "forms/fields/select.html"
        elif form_field.type == FieldType.CHOICE:
            self._no_answer(bound, not selected)
        elif bound.choices:
            bound.id = bound.choices[0].id
            self.targets[bound.path] = bound.id

    def _no_answer(self, bound: BoundField, empty: bool) -> None:
        """Radios cannot be unticked without JavaScript: an optional question offers "no answer"."""
        if not bound.required:
            bound.choices.append(Choice("", _("Keine Angabe"), f"{bound.id}-none", empty))
        bound.id = bound.choices[0].id
        self.targets[bound.path] = bound.id

    def _address(self, bound: BoundField, value: Any) -> None:
        current = value if isinstance(value, Mapping) else {}
        for part, label, autocomplete, width in _address_parts():
            path = f"{bound.path}.{part}"
            part_value = current.get(part)
            sub = BoundField(
                field=bound.field,
                path=path,
                id=field_id(path),
                label=label,
                template="",
                required=bound.required and part != "house_number",
                errors=self.messages(path),
                value=part_value if isinstance(part_value, str) else "",
                autocomplete=autocomplete if "." not in bound.path else "",
                width=width,
                inputmode="numeric" if part == "postcode" else "",
            )
            self.targets[path] = sub.id
            bound.parts.append(sub)
        bound.id = bound.parts[0].id
        self.targets[bound.path] = bound.id

    def _file(self, bound: BoundField, value: Any) -> None:
        form_field = bound.field
        accept = form_field.accept or list(DEFAULT_ACCEPT)
        ids = [v for v in value if isinstance(v, str)] if isinstance(value, list | tuple) else []
        bound.documents = [self.documents.get(i) or DocumentInfo(id=i, filename=_("Datei")) for i in ids]
        bound.accept = ",".join(accept)
        bound.multiple = form_field.max_files > 1
        bound.can_upload = len(bound.documents) < form_field.max_files
        from amtsweg.cases.documents import upload_max_mb  # the upload rules live with the documents

        limit = form_field.max_size_mb or upload_max_mb()
        types = ", ".join(FILE_TYPE_NAMES.get(t, t) for t in accept)
        rules = ngettext(
            "Erlaubt: %(types)s, höchstens %(size)d MB; eine Datei.",
            "Erlaubt: %(types)s, höchstens %(size)d MB je Datei; bis zu %(count)d Dateien.",
            form_field.max_files,
        ) % {"types": types, "size": limit, "count": form_field.max_files}
        bound.hint = _join(bound.hint, rules)

    def _group(self, bound: BoundField, value: Any, scope: Scope) -> None:
        form_field = bound.field
        sub_fields = form_field.fields or []
        rows = [row for row in value if isinstance(row, Mapping)] if isinstance(value, list | tuple) else []
        count = max(len(rows), form_field.min_items, 1) + self.extra_rows.get(bound.path, 0)
        count = min(count, form_field.max_items)
        repeating = form_field.repeating
        for index in range(count):
            row_values = rows[index] if index < len(rows) else {}
            row_path = f"{bound.path}.{index}"
            row_scope = scope.child(row_values, sub_fields)
            legend = (
                _("%(label)s – Eintrag %(number)d") % {"label": bound.label, "number": index + 1}
                if repeating
                else bound.label
            )
            bound.rows.append(
                GroupRow(
                    index=index,
                    path=row_path,
                    legend=legend,
                    fields=self.fields(sub_fields, row_values, row_scope, row_path + "."),
                    removable=repeating and count > max(form_field.min_items, 1),
                )
            )
        bound.can_add = repeating and count < form_field.max_items
        first = bound.rows[0].fields[0] if bound.rows and bound.rows[0].fields else None
        bound.id = first.id if first else field_id(bound.path)
        self.targets[bound.path] = bound.id


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)


def _input_value(form_field: FormField, value: Any) -> str:
    """What an input shows: a saved answer in the page's notation, or the text as it was typed."""
    if value is None or isinstance(value, list | dict):
        return ""
    if isinstance(value, bool):
        return ""
    text = str(value)
    if form_field.type in (FieldType.NUMBER, FieldType.MONEY) and engine.CANONICAL_NUMBER.fullmatch(text):
        return formats.number_format(Decimal(text), use_l10n=True)
    if form_field.type == FieldType.DATE:
        day = engine.parse_date_text(text.strip())
        return day.isoformat() if day is not None else text
    return text


def bind_step(
    schema: FormSchema,
    step: Step,
    data: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]] | None = None,
    *,
    documents: Mapping[str, DocumentInfo] | None = None,
    extra_rows: Mapping[str, int] | None = None,
    today: dt.date | None = None,
) -> StepView:
    """The bound fields of ``step`` with ``data`` (saved answers, or what was just typed) and ``errors``."""
    day = today or engine.today_local()
    errors = errors or {}
    binder = _Binder(errors=errors, documents=documents or {}, extra_rows=extra_rows or {}, today=day)
    scope = engine.form_scope(schema, data, today=day)
    bound = binder.fields(step.fields, data, scope, "")
    links: list[ErrorLink] = []
    for path, messages in engine.order_errors(step.fields, {k: list(v) for k, v in errors.items()}).items():
        target = binder.targets.get(path, "")
        for message in messages:
            links.append(ErrorLink(message=str(message), target=target))
    multipart = any(f.type == FieldType.FILE for f in _walk(step.fields))
    return StepView(step=step, fields=bound, error_links=links, multipart=multipart)


def render_step(
    schema: FormSchema,
    step: Step,
    data: Mapping[str, Any],
    errors: Mapping[str, Sequence[str]] | None = None,
    *,
    documents: Mapping[str, DocumentInfo] | None = None,
    extra_rows: Mapping[str, int] | None = None,
    today: dt.date | None = None,
) -> SafeString:
    """The HTML of one step: error summary, intro and fields (without the ``<form>`` and its buttons)."""
    view = bind_step(schema, step, data, errors, documents=documents, extra_rows=extra_rows, today=today)
    return SafeString(render_to_string("forms/fields/step.html", {"view": view}))


def _walk(fields: list[FormField]) -> list[FormField]:
    result: list[FormField] = []
    for form_field in fields:
        result.append(form_field)
        result.extend(_walk(form_field.fields or []))
    return result


# --- summaries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SummaryRow:
    """One answer for display: label, value as text, the step to change it, and group entries."""

    label: str
    value: str
    step: str
    path: str
    type: str
    entries: tuple[tuple[SummaryRow, ...], ...] = ()

    @property
    def empty(self) -> bool:
        return not self.value and not self.entries


def display_value(form_field: FormField, value: Any, documents: Mapping[str, str] | None = None) -> str:
    """An answer as text in the active language; never raises, whatever is stored."""
    if value is None or value == "" or value == []:
        return ""
    kind = form_field.type
    try:
        if kind == FieldType.MONEY:
            return f"{formats.number_format(Decimal(str(value)), 2, use_l10n=True, force_grouping=True)} €"
        if kind == FieldType.NUMBER:
            number = Decimal(str(value))
            return formats.number_format(
                number, form_field.decimals or None, use_l10n=True, force_grouping=True
            )
        if kind == FieldType.DATE:
            return formats.date_format(dt.date.fromisoformat(str(value)), "SHORT_DATE_FORMAT")
    except (ArithmeticError, ValueError):
        return str(value)
    if kind == FieldType.YESNO:
        answer = engine.parse_bool(value)
        return _("Ja") if answer is True else _("Nein") if answer is False else str(value)
    if kind in (FieldType.CHOICE, FieldType.MULTICHOICE):
        labels = {option.value: str(option.label) for option in form_field.options or []}
        items = value if isinstance(value, list | tuple) else [value]
        return ", ".join(labels.get(str(item), str(item)) for item in items)
    if kind == FieldType.ADDRESS and isinstance(value, Mapping):
        street = " ".join(str(value.get(p) or "") for p in ("street", "house_number")).strip()
        town = " ".join(str(value.get(p) or "") for p in ("postcode", "city")).strip()
        return ", ".join(part for part in (street, town) if part)
    if kind == FieldType.FILE:
        ids = [str(v) for v in value] if isinstance(value, list | tuple) else [str(value)]
        if documents is not None:
            return ", ".join(documents.get(i, _("Datei")) for i in ids)
        return ngettext("%(count)d Datei", "%(count)d Dateien", len(ids)) % {"count": len(ids)}
    if isinstance(value, list | dict):
        return ""
    return str(value)


def _summary_of(
    fields: list[FormField],
    values: Mapping[str, Any],
    scope: Scope,
    step: Step,
    prefix: str,
    documents: Mapping[str, str] | None,
) -> list[SummaryRow]:
    rows: list[SummaryRow] = []
    for form_field in fields:
        if form_field.type == FieldType.INFO or not engine.field_visible(form_field, scope):
            continue
        path = prefix + form_field.key
        value = values.get(form_field.key)
        if form_field.type == FieldType.GROUP:
            entries: list[tuple[SummaryRow, ...]] = []
            items = [row for row in value if isinstance(row, Mapping)] if isinstance(value, list) else []
            for index, item in enumerate(items):
                child = scope.child(item, form_field.fields or [])
                entries.append(
                    tuple(
                        _summary_of(form_field.fields or [], item, child, step, f"{path}.{index}.", documents)
                    )
                )
            text = (
                ngettext("%(count)d Eintrag", "%(count)d Einträge", len(entries)) % {"count": len(entries)}
                if entries
                else ""
            )
            rows.append(
                SummaryRow(str(form_field.label), text, step.key, path, form_field.type.value, tuple(entries))
            )
            continue
        rows.append(
            SummaryRow(
                label=str(form_field.label),
                value=display_value(form_field, value, documents),
                step=step.key,
                path=path,
                type=form_field.type.value,
            )
        )
    return rows


def summary_rows(
    schema: FormSchema,
    data: Mapping[str, Any],
    *,
    documents: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> list[SummaryRow]:
    """Every visible answer of visible steps in form order (unanswered optional ones with an empty value).

    ``documents`` maps document ids to file names; without it, file answers show a count.
    """
    return [
        row for _step, rows in summary_by_step(schema, data, documents=documents, today=today) for row in rows
    ]


def summary_by_step(
    schema: FormSchema,
    data: Mapping[str, Any],
    *,
    documents: Mapping[str, str] | None = None,
    today: dt.date | None = None,
) -> list[tuple[Step, list[SummaryRow]]]:
    """:func:`summary_rows` grouped by step, for pages with one section (and "Ändern" link) per step."""
    values = data if isinstance(data, Mapping) else {}
    scope = engine.form_scope(schema, values, today=today)
    return [
        (step, _summary_of(step.fields, values, scope, step, "", documents))
        for step in engine.visible_steps(schema, values, today=today)
    ]
