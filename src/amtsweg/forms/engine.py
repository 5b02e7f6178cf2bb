"""The form engine: parsing and validation of answers against a :class:`FormSchema` (with ``conditions``).

Input comes from HTML form posts (a ``QueryDict`` with dotted names such as ``children.1.birth_date``)
or from API JSON (nested objects); both go through the same parser into normalised answers:

======================  =====================================================================
field type              stored value
======================  =====================================================================
text, textarea          stripped string
email, phone            stripped string
number, money           decimal string, quantised to ``decimals`` (money: two), e.g. ``"12.50"``
date                    ISO date ``"2026-11-24"``
choice                  the option's value
multichoice             list of option values (in the order of the options)
yesno                   ``true`` / ``false``
address                 ``{"street", "house_number", "postcode", "city"}``
file                    list of document ids (uploads of this draft)
group                   list of row objects
======================  =====================================================================

Empty answers are not stored; answers of hidden fields are dropped and never required. Errors are
keyed by dotted paths (``children.1.birth_date``, ``address.postcode``) and worded in German
(translated through gettext). Nothing in here raises on malformed input: every problem becomes an
error message.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .conditions import (
    CANONICAL_NUMBER,
    MAX_DIGITS,
    Scope,
    evaluate,
    field_required,
    field_visible,
    form_scope,
    format_date,
    holds,
    is_filled,
    parse_bool,
    parse_date_text,
    parse_decimal,
    resolve_date,
    step_for_path,
    step_visible,
    today_local,
    visible_steps,
)
from .schema import FieldType, FormField, FormSchema, Rule, Step

# Re-exported: the engine is the one interface of the form logic for views, API and other modules.
__all__ = [
    "ADDRESS_PARTS",
    "CANONICAL_NUMBER",
    "DEFAULT_ACCEPT",
    "MAX_DIGITS",
    "Answers",
    "Errors",
    "Scope",
    "clean_all",
    "error_steps",
    "evaluate",
    "field_required",
    "field_visible",
    "first_incomplete_step",
    "form_input",
    "form_scope",
    "format_date",
    "holds",
    "is_filled",
    "merge_step",
    "order_errors",
    "parse_bool",
    "parse_date_text",
    "parse_decimal",
    "resolve_date",
    "step_for_path",
    "step_input",
    "step_visible",
    "today_local",
    "validate_all",
    "validate_step",
    "visible_steps",
]

Answers = dict[str, Any]
Errors = dict[str, list[str]]

ADDRESS_PARTS = ("street", "house_number", "postcode", "city")
DEFAULT_ACCEPT = ("application/pdf", "image/jpeg", "image/png")
TEXT_LIKE = frozenset({FieldType.TEXT, FieldType.TEXTAREA, FieldType.EMAIL, FieldType.PHONE})
CHOICE_LIKE = frozenset({FieldType.CHOICE, FieldType.MULTICHOICE, FieldType.YESNO})
# Upper bounds when the schema sets none: they keep a single answer from filling the database.
DEFAULT_MAX_LENGTH = {
    FieldType.TEXT: 500,
    FieldType.TEXTAREA: 10_000,
    FieldType.EMAIL: 254,
    FieldType.PHONE: 40,
}
ADDRESS_MAX_LENGTH = {"street": 150, "house_number": 20, "postcode": 5, "city": 100}
MAX_ROWS_READ = 200  # rows of a repeating group read from one request, whatever max_items says

_POSTCODE = re.compile(r"[0-9]{5}")
_PHONE = re.compile(r"\+?[0-9 ()/\-.]{3,40}")
_UUID = re.compile(r"[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}")


# --- reading raw input ------------------------------------------------------------------------


def form_input(fields: Iterable[FormField], post: MultiValueDict[str, Any], prefix: str = "") -> Answers:
    """An HTML form post (dotted names) as the nested structure the API sends.

    Driven by the schema, so unknown names in the post are ignored. Rows of a repeating group are
    the indices that occur in any name below the group (each row posts a hidden ``<group>.<i>._row``).
    """
    nested: Answers = {}
    for form_field in fields:
        name = prefix + form_field.key
        if form_field.type == FieldType.INFO:
            continue
        if form_field.type in (FieldType.MULTICHOICE, FieldType.FILE):
            nested[form_field.key] = [v for v in post.getlist(name) if isinstance(v, str)]
        elif form_field.type == FieldType.ADDRESS:
            nested[form_field.key] = {part: post.get(f"{name}.{part}", "") for part in ADDRESS_PARTS}
        elif form_field.type == FieldType.GROUP:
            row_name = re.compile(re.escape(name) + r"\.([0-9]{1,4})\.")
            indices = sorted(
                {int(match.group(1)) for key in post if (match := row_name.match(str(key))) is not None}
            )[:MAX_ROWS_READ]
            nested[form_field.key] = [
                form_input(form_field.fields or [], post, f"{name}.{index}.") for index in indices
            ]
        else:
            value = post.get(name)
            nested[form_field.key] = value if isinstance(value, str) else None
    return nested


def step_input(
    schema: FormSchema, step_key: str, raw: Mapping[str, Any] | MultiValueDict[str, Any]
) -> Answers:
    """The raw input of one step as a nested mapping, whether it came as a form post or as JSON."""
    step = schema.step(step_key)
    if isinstance(raw, MultiValueDict):
        return form_input(step.fields, raw)
    return dict(raw) if isinstance(raw, Mapping) else {}


# --- validation -------------------------------------------------------------------------------


def _label(form_field: FormField) -> str:
    return str(form_field.label)


def _bad_characters(text: str, *, multiline: bool) -> bool:
    allowed = "\n\t" if multiline else "\t"
    return any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") and ch not in allowed for ch in text)


class _Validator:
    """Parses and checks one step (or, recursively, one row of a group); collects errors by path."""

    def __init__(
        self, *, uploads: Mapping[str, str] | Collection[str] | None, partial: bool, today: dt.date
    ) -> None:
        self.errors: Errors = {}
        self.uploads = uploads
        self.partial = partial
        self.today = today
        # For each group path: the input position of every stored row (empty rows are left out,
        # but errors are reported at the position the applicant sees).
        self.row_positions: dict[str, list[int]] = {}

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def drop(self, path: str) -> None:
        for key in [k for k in self.errors if k == path or k.startswith(path + ".")]:
            del self.errors[key]

    def has_errors(self, path: str) -> bool:
        return any(k == path or k.startswith(path + ".") for k in self.errors)

    # -- blocks: the fields of a step or of one group row --

    def block(
        self, fields: list[FormField], raw: Mapping[str, Any], prefix: str, parent: Scope, *, top: bool
    ) -> Answers:
        """Validate ``fields`` against ``raw``; returns the normalised values of visible fields."""
        values: Answers = {}
        for form_field in fields:
            if form_field.type in (FieldType.INFO, FieldType.GROUP):
                continue
            values[form_field.key] = self.value(form_field, raw.get(form_field.key), prefix + form_field.key)
        for form_field in fields:  # until the groups are read, conditions see their raw rows
            if form_field.type == FieldType.GROUP:
                raw_rows = raw.get(form_field.key)
                values[form_field.key] = raw_rows if isinstance(raw_rows, list) and raw_rows else None
        scope = parent.child(values, fields) if not top else _overlay(parent, values)
        hidden, scope = self._hidden(fields, values, scope)
        for form_field in fields:
            path = prefix + form_field.key
            if form_field.key in hidden or form_field.type == FieldType.INFO:
                values.pop(form_field.key, None)
                self.drop(path)
                continue
            if form_field.type == FieldType.GROUP:
                values[form_field.key] = self.group(form_field, raw.get(form_field.key), path, scope)
            empty = values.get(form_field.key) is None and not self.has_errors(path)
            if empty and not self.partial and field_required(form_field, scope):
                self.add(path, _required_message(form_field))
        return {key: value for key, value in values.items() if value is not None}

    @staticmethod
    def _hidden(fields: list[FormField], values: Answers, scope: Scope) -> tuple[set[str], Scope]:
        """The hidden fields, and the scope in which their answers are masked.

        A field may depend on another one that is itself hidden, so this repeats until nothing changes.
        """
        original = dict(scope.values)
        hidden: set[str] = set()
        for _round in range(len(fields) + 1):
            current = {f.key for f in fields if not field_visible(f, scope)}
            if current == hidden:
                break
            hidden = current
            masked = {**original, **{key: None for key in hidden}}
            scope = Scope(values=masked, fields=scope.fields, parent=scope.parent, today=scope.today)
        for key in hidden:
            values[key] = None
        return hidden, scope

    # -- single values --

    def value(self, form_field: FormField, raw: Any, path: str) -> Any:
        kind = form_field.type
        if kind in TEXT_LIKE:
            return self.text(form_field, raw, path)
        if kind in (FieldType.NUMBER, FieldType.MONEY):
            return self.number(form_field, raw, path)
        if kind == FieldType.DATE:
            return self.date(form_field, raw, path)
        if kind == FieldType.CHOICE:
            return self.choice(form_field, raw, path)
        if kind == FieldType.MULTICHOICE:
            return self.multichoice(form_field, raw, path)
        if kind == FieldType.YESNO:
            return self.yesno(form_field, raw, path)
        if kind == FieldType.ADDRESS:
            return self.address(form_field, raw, path)
        if kind == FieldType.FILE:
            return self.files(form_field, raw, path)
        return None

    def _scalar_text(self, raw: Any, path: str) -> str | None:
        """A scalar answer as text; lists and objects where one value belongs are an error."""
        if raw is None:
            return None
        if isinstance(raw, bool):
            return "true" if raw else "false"
        if isinstance(raw, str | int | float | Decimal):
            return str(raw) if not isinstance(raw, str) else raw
        self.add(path, _("Bitte geben Sie hier einen einzelnen Wert ein."))
        return None

    def text(self, form_field: FormField, raw: Any, path: str) -> str | None:
        text = self._scalar_text(raw, path)
        if text is None:
            return None
        multiline = form_field.type == FieldType.TEXTAREA
        text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
        if not multiline:
            text = " ".join(text.split("\n"))
        if not text:
            return None
        text = unicodedata.normalize("NFC", text)
        if _bad_characters(text, multiline=multiline):
            self.add(path, _("Die Eingabe enthält unzulässige Steuerzeichen."))
            return None
        max_length = form_field.max_length or DEFAULT_MAX_LENGTH.get(form_field.type, 500)
        if len(text) > max_length:
            self.add(
                path,
                _("Bitte höchstens %(max)d Zeichen eingeben (jetzt %(count)d).")
                % {"max": max_length, "count": len(text)},
            )
            return None
        if form_field.min_length and len(text) < form_field.min_length:
            self.add(
                path,
                ngettext(
                    "Bitte mindestens %(min)d Zeichen eingeben.",
                    "Bitte mindestens %(min)d Zeichen eingeben.",
                    form_field.min_length,
                )
                % {"min": form_field.min_length},
            )
            return None
        if form_field.type == FieldType.EMAIL:
            try:
                validate_email(text)
            except ValidationError:
                self.add(path, _("Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."))
                return None
        if form_field.type == FieldType.PHONE:
            digits = sum(ch.isdigit() for ch in text)
            if not _PHONE.fullmatch(text) or not 5 <= digits <= 20:
                self.add(path, _("Bitte geben Sie eine gültige Telefonnummer ein, z. B. 02131 90-1234."))
                return None
        if form_field.pattern is not None and re.fullmatch(form_field.pattern, text) is None:
            message = form_field.pattern_message
            self.add(path, str(message) if message else _("Die Eingabe hat nicht das erwartete Format."))
            return None
        return text

    def number(self, form_field: FormField, raw: Any, path: str) -> str | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        money = form_field.type == FieldType.MONEY
        value = parse_decimal(raw) if not isinstance(raw, list | dict) else None
        if value is None:
            self.add(
                path,
                _("Bitte geben Sie einen Betrag in Euro ein, z. B. 12,50.")
                if money
                else _("Bitte geben Sie eine Zahl ein."),
            )
            return None
        decimals = 2 if money else form_field.decimals
        exponent = value.as_tuple().exponent
        if isinstance(exponent, int) and -exponent > decimals:
            if decimals == 0:
                self.add(path, _("Bitte geben Sie eine ganze Zahl ein."))
            else:
                self.add(
                    path,
                    ngettext(
                        "Bitte höchstens %(count)d Nachkommastelle angeben.",
                        "Bitte höchstens %(count)d Nachkommastellen angeben.",
                        decimals,
                    )
                    % {"count": decimals},
                )
            return None
        value = value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
        minimum = parse_decimal(form_field.minimum) if form_field.minimum is not None else None
        maximum = parse_decimal(form_field.maximum) if form_field.maximum is not None else None
        if money and minimum is None and value < 0:
            minimum = Decimal(0)
        if minimum is not None and value < minimum:
            self.add(
                path, _("Der Wert muss mindestens %(min)s sein.") % {"min": display_number(minimum, money)}
            )
            return None
        if maximum is not None and value > maximum:
            self.add(
                path, _("Der Wert darf höchstens %(max)s sein.") % {"max": display_number(maximum, money)}
            )
            return None
        return format(value, "f")

    def date(self, form_field: FormField, raw: Any, path: str) -> str | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        day = parse_date_text(raw.strip()) if isinstance(raw, str) else None
        if day is None:
            self.add(path, _("Bitte geben Sie ein gültiges Datum ein, z. B. 24.11.2026."))
            return None
        today = self.today
        minimum = resolve_date(form_field.minimum, today) if form_field.minimum else None
        maximum = resolve_date(form_field.maximum, today) if form_field.maximum else None
        if minimum is not None and day < minimum:
            self.add(
                path, _("Das Datum darf nicht vor dem %(date)s liegen.") % {"date": format_date(minimum)}
            )
            return None
        if maximum is not None and day > maximum:
            self.add(
                path, _("Das Datum darf nicht nach dem %(date)s liegen.") % {"date": format_date(maximum)}
            )
            return None
        return day.isoformat()

    def choice(self, form_field: FormField, raw: Any, path: str) -> str | None:
        if isinstance(raw, int) and not isinstance(raw, bool):
            raw = str(raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        allowed = {option.value for option in form_field.options or []}
        if not isinstance(raw, str) or raw.strip() not in allowed:
            self.add(path, _("Bitte wählen Sie eine der angebotenen Antworten."))
            return None
        return raw.strip()

    def multichoice(self, form_field: FormField, raw: Any, path: str) -> list[str] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = [raw] if raw.strip() else []
        if not isinstance(raw, list | tuple):
            self.add(path, _("Bitte wählen Sie eine oder mehrere der angebotenen Antworten."))
            return None
        if any(not isinstance(item, str | int) or isinstance(item, bool) for item in raw):
            self.add(path, _("Bitte wählen Sie nur angebotene Antworten."))
            return None
        chosen = {str(item).strip() for item in raw} - {""}
        options = [option.value for option in form_field.options or []]
        if chosen - set(options):
            self.add(path, _("Bitte wählen Sie nur angebotene Antworten."))
            return None
        return [value for value in options if value in chosen] or None

    def yesno(self, form_field: FormField, raw: Any, path: str) -> bool | None:
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            return None
        value = parse_bool(raw)
        if value is None:
            self.add(path, _("Bitte wählen Sie „Ja“ oder „Nein“."))
        return value

    def address(self, form_field: FormField, raw: Any, path: str) -> dict[str, str] | None:
        if raw is None:
            return None
        if not isinstance(raw, Mapping):
            self.add(
                path, _("Bitte geben Sie die Anschrift mit Straße, Hausnummer, Postleitzahl und Ort an.")
            )
            return None
        address: dict[str, str] = {}
        for part in ADDRESS_PARTS:
            text = self._scalar_text(raw.get(part), f"{path}.{part}")
            text = " ".join((text or "").split())
            if text:
                address[part] = unicodedata.normalize("NFC", text)
        if not address:
            return None
        messages = {
            "street": _("Bitte geben Sie die Straße an."),
            "postcode": _("Bitte geben Sie die Postleitzahl an."),
            "city": _("Bitte geben Sie den Ort an."),
        }
        valid = True
        for part in ("street", "postcode", "city"):
            if part not in address and not self.has_errors(f"{path}.{part}"):
                self.add(f"{path}.{part}", messages[part])
                valid = False
        for part, text in address.items():
            if len(text) > ADDRESS_MAX_LENGTH[part] and part != "postcode":
                self.add(
                    f"{path}.{part}",
                    _("Bitte höchstens %(max)d Zeichen eingeben.") % {"max": ADDRESS_MAX_LENGTH[part]},
                )
                valid = False
            elif _bad_characters(text, multiline=False):
                self.add(f"{path}.{part}", _("Die Eingabe enthält unzulässige Steuerzeichen."))
                valid = False
        if "postcode" in address and not _POSTCODE.fullmatch(address["postcode"]):
            self.add(f"{path}.postcode", _("Eine deutsche Postleitzahl besteht aus genau 5 Ziffern."))
            valid = False
        if valid and self.has_errors(path):
            valid = False
        return address if valid else None

    def files(self, form_field: FormField, raw: Any, path: str) -> list[str] | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            raw = [raw]
        if not isinstance(raw, list | tuple) or not all(isinstance(item, str) for item in raw):
            self.add(path, _("Bitte laden Sie die Datei hier hoch."))
            return None
        ids: list[str] = []
        for item in raw:
            item = item.strip().lower()
            if item and item not in ids:
                ids.append(item)
        if not ids:
            return None
        for item in ids:
            if not _UUID.fullmatch(item) or not self._upload_allowed(item, form_field.key):
                self.add(
                    path,
                    _("Eine der Dateien gehört nicht zu diesem Antrag. Bitte laden Sie sie erneut hoch."),
                )
                return None
        if len(ids) > form_field.max_files:
            self.add(
                path,
                ngettext(
                    "Bitte höchstens %(count)d Datei hochladen.",
                    "Bitte höchstens %(count)d Dateien hochladen.",
                    form_field.max_files,
                )
                % {"count": form_field.max_files},
            )
            return None
        return ids

    def _upload_allowed(self, document_id: str, field_key: str) -> bool:
        if self.uploads is None:
            return True
        if isinstance(self.uploads, Mapping):
            owner = self.uploads.get(document_id)
            return owner is not None and owner in ("", field_key)
        return document_id in self.uploads

    def group(self, form_field: FormField, raw: Any, path: str, scope: Scope) -> list[Answers] | None:
        if raw is None:
            raw = []
        if isinstance(raw, Mapping):  # a single object for a non-repeating group is accepted as one row
            raw = [raw]
        if not isinstance(raw, list | tuple):
            self.add(path, _("Die Angaben zu „%(label)s“ sind ungültig.") % {"label": _label(form_field)})
            return None
        required = not self.partial and field_required(form_field, scope)
        keep_empty = form_field.min_items if required else 0
        rows: list[Answers] = []
        positions: list[int] = []
        for index, raw_row in enumerate(raw[:MAX_ROWS_READ]):
            if not isinstance(raw_row, Mapping):
                self.add(path, _("Die Angaben zu „%(label)s“ sind ungültig.") % {"label": _label(form_field)})
                return None
            # Entirely empty rows are left out, except the first ones a required group needs:
            # there, the missing answers are shown at the fields of that row.
            if not is_filled(dict(raw_row)) and index >= keep_empty:
                continue
            rows.append(self.block(form_field.fields or [], raw_row, f"{path}.{index}.", scope, top=False))
            positions.append(index)
        self.row_positions[path] = positions
        if len(raw) > MAX_ROWS_READ or len(rows) > form_field.max_items:
            self.add(
                path,
                ngettext(
                    "Bitte höchstens %(count)d Eintrag angeben.",
                    "Bitte höchstens %(count)d Einträge angeben.",
                    form_field.max_items,
                )
                % {"count": form_field.max_items},
            )
            return None
        filled = [row for row in rows if row]
        if required and len(rows) < form_field.min_items and not self.has_errors(path):
            self.add(path, _min_items_message(form_field))
        if not filled:
            return None
        return rows


def _overlay(parent: Scope, values: Answers) -> Scope:
    return Scope(
        values={**parent.values, **values}, fields=parent.fields, parent=parent.parent, today=parent.today
    )


def _required_message(form_field: FormField) -> str:
    label = _label(form_field)
    if form_field.type in CHOICE_LIKE:
        return _("Bitte wählen Sie bei „%(label)s“ eine Antwort aus.") % {"label": label}
    if form_field.type == FieldType.FILE:
        return _("Bitte laden Sie „%(label)s“ hoch.") % {"label": label}
    if form_field.type == FieldType.GROUP:
        return _min_items_message(form_field)
    return _("Bitte geben Sie „%(label)s“ an.") % {"label": label}


def _min_items_message(form_field: FormField) -> str:
    count = max(form_field.min_items, 1)
    return ngettext(
        "Bitte geben Sie bei „%(label)s“ mindestens %(count)d Eintrag an.",
        "Bitte geben Sie bei „%(label)s“ mindestens %(count)d Einträge an.",
        count,
    ) % {"label": _label(form_field), "count": count}


def display_number(value: Decimal, money: bool) -> str:
    """A bound in an error message, written the German way (``1000,5``, ``0,00 €``)."""
    if money:
        value = value.quantize(Decimal("0.01"))
    text = format(value, "f").replace(".", ",")
    return f"{text} €" if money else text


# --- cross-field rules ------------------------------------------------------------------------


def _rule_group(step: Step, rule: Rule, top_keys: Collection[str]) -> FormField | None:
    """The repeating group a rule is about, when it refers to the group's sub-fields: checked per row."""
    referenced = rule.check.referenced_keys() | (rule.when.referenced_keys() if rule.when else set())
    for form_field in step.fields:
        if form_field.type == FieldType.GROUP:
            sub_keys = {f.key for f in form_field.fields or []}
            if (referenced - set(top_keys)) & sub_keys:
                return form_field
    return None


