"""Mapping of XDatenfelder nodes (see :mod:`.xdatenfelder_read`) to a :class:`FormSchema`.

Top-level groups become steps (loose top-level fields a first step), nested groups GROUP fields with
their multiplicity, and every key is derived from the FIM id, so answers keep their key across versions.
"""

from __future__ import annotations

import hashlib
import math
import re
import warnings
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from .schema import FieldType, FormField, FormSchema, Option, Step, Text
from .xdatenfelder_read import (
    DATENTYPEN,
    MAX_TEXT,
    Child,
    FieldNode,
    GroupNode,
    Node,
    Precision,
    ReadAborted,
    Reader,
    SourceError,
)

REPEAT_LIMIT = 100  # FormField.max_items; "*" (unbounded) becomes this
_TIME_PATTERN = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_DATETIME_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9]"


def _fit_key(raw: str) -> str:
    """A valid schema key (``^[a-z][a-z0-9_]{0,62}$``) derived deterministically from ``raw``."""
    key = re.sub(r"[^a-z0-9_]+", "_", raw.lower()).strip("_")
    key = re.sub(r"_+", "_", key)
    if not key or not key[0].isalpha():
        key = f"f_{key}".rstrip("_")
    if len(key) > 56:
        digest = hashlib.sha256(raw.encode()).hexdigest()[:8]
        key = f"{key[:47]}_{digest}"
    return key


def _unique(key: str, used: set[str], parent: str) -> str:
    # The same FIM element may be used twice (e.g. one address group for applicant and proxy).
    candidate = key
    if candidate in used:
        candidate = _fit_key(f"{parent}_{key}")
    number = 2
    base = candidate
    while candidate in used:
        candidate = _fit_key(f"{base}_{number}")
        number += 1
    used.add(candidate)
    return candidate


def _has_class_subtraction(pattern: str) -> bool:
    """Whether ``pattern`` uses XSD character-class subtraction (``[a-z-[aeiou]]``) anywhere."""
    depth, escaped = 0, False
    for index, char in enumerate(pattern):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            if depth and pattern[index - 1] == "-":
                return True
            depth += 1
        elif char == "]" and depth:
            depth -= 1
    return False


def _text_or_none(value: str) -> Text | None:
    return Text(de=value) if value else None