def _rule_target(rule: Rule, fields: list[FormField]) -> str:
    if rule.field:
        return rule.field
    referenced = rule.check.referenced_keys()
    for form_field in fields:
        if form_field.key in referenced:
            return form_field.key
    return sorted(referenced)[0] if referenced else fields[0].key


def _check_rules(validator: _Validator, step: Step, values: Answers, scope: Scope) -> None:
    top_keys = set(scope.fields)
    for rule in step.rules:
        group = _rule_group(step, rule, top_keys)
        if group is None:
            path = _rule_target(rule, step.fields)
            checks = [(scope, path)]
        else:
            positions = validator.row_positions.get(group.key, [])
            target = _rule_target(rule, group.fields or [])
            rows = values.get(group.key) or []
            checks = [
                (scope.child(row, group.fields or []), f"{group.key}.{position}.{target}")
                for row, position in zip(rows, positions, strict=False)
            ]
        for rule_scope, path in checks:
            if validator.has_errors(path) or not holds(rule.when, rule_scope):
                continue
            if evaluate(rule.check, rule_scope) is False:
                validator.add(path, str(rule.message))


# --- the public interface ---------------------------------------------------------------------


def validate_step(
    schema: FormSchema,
    step_key: str,
    raw: Mapping[str, Any] | MultiValueDict[str, Any],
    *,
    data: Mapping[str, Any] | None = None,
    uploads: Mapping[str, str] | Collection[str] | None = None,
    partial: bool = False,
    today: dt.date | None = None,
) -> tuple[Answers, Errors]:
    """Parse and check the answers of one step.

    ``raw`` is an HTML form post or a JSON object; ``data`` the answers saved so far (conditions may
    refer to other steps); ``uploads`` the documents of the draft (id → field key they were uploaded
    for, or just ids), which FILE answers must come from (None: ids are only checked for form);
    ``partial`` skips requiredness and rules ("save and continue later"), not format checks.

    Returns the normalised answers of the step's visible fields and the errors by dotted path.
    Raises ``KeyError`` only for a ``step_key`` the schema does not have.
    """
    step = schema.step(step_key)
    nested = step_input(schema, step_key, raw)
    day = today or today_local()
    scope = form_scope(schema, data or {}, today=day)
    validator = _Validator(uploads=uploads, partial=partial, today=day)
    values = validator.block(step.fields, nested, "", scope, top=True)
    if not partial:
        _check_rules(
            validator, step, values, _overlay(scope, {f.key: values.get(f.key) for f in step.fields})
        )
    cleaned = {key: value for key, value in values.items() if not validator.has_errors(key)}
    return cleaned, order_errors(step.fields, validator.errors)


def _path_position(fields: list[FormField], path: str) -> tuple[int, ...]:
    position: list[int] = []
    current: list[FormField] | None = fields
    parts = path.split(".")
    index = 0
    while index < len(parts):
        part = parts[index]
        keys = [f.key for f in current or []]
        if part not in keys:
            position.append(ADDRESS_PARTS.index(part) if part in ADDRESS_PARTS else len(keys))
            break
        position.append(keys.index(part))
        form_field = (current or [])[keys.index(part)]
        if form_field.type == FieldType.GROUP and index + 1 < len(parts) and parts[index + 1].isdigit():
            position.append(int(parts[index + 1]))
            index += 1
        current = form_field.fields
        index += 1
    return tuple(position)


def order_errors(fields: list[FormField], errors: Errors) -> Errors:
    """``errors`` in the order the fields appear on the page (the error summary lists them so)."""
    return dict(sorted(errors.items(), key=lambda item: _path_position(fields, item[0])))


def clean_all(
    schema: FormSchema,
    data: Mapping[str, Any],
    *,
    uploads: Mapping[str, str] | Collection[str] | None = None,
    today: dt.date | None = None,
) -> tuple[Answers, Errors]:
    """All visible steps checked in order: the answers as they will be submitted, and the errors.

    Answers of steps or fields that are hidden now (the applicant changed an earlier answer) are
    left out. Step visibility is decided on the cleaned answers of the steps before it.
    """
    day = today or today_local()
    current: Answers = dict(data) if isinstance(data, Mapping) else {}
    cleaned: Answers = {}
    errors: Errors = {}
    scope_fields = {f.key: f for f in schema.all_fields()}
    for step in schema.steps:
        keys = [f.key for f in step.fields]
        if not holds(step.visible_if, Scope(values=current, fields=scope_fields, today=day)):
            for key in keys:
                current.pop(key, None)
            continue
        step_raw = {key: current.get(key) for key in keys}
        step_clean, step_errors = validate_step(
            schema, step.key, step_raw, data=current, uploads=uploads, today=day
        )
        for key in keys:
            current.pop(key, None)
        current.update(step_clean)
        cleaned.update(step_clean)
        errors.update(step_errors)
    return cleaned, order_errors(schema.all_fields(), errors)