class Mapper:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def note(self, element: str, reason: str, source_text: str = "") -> None:
        self.reader.note(element, reason, source_text)

    def form(self, top: GroupNode) -> FormSchema:
        used_steps: set[str] = set()
        used_fields: set[str] = set()
        top_key = _fit_key(top.fim_id or "formular")
        loose = [child for child in top.children if isinstance(child.node, FieldNode)]
        steps: list[Step] = []
        if loose:
            fields = self.fields(loose, used_fields, top_key)
            if fields:
                steps.append(
                    Step(
                        key=_unique(f"s_{top_key}", used_steps, "s"),
                        title=Text(de=top.label),
                        intro=_text_or_none(top.help),
                        fields=fields,
                    )
                )
        for child in top.children:
            group = child.node
            if not isinstance(group, GroupNode):
                continue
            group_key = _fit_key(group.fim_id)
            if child.min == 1 and child.max == 1:
                fields = self.fields(group.children, used_fields, group_key)
            else:
                group_field = self.group_field(child, group, used_fields, top_key)
                fields = [group_field] if group_field is not None else []
            if not fields:
                self.note(
                    f"Datenfeldgruppe {group.ref}",
                    "Die Gruppe enthält keine darstellbaren Felder; es wurde kein Schritt angelegt.",
                )
                continue
            steps.append(
                Step(
                    key=_unique(f"s_{group_key}", used_steps, "s"),
                    title=Text(de=group.label),
                    intro=_text_or_none(group.help)
                    if len(fields) > 1 or fields[0].type != FieldType.GROUP
                    else None,
                    fields=fields,
                )
            )
        if not steps:
            self.note(
                f"{'Stammdatenschema' if top.kind == 'stammdatenschema' else 'Datenfeldgruppe'} {top.ref}",
                "Das Schema enthält keine Datenfelder; das Formular zeigt nur einen Hinweis.",
            )
            steps.append(
                Step(
                    key=_unique(f"s_{top_key}", used_steps, "s"),
                    title=Text(de=top.label),
                    fields=[
                        FormField(
                            key=_unique(f"{top_key}_hinweis", used_fields, top_key),
                            type=FieldType.INFO,
                            label=Text(
                                de="Für dieses Formular sind keine Angaben nötig.",
                                en="This form needs no information.",
                            ),
                            source=self.source(top),
                        )
                    ],
                )
            )
        try:
            return FormSchema(
                title=Text(de=top.label),
                intro=_text_or_none(top.help),
                steps=steps,
                unsupported=list(self.reader.notes),
            )
        except ValidationError as exc:  # a safety net: the reader should have caught every cause
            self.reader.error(None, "", f"Ungültiges Formular: {exc}", f"invalid form: {exc}")
            raise ReadAborted from exc

    def source(self, node: Node) -> dict[str, str]:
        source = {"fim_id": node.fim_id, "fim_element": node.kind, "xdatenfelder": self.reader.standard}
        if node.version:
            source["fim_version"] = node.version
        return source

    def fields(self, children: list[Child], used: set[str], parent_key: str) -> list[FormField]:
        result: list[FormField] = []
        for child in children:
            if isinstance(child.node, GroupNode):
                mapped = self.group_field(child, child.node, used, parent_key)
            else:
                mapped = self.field(child, child.node, used, parent_key)
            if mapped is not None:
                result.append(mapped)
        return result

    def group_field(
        self, child: Child, group: GroupNode, used: set[str], parent_key: str
    ) -> FormField | None:
        own_key = _fit_key(group.fim_id)
        sub_fields = self.fields(group.children, set(), own_key)
        if not sub_fields:
            self.note(
                f"Datenfeldgruppe {group.ref}",
                "Die Gruppe enthält keine darstellbaren Felder; sie wurde nicht übernommen.",
            )
            return None
        low, high = self.bounds(child, group)
        return FormField(
            key=_unique(own_key, used, parent_key),
            type=FieldType.GROUP,
            label=Text(de=group.label),
            help=_text_or_none(group.help),
            required=low >= 1,
            fields=sub_fields,
            min_items=low,
            max_items=high,
            source=self.source(group),
        )

    def bounds(self, child: Child, node: Node) -> tuple[int, int]:
        high = REPEAT_LIMIT if child.max is None else child.max
        low = child.min
        if high > REPEAT_LIMIT or low > REPEAT_LIMIT:
            self.note(
                f"Anzahl {child.min}:{child.max} von {node.ref}",
                f"Mehr als {REPEAT_LIMIT} Wiederholungen werden nicht unterstützt; "
                f"begrenzt auf höchstens {REPEAT_LIMIT}.",
            )
            high, low = min(high, REPEAT_LIMIT), min(low, REPEAT_LIMIT)
        return low, high

    def field(self, child: Child, node: FieldNode, used: set[str], parent_key: str) -> FormField | None:
        ref = node.ref
        if node.feldart == "hidden":
            self.note(
                f"Feldart „hidden“ von {ref}",
                "Versteckte Felder werden nicht übernommen; ihr fester Wert wird nicht übermittelt.",
                node.content,
            )
            return None
        kwargs: dict[str, Any] = {
            "label": Text(de=node.label),
            "help": _text_or_none(node.help),
            "source": self.source(node),
        }
        low, high = self.bounds(child, node)
        if node.feldart in ("label", "locked"):
            if node.feldart == "locked":
                self.note(
                    f"Feldart „locked“ von {ref}",
                    "Gesperrte Felder werden als Hinweis mit ihrem Wert angezeigt; "
                    "der Wert wird nicht übermittelt.",
                    node.content,
                )
            content = " ".join(node.content.split())
            if content:
                kwargs["help"] = Text(de=content[:MAX_TEXT])
            return FormField(
                key=_unique(_fit_key(node.fim_id), used, parent_key), type=FieldType.INFO, **kwargs
            )
        if node.content:
            self.note(
                f"Inhalt (Vorbelegung) von {ref}",
                "Vorbelegte Werte werden nicht übernommen; das Feld startet leer.",
                node.content,
            )
        repeated = high > 1
        if node.feldart == "select":
            kwargs.update(self.choice(node, repeated=repeated, high=high))
        else:
            kwargs.update(self.typed(node))
        field_type: FieldType = kwargs["type"]
        if field_type == FieldType.FILE and repeated:
            kwargs["max_files"] = min(high, 20)
            if high > 20 or low > 1:
                self.note(
                    f"Anzahl {child.min}:{child.max if child.max is not None else '*'} von {ref}",
                    "Es sind 1 bis 20 Dateien je Feld möglich; die Mindestzahl wird nicht geprüft.",
                )
            repeated = False
        if field_type == FieldType.MULTICHOICE:
            repeated = False
        key = _fit_key(node.fim_id)
        if not repeated:
            return FormField(key=_unique(key, used, parent_key), required=low >= 1, **kwargs)
        # A repeatable single field becomes a repeating group with that one field.
        inner = FormField(key="wert", required=True, **kwargs)
        return FormField(
            key=_unique(key, used, parent_key),
            type=FieldType.GROUP,
            label=kwargs["label"],
            help=kwargs["help"],
            required=low >= 1,
            fields=[inner],
            min_items=low,
            max_items=high,
            source=kwargs["source"],
        )

    def choice(self, node: FieldNode, *, repeated: bool, high: int) -> dict[str, Any]:
        ref = node.ref
        if not node.values:
            reference = node.codelist or "(keine Codeliste angegeben)"
            self.note(
                f"Codeliste {reference} von {ref}",
                "Die Werte der Codeliste sind nicht in der Datei enthalten; das Feld wurde als Texteingabe "
                "übernommen. Bitte die Auswahlwerte ergänzen.",
            )
            as_text = self.typed(node, text_only=True)
            if node.codelist:
                as_text["source"] = {**self.source(node), "fim_codelist": node.codelist}
            return as_text
        if any(help_text for _code, _name, help_text, _line in node.values):
            self.note(
                f"Hilfetexte der Auswahlwerte von {ref}",
                "Hilfetexte zu einzelnen Auswahlwerten werden nicht angezeigt.",
            )
        options = [Option(value=code, label=Text(de=name)) for code, name, _help, _line in node.values]
        result: dict[str, Any] = {
            "type": FieldType.MULTICHOICE if repeated else FieldType.CHOICE,
            "options": options,
        }
        if node.codelist:
            result["codelist"] = node.codelist
        if repeated and high < len(options):
            self.note(
                f"Höchstzahl {high} der Auswahl von {ref}",
                "Die Höchstzahl gewählter Werte wird nicht geprüft.",
            )
        return result

    def typed(self, node: FieldNode, *, text_only: bool = False) -> dict[str, Any]:
        ref = node.ref
        datentyp = "text" if text_only else node.datentyp
        precision = node.precision or Precision(line=node.line)
        result: dict[str, Any] = {}
        if datentyp not in DATENTYPEN[self.reader.standard]:
            self.note(
                f"Datentyp „{datentyp}“ von {ref}",
                "Unbekannter Datentyp; das Feld wurde als Texteingabe übernommen.",
            )
            datentyp = "text"
        if datentyp in ("text", "text_latin"):
            result.update(self.text_constraints(node, precision))
            if datentyp == "text_latin":
                self.note(
                    f"Datentyp „text_latin“ von {ref}",
                    "Die Beschränkung auf lateinische Zeichen nach DIN SPEC 91379 wird nicht geprüft.",
                )
            return result
        if datentyp == "time":
            result = {
                "type": FieldType.TEXT,
                "pattern": _TIME_PATTERN,
                "pattern_message": Text(de="Bitte die Uhrzeit als HH:MM angeben, z. B. 14:30."),
                "max_length": 5,
            }
            self.ignore(precision, ref, ("min_length", "max_length", "pattern", "min_value", "max_value"))
            return result
        if datentyp == "datetime":
            result = {
                "type": FieldType.TEXT,
                "pattern": _DATETIME_PATTERN,
                "pattern_message": Text(de="Bitte Datum und Uhrzeit als JJJJ-MM-TT HH:MM angeben."),
                "max_length": 16,
            }
            self.ignore(precision, ref, ("min_length", "max_length", "pattern", "min_value", "max_value"))
            return result
        if datentyp == "date":
            result = {"type": FieldType.DATE, **self.date_bounds(node, precision)}
            self.ignore(precision, ref, ("min_length", "max_length", "pattern"))
            return result
        if datentyp == "bool":
            self.ignore(precision, ref, ("min_length", "max_length", "pattern", "min_value", "max_value"))
            return {"type": FieldType.YESNO}
        if datentyp in ("num", "num_int", "num_currency"):
            field_type = FieldType.MONEY if datentyp == "num_currency" else FieldType.NUMBER
            result = {"type": field_type, **self.number_bounds(node, precision)}
            if datentyp == "num":
                result["decimals"] = 6
            self.ignore(precision, ref, ("min_length", "max_length", "pattern"))
            return result
        # file and obj (a binary object, e.g. a photo): an upload
        if datentyp == "obj":
            self.note(
                f"Datentyp „obj“ von {ref}",
                "Binärobjekte werden als Datei-Upload übernommen.",
            )
        result = {"type": FieldType.FILE}
        if node.media_types:
            result["accept"] = node.media_types
        if node.max_size is not None:
            # XDatenfelder gives the size in bytes; the form allows 1 to 100 MB.
            megabytes = max(1, math.ceil(node.max_size / (1024 * 1024)))
            if megabytes > 100:
                self.note(f"Dateigröße von {ref}", "Mehr als 100 MB je Datei sind nicht möglich; begrenzt.")
            result["max_size_mb"] = min(100, megabytes)
        self.ignore(precision, ref, ("min_length", "max_length", "pattern", "min_value", "max_value"))
        return result

    def ignore(self, precision: Precision, ref: str, names: tuple[str, ...]) -> None:
        for name in names:
            value = getattr(precision, name)
            if value:
                self.note(
                    f"Präzisierung {name} von {ref}",
                    "Diese Präzisierung passt nicht zum Datentyp und wurde nicht übernommen.",
                    value,
                )

    def _error(self, precision: Precision, de: str, en: str) -> None:
        self.reader.errors.append(SourceError(self.reader.file, precision.line, "xdf:praezisierung", de, en))

    def text_constraints(self, node: FieldNode, precision: Precision) -> dict[str, Any]:
        result: dict[str, Any] = {"type": FieldType.TEXT}
        ref = node.ref
        lengths: dict[str, int] = {}
        for name in ("min_length", "max_length"):
            raw = getattr(precision, name)
            if not raw:
                continue
            if not raw.isdigit():
                self.note(f"Präzisierung {name} von {ref}", "Keine ganze Zahl; nicht übernommen.", raw)
                continue
            lengths[name] = int(raw)
        low, high = lengths.get("min_length"), lengths.get("max_length")
        if low is not None and high is not None and low > high:
            self._error(
                precision,
                f"Mindestlänge {low} ist größer als die Höchstlänge {high} ({ref}).",
                f"minimum length {low} is larger than the maximum length {high} ({ref}).",
            )
        if high == 0:
            self._error(precision, f"Höchstlänge 0 ({ref}).", f"maximum length 0 ({ref}).")
            high = None
        if high is not None and high > 100_000:
            self.note(f"Präzisierung max_length von {ref}", "Mehr als 100 000 Zeichen; begrenzt.", str(high))
            high = 100_000
        if low is not None and low > 0:
            result["min_length"] = min(low, high or low)
        if high is not None:
            result["max_length"] = high
            if high > 200:
                result["type"] = FieldType.TEXTAREA
        if precision.pattern:
            pattern = self.pattern(precision.pattern, ref)
            if pattern is not None:
                result["pattern"] = pattern
        self.ignore(precision, ref, ("min_value", "max_value"))
        return result

    def pattern(self, raw: str, ref: str) -> str | None:
        # XSD regular expressions are mostly Python's; class subtraction ([a-z-[aeiou]]), \p{…},
        # \i and \c are not, and would change meaning or fail, so they are reported instead.
        if _has_class_subtraction(raw):
            self.note(f"Muster von {ref}", "Zeichenklassen-Subtraktion (XSD) wird nicht unterstützt.", raw)
            return None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                re.compile(raw)
        except (re.error, FutureWarning, DeprecationWarning, RecursionError, OverflowError):
            self.note(f"Muster von {ref}", "Das Muster ist in dieser Form nicht auswertbar.", raw)
            return None
        return raw

    def number_bounds(self, node: FieldNode, precision: Precision) -> dict[str, Any]:
        bounds: dict[str, Decimal] = {}
        for name, target in (("min_value", "minimum"), ("max_value", "maximum")):
            raw = getattr(precision, name)
            if not raw:
                continue
            try:
                number = Decimal(raw.replace(",", "."))
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite():
                self.note(f"Präzisierung {name} von {node.ref}", "Keine Zahl; nicht übernommen.", raw)
                continue
            bounds[target] = number
        if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
            self._error(
                precision,
                f"Mindestwert {bounds['minimum']} ist größer als der Höchstwert {bounds['maximum']} "
                f"({node.ref}).",
                f"minimum {bounds['minimum']} is larger than the maximum {bounds['maximum']} ({node.ref}).",
            )
        return {name: str(value) for name, value in bounds.items()}

    def date_bounds(self, node: FieldNode, precision: Precision) -> dict[str, Any]:
        bounds: dict[str, date] = {}
        for name, target in (("min_value", "minimum"), ("max_value", "maximum")):
            raw = getattr(precision, name)
            if not raw:
                continue
            try:
                if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
                    raise ValueError(raw)
                bounds[target] = date.fromisoformat(raw)
            except ValueError:
                self.note(
                    f"Präzisierung {name} von {node.ref}", "Kein Datum (JJJJ-MM-TT); nicht übernommen.", raw
                )
        if "minimum" in bounds and "maximum" in bounds and bounds["minimum"] > bounds["maximum"]:
            self._error(
                precision,
                f"Frühestes Datum {bounds['minimum']} liegt nach dem spätesten {bounds['maximum']} "
                f"({node.ref}).",
                f"earliest date {bounds['minimum']} is after the latest {bounds['maximum']} ({node.ref}).",
            )
        return {name: value.isoformat() for name, value in bounds.items()}