def validate_all(
    schema: FormSchema,
    data: Mapping[str, Any],
    *,
    uploads: Mapping[str, str] | Collection[str] | None = None,
    today: dt.date | None = None,
) -> Errors:
    """The final gate before submission: the errors of every visible step (empty when complete)."""
    return clean_all(schema, data, uploads=uploads, today=today)[1]


def merge_step(
    schema: FormSchema, step_key: str, data: Mapping[str, Any], cleaned: Mapping[str, Any]
) -> Answers:
    """``data`` with the answers of one step replaced by ``cleaned`` (answers left empty are removed)."""
    keys = {f.key for f in schema.step(step_key).fields}
    merged = {key: value for key, value in data.items() if key not in keys}
    merged.update({key: value for key, value in cleaned.items() if key in keys})
    return merged


def first_incomplete_step(
    schema: FormSchema, data: Mapping[str, Any], completed: Collection[str], *, today: dt.date | None = None
) -> Step | None:
    """Where to resume: the first visible step not yet completed, or None when all are."""
    for step in visible_steps(schema, data, today=today):
        if step.key not in completed:
            return step
    return None


def error_steps(schema: FormSchema, errors: Mapping[str, Any]) -> list[Step]:
    """The steps that have errors, in form order."""
    keys = {step.key for path in errors if (step := step_for_path(schema, path)) is not None}
    return [step for step in schema.steps if step.key in keys]
