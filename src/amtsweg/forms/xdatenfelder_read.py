"""Reading of XDatenfelder 2.0 / 3.0.0 XML into a tree of nodes (fields, groups, multiplicities).

Errors (the file is broken) are collected with file, line and element; constructs the form cannot
execute are collected as notes (``Unsupported``). :mod:`.xdatenfelder_map` turns the nodes into a
``FormSchema``; :mod:`.xdatenfelder` is the public entry point.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from .schema import Unsupported

NS_V2 = "urn:xoev-de:fim:standard:xdatenfelder_2"
NS_V3 = "urn:xoev-de:fim:standard:xdatenfelder_3.0.0"
STANDARDS = {NS_V2: "2.0", NS_V3: "3.0.0"}
# Message (root element) → the element that carries the form.
MESSAGES = {
    "xdatenfelder.stammdatenschema.0102": "stammdatenschema",
    "xdatenfelder.datenfeldgruppe.0103": "datenfeldgruppe",
}
MAX_ERRORS = 50
MAX_TEXT = 4000  # schema.Text

FELDARTEN = {"2.0": {"input", "select", "label"}, "3.0.0": {"input", "select", "label", "hidden", "locked"}}
DATENTYPEN = {
    "2.0": {"text", "date", "bool", "num", "num_int", "num_currency", "file", "obj"},
    "3.0.0": {
        "text",
        "text_latin",
        "date",
        "time",
        "datetime",
        "bool",
        "num",
        "num_int",
        "num_currency",
        "file",
        "obj",
    },
}
V2_STATUS = {"inVorbereitung", "aktiv", "inaktiv"}
V3_FREIGABESTATUS = {str(code) for code in range(1, 9)}  # XProzess code list "status" 1–8
SCHEMAELEMENTARTEN = {"ABS", "HAR", "RNG"}
VORBEFUELLUNG = {"keine", "optional", "verpflichtend"}

_COMMON_SINGLE = frozenset(
    {
        "identifikation",
        "name",
        "bezeichnungEingabe",
        "bezeichnungAusgabe",
        "beschreibung",
        "definition",
        "status",
        "freigabestatus",
        "statusGesetztAm",
        "statusGesetztDurch",
        "gueltigAb",
        "gueltigBis",
        "fachlicherErsteller",
        "versionshinweis",
        "freigabedatum",
        "veroeffentlichungsdatum",
        "letzteAenderung",
        "schemaelementart",
        "hilfetextEingabe",
        "hilfetextAusgabe",
    }
)
_COMMON_MULTI = frozenset({"bezug", "stichwort", "relation", "regel"})
_SCHEMA_SINGLE = _COMMON_SINGLE | {
    "hilfetext",
    "bezeichnung",
    "ableitungsmodifikationenStruktur",
    "ableitungsmodifikationenRepraesentation",
    "dokumentsteckbrief",
}
_GROUP_SINGLE = _COMMON_SINGLE | {"art"}
_FIELD_SINGLE = _COMMON_SINGLE | {
    "feldart",
    "datentyp",
    "praezisierung",
    "inhalt",
    "codelisteReferenz",
    "werte",
    "vorbefuellung",
    "codeKey",
    "nameKey",
    "helpKey",
    "maxSize",
}
_RULE_SINGLE = _COMMON_SINGLE | {"script", "skript", "freitextRegel", "typ"}
_RULE_MULTI = frozenset({"bezug", "stichwort", "relation", "param", "ziel", "fehler"})


@dataclass(frozen=True)
class SourceError:
    """One reason why a file was rejected, located by file, line (0: the file as a whole) and element."""

    file: str
    line: int
    element: str  # e.g. "xdf:name"
    reason_de: str
    reason_en: str

    def de(self) -> str:
        where = f"{self.file}, Zeile {self.line}" if self.line else self.file
        return (
            f"{where}, <{self.element}>: {self.reason_de}" if self.element else f"{where}: {self.reason_de}"
        )

    def en(self) -> str:
        where = f"{self.file}, line {self.line}" if self.line else self.file
        return (
            f"{where}, <{self.element}>: {self.reason_en}" if self.element else f"{where}: {self.reason_en}"
        )

    def __str__(self) -> str:
        return self.de()


class ReadAborted(Exception):
    """Reading stops: a fatal error, or too many errors to list."""


@dataclass
class Precision:
    line: int
    min_length: str | None = None
    max_length: str | None = None
    min_value: str | None = None
    max_value: str | None = None
    pattern: str | None = None


@dataclass
class Node:
    kind: str  # datenfeld | datenfeldgruppe | stammdatenschema
    line: int
    fim_id: str
    version: str
    name: str
    label: str
    help: str

    @property
    def ref(self) -> str:
        return f"{self.fim_id} „{self.name}“" if self.name else self.fim_id


@dataclass
class FieldNode(Node):
    feldart: str = "input"
    datentyp: str = "text"
    content: str = ""
    precision: Precision | None = None
    values: list[tuple[str, str, str, int]] = field(default_factory=list)  # code, name, help, line
    codelist: str = ""
    max_size: int | None = None
    media_types: list[str] = field(default_factory=list)


@dataclass
class Child:
    line: int
    min: int
    max: int | None  # None: unbounded ("*")
    node: FieldNode | GroupNode


@dataclass
class GroupNode(Node):
    children: list[Child] = field(default_factory=list)


def _text(element: etree._Element | None) -> str:
    """The element's text with whitespace runs collapsed (FIM texts are often indented in the file)."""
    if element is None:
        return ""
    return " ".join(_raw_text(element).split())


def _raw_text(element: etree._Element | None) -> str:
    if element is None:
        return ""
    return "".join(t if isinstance(t, str) else t.decode() for t in element.itertext()).strip()


def _first(found: dict[str, list[etree._Element]], name: str) -> etree._Element | None:
    elements = found.get(name)
    return elements[0] if elements else None


def _line(element: etree._Element) -> int:
    line = getattr(element, "sourceline", None)  # lxml-stubs type it oddly
    return int(line or 0)


class Reader:
    """Reads one message into a tree of nodes; collects errors (fatal) and notes (unsupported)."""

    def __init__(self, filename: str, root: etree._Element) -> None:
        self.file = filename
        self.root = root
        self.ns = ""
        self.standard = ""
        self.message = ""
        self.errors: list[SourceError] = []
        self.notes: list[Unsupported] = []
        self._noted: set[tuple[str, str]] = set()

    # -- reporting

    def error(self, element: etree._Element | None, name: str, de: str, en: str) -> None:
        line = _line(element) if element is not None else 0
        self.errors.append(SourceError(self.file, line, f"xdf:{name}" if name else "", de, en))
        if len(self.errors) >= MAX_ERRORS:
            raise ReadAborted

    def note(self, element: str, reason: str, source_text: str = "") -> None:
        if (element, reason) in self._noted:
            return
        self._noted.add((element, reason))
        self.notes.append(Unsupported(element=element, reason=reason, source_text=source_text[:20_000]))

    # -- generic element access

    def sort(
        self,
        element: etree._Element,
        *,
        single: frozenset[str],
        multi: frozenset[str] = frozenset(),
        where: str,
    ) -> dict[str, list[etree._Element]]:
        """The children of ``element`` by local name; duplicates of single elements are errors."""
        found: dict[str, list[etree._Element]] = {}
        for child in element:
            if not isinstance(child.tag, str):
                continue
            qname = etree.QName(child)
            if qname.namespace != self.ns or qname.localname not in single | multi:
                shown = f"xdf:{qname.localname}" if qname.namespace == self.ns else qname.localname
                self.note(
                    f"Element <{shown}> in {where} (Zeile {_line(child)})",
                    "Unbekanntes Element; es wurde nicht übernommen.",
                    _raw_text(child)[:2000],
                )
                continue
            found.setdefault(qname.localname, []).append(child)
        for name, elements in found.items():
            if name in single and len(elements) > 1:
                first_line = _line(elements[0])
                for duplicate in elements[1:]:
                    self.error(
                        duplicate,
                        name,
                        "Das Element ist doppelt; es darf nur einmal vorkommen "
                        f"(zuerst in Zeile {first_line}).",
                        f"duplicate element; it may occur only once (first in line {first_line}).",
                    )
        return found

    def code(self, element: etree._Element, name: str) -> str | None:
        """The value of a code element (``<xdf:feldart><code>input</code></xdf:feldart>``)."""
        codes = [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == "code"]
        if not codes:
            self.error(element, name, "Der <code> fehlt.", "the <code> is missing.")
            return None
        for duplicate in codes[1:]:
            self.error(duplicate, name, "Der <code> ist doppelt.", "duplicate <code>.")
        value = _text(codes[0])
        if not value:
            self.error(codes[0], name, "Der <code> ist leer.", "the <code> is empty.")
            return None
        return value

    def checked_code(self, element: etree._Element | None, name: str, allowed: set[str]) -> str | None:
        if element is None:
            return None
        value = self.code(element, name)
        if value is not None and value not in allowed:
            shown = ", ".join(sorted(allowed, key=lambda v: (len(v), v)))
            self.error(
                element,
                name,
                f"Der Code „{value}“ ist ungültig (erlaubt: {shown}).",
                f"invalid code '{value}' (allowed: {shown}).",
            )
            return None
        return value

    def identification(
        self, element: etree._Element, found: dict[str, list[etree._Element]]
    ) -> tuple[str, str]:
        local = etree.QName(element).localname
        ident = _first(found, "identifikation")
        if ident is None:
            self.error(element, "identifikation", f"fehlt in <xdf:{local}>.", f"missing in <xdf:{local}>.")
            return "", ""
        parts = self.sort(ident, single=frozenset({"id", "version"}), where=f"<xdf:{local}>")
        id_element = _first(parts, "id")
        fim_id = _text(id_element)
        if id_element is None:
            self.error(ident, "id", "Die Kennung <xdf:id> fehlt.", "the identifier <xdf:id> is missing.")
        elif not fim_id:
            self.error(id_element, "id", "Die Kennung ist leer.", "the identifier is empty.")
        return fim_id, _text(_first(parts, "version"))

    def node_basics(self, element: etree._Element, found: dict[str, list[etree._Element]]) -> dict[str, Any]:
        local = etree.QName(element).localname
        fim_id, version = self.identification(element, found)
        name_element = _first(found, "name")
        name = _text(name_element)
        if name_element is None:
            self.error(element, "name", f"fehlt in <xdf:{local}>.", f"missing in <xdf:{local}>.")
        elif not name:
            self.error(name_element, "name", "Der Name ist leer.", "the name is empty.")
        if self.standard == "2.0":
            self.checked_code(_first(found, "status"), "status", V2_STATUS)
        else:
            self.checked_code(_first(found, "freigabestatus"), "freigabestatus", V3_FREIGABESTATUS)
        self.checked_code(_first(found, "schemaelementart"), "schemaelementart", SCHEMAELEMENTARTEN)
        label = (
            _text(_first(found, "bezeichnungEingabe"))
            or _text(_first(found, "bezeichnung"))
            or name
            or fim_id
        )
        help_text = _text(_first(found, "hilfetextEingabe")) or _text(_first(found, "hilfetext"))
        ref = f"{fim_id} „{name}“" if name else fim_id
        for relation in found.get("relation", []):
            self.relation(relation, ref)
        for rule in found.get("regel", []):
            self.rule(rule, ref)
        return {
            "line": _line(element),
            "fim_id": fim_id,
            "version": version,
            "name": name,
            "label": self.limited(label, element, "bezeichnungEingabe"),
            "help": self.limited(help_text, element, "hilfetextEingabe"),
        }

    def limited(self, value: str, element: etree._Element, name: str) -> str:
        if len(value) > MAX_TEXT:
            self.error(
                element,
                name,
                f"Der Text ist länger als {MAX_TEXT} Zeichen.",
                f"the text is longer than {MAX_TEXT} characters.",
            )
            return value[:MAX_TEXT]
        return value

    # -- rules and relations: reported, not executed

    def rule(self, element: etree._Element, target: str) -> None:
        found = self.sort(element, single=_RULE_SINGLE, multi=_RULE_MULTI, where=f"Regel an {target}")
        fim_id, version = self.identification(element, found)
        name = _text(_first(found, "name"))
        script = _raw_text(_first(found, "script")) or _raw_text(_first(found, "skript"))
        free_text = _text(_first(found, "freitextRegel"))
        description = _text(_first(found, "beschreibung")) or _text(_first(found, "definition"))
        source = "\n\n".join(part for part in (free_text, script) if part) or description
        label = f"Regel {fim_id}{f' v{version}' if version else ''}{f' „{name}“' if name else ''} an {target}"
        self.note(
            label,
            "Regeln aus FIM (Skript oder Freitext) werden nicht automatisch ausgeführt; bitte prüfen und "
            "bei Bedarf als Pflichtfeld-, Sichtbarkeits- oder Prüfregel des Formulars nachbilden.",
            source,
        )

    def relation(self, element: etree._Element, source: str) -> None:
        found = self.sort(element, single=frozenset({"praedikat", "objekt"}), where=f"Relation von {source}")
        predicate_element, objekt = _first(found, "praedikat"), _first(found, "objekt")
        predicate = self.code(predicate_element, "praedikat") if predicate_element is not None else ""
        target = " ".join(
            _text(part) for part in (objekt if objekt is not None else []) if isinstance(part.tag, str)
        )
        self.note(
            f"Relation {predicate or '?'} von {source} auf {target or '?'}",
            "Beziehungen zwischen FIM-Elementen (abgeleitet, ersetzt, äquivalent) "
            "wirken nicht auf das Formular.",
        )

    # -- the message

    def read(self) -> GroupNode:
        qname = etree.QName(self.root)
        namespace, local = qname.namespace or "", qname.localname
        if namespace not in STANDARDS:
            known = " oder ".join(STANDARDS)
            if "xdatenfelder" in namespace.lower():
                self.error(
                    self.root,
                    local,
                    f"Unbekannter XDatenfelder-Namensraum „{namespace}“ (unterstützt: {known}).",
                    f"unknown XDatenfelder namespace '{namespace}' (supported: {' or '.join(STANDARDS)}).",
                )
            else:
                self.error(
                    self.root,
                    "",
                    f"Das ist keine XDatenfelder-Nachricht: Wurzelelement „{local}“ im Namensraum "
                    f"„{namespace or '(keiner)'}“ (erwartet: {known}).",
                    f"this is not an XDatenfelder message: root element '{local}' in namespace "
                    f"'{namespace or '(none)'}' (expected: {' or '.join(STANDARDS)}).",
                )
            raise ReadAborted
        self.ns, self.standard = namespace, STANDARDS[namespace]
        if local not in MESSAGES:
            shown = ", ".join(f"xdf:{m}" for m in MESSAGES)
            self.error(
                self.root,
                local,
                f"Diese Nachricht wird nicht unterstützt (unterstützt: {shown}).",
                f"this message is not supported (supported: {shown}).",
            )
            raise ReadAborted
        content_name = MESSAGES[local]
        found = self.sort(self.root, single=frozenset({"header", content_name}), where=f"<xdf:{local}>")
        content = _first(found, content_name)
        if content is None:
            self.error(
                self.root,
                content_name,
                f"fehlt in <xdf:{local}>.",
                f"missing in <xdf:{local}>.",
            )
            raise ReadAborted
        if content_name == "stammdatenschema":
            top = self.group(content, kind="stammdatenschema", single=_SCHEMA_SINGLE)
        else:
            top = self.group(content, kind="datenfeldgruppe", single=_GROUP_SINGLE)
        self.message = local
        if self.errors:
            raise ReadAborted
        return top

    def group(self, element: etree._Element, *, kind: str, single: frozenset[str]) -> GroupNode:
        where = f"<xdf:{kind}> (Zeile {_line(element)})"
        found = self.sort(element, single=single, multi=_COMMON_MULTI | {"struktur"}, where=where)
        node = GroupNode(kind=kind, **self.node_basics(element, found))
        art = _first(found, "art")
        if art is not None:
            value = self.code(art, "art")
            self.note(
                f"Gruppenart „{value}“ von {node.ref}",
                "Die Gruppenart (z. B. Auswahlgruppe: genau ein Unterelement) wird nicht geprüft.",
            )
        for structure in found.get("struktur", []):
            child = self.structure(structure, node)
            if child is not None:
                node.children.append(child)
        return node

    def structure(self, element: etree._Element, parent: Node) -> Child | None:
        found = self.sort(
            element,
            single=frozenset({"anzahl", "enthaelt"}),
            multi=frozenset({"bezug"}),
            where=f"<xdf:struktur> von {parent.ref}",
        )
        bounds = self.anzahl(_first(found, "anzahl"), element)
        contains = _first(found, "enthaelt")
        if contains is None:
            self.error(element, "enthaelt", "fehlt in <xdf:struktur>.", "missing in <xdf:struktur>.")
            return None
        inner = [c for c in contains if isinstance(c.tag, str)]
        kinds = [etree.QName(c).localname if etree.QName(c).namespace == self.ns else "" for c in inner]
        if len(inner) != 1 or kinds[0] not in ("datenfeld", "datenfeldgruppe"):
            self.error(
                contains,
                "enthaelt",
                "Es muss genau ein <xdf:datenfeld> oder eine <xdf:datenfeldgruppe> enthalten sein.",
                "must contain exactly one <xdf:datenfeld> or <xdf:datenfeldgruppe>.",
            )
            return None
        node: FieldNode | GroupNode
        if kinds[0] == "datenfeld":
            node = self.data_field(inner[0])
        else:
            node = self.group(inner[0], kind="datenfeldgruppe", single=_GROUP_SINGLE)
        if bounds is None:
            return None
        return Child(line=_line(element), min=bounds[0], max=bounds[1], node=node)

    def anzahl(
        self, element: etree._Element | None, structure: etree._Element
    ) -> tuple[int, int | None] | None:
        if element is None:
            self.error(structure, "anzahl", "fehlt in <xdf:struktur>.", "missing in <xdf:struktur>.")
            return None
        value = "".join(_text(element).split())
        match = re.fullmatch(r"([0-9]{1,6}):([0-9]{1,6}|\*)", value)
        if match is None:
            self.error(
                element,
                "anzahl",
                f"„{value}“ ist keine Anzahl der Form min:max (z. B. 0:1, 1:*).",
                f"'{value}' is not a multiplicity of the form min:max (e.g. 0:1, 1:*).",
            )
            return None
        low = int(match.group(1))
        high = None if match.group(2) == "*" else int(match.group(2))
        if high is not None and (high < low or high == 0):
            self.error(
                element,
                "anzahl",
                f"„{value}“: die Höchstzahl muss mindestens 1 und nicht kleiner als die Mindestzahl sein.",
                f"'{value}': the maximum must be at least 1 and not below the minimum.",
            )
            return None
        return low, high

    def data_field(self, element: etree._Element) -> FieldNode:
        where = f"<xdf:datenfeld> (Zeile {_line(element)})"
        found = self.sort(element, single=_FIELD_SINGLE, multi=_COMMON_MULTI | {"mediaType"}, where=where)
        node = FieldNode(kind="datenfeld", **self.node_basics(element, found))
        where = node.ref
        feldart_element = _first(found, "feldart")
        datentyp_element = _first(found, "datentyp")
        if feldart_element is None:
            self.error(element, "feldart", f"fehlt im Datenfeld {where}.", f"missing in data field {where}.")
        else:
            feldart = self.code(feldart_element, "feldart") or "input"
            if feldart not in FELDARTEN[self.standard]:
                self.note(
                    f"Feldart „{feldart}“ von {where}",
                    "Unbekannte Feldart; das Feld wurde als Eingabefeld übernommen.",
                )
                feldart = "input"
            node.feldart = feldart
        if datentyp_element is None:
            self.error(element, "datentyp", f"fehlt im Datenfeld {where}.", f"missing in data field {where}.")
        else:
            node.datentyp = self.code(datentyp_element, "datentyp") or "text"
        node.content = _raw_text(_first(found, "inhalt"))
        precision = _first(found, "praezisierung")
        if precision is not None:
            node.precision = self.precision(precision, where)
        values = _first(found, "werte")
        if values is not None:
            node.values = self.values(values, where)
        reference = _first(found, "codelisteReferenz")
        if reference is not None:
            node.codelist = self.codelist(reference)
        prefill = self.checked_code(_first(found, "vorbefuellung"), "vorbefuellung", VORBEFUELLUNG)
        if prefill in ("optional", "verpflichtend"):
            self.note(
                f"Vorbefüllung „{prefill}“ von {where}",
                "Die Vorbefüllung aus Nutzerkonto oder Register wird nicht ausgeführt; "
                "die Antragstellenden füllen das Feld selbst aus.",
            )
        max_size = _first(found, "maxSize")
        if max_size is not None:
            raw = _text(max_size)
            if raw.isdigit() and int(raw) > 0:
                node.max_size = int(raw)
            else:
                self.error(
                    max_size,
                    "maxSize",
                    f"„{raw}“ ist keine positive ganze Zahl.",
                    f"'{raw}' is not a positive integer.",
                )
        for media_type in found.get("mediaType", []):
            value = _text(media_type).lower()
            if re.fullmatch(r"[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9*][a-z0-9!#$&^_.+*-]*", value):
                node.media_types.append(value)
            elif value:
                self.error(
                    media_type,
                    "mediaType",
                    f"„{value}“ ist kein MIME-Typ.",
                    f"'{value}' is not a MIME type.",
                )
        return node

    def precision(self, element: etree._Element, where: str) -> Precision:
        result = Precision(line=_line(element))
        names = {
            "minLength": "min_length",
            "maxLength": "max_length",
            "minValue": "min_value",
            "maxValue": "max_value",
            "pattern": "pattern",
        }
        for attribute, value in element.attrib.items():
            name = etree.QName(attribute).localname
            if name in names:
                setattr(result, names[name], str(value).strip())
            else:
                self.note(
                    f"Präzisierung „{name}“ von {where}",
                    "Unbekannte Präzisierung; nicht übernommen.",
                    str(value),
                )
        raw = _raw_text(element)
        if not raw:
            return result
        # XDatenfelder 2 writes the precision as a JSON-like string: {"minLength":"1","maxLength":"120"}
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            self.note(
                f"Präzisierung von {where}",
                'Die Präzisierung ist nicht lesbar (erwartet: JSON wie {"maxLength":"120"}); '
                "sie wurde nicht übernommen.",
                raw,
            )
            return result
        for key, value in parsed.items():
            if key in names and isinstance(value, str | int | float) and not isinstance(value, bool):
                setattr(result, names[key], str(value).strip())
            else:
                self.note(
                    f"Präzisierung „{key}“ von {where}",
                    "Unbekannte oder unlesbare Präzisierung; nicht übernommen.",
                    json.dumps({key: value}, ensure_ascii=False)[:2000],
                )
        return result

    def values(self, element: etree._Element, where: str) -> list[tuple[str, str, str, int]]:
        """An inline code list (XDatenfelder 3: ``<xdf:werte><xdf:wert><xdf:code>…``)."""
        result: list[tuple[str, str, str, int]] = []
        seen: dict[str, int] = {}
        found = self.sort(
            element, single=frozenset(), multi=frozenset({"wert"}), where=f"<xdf:werte> von {where}"
        )
        for value in found.get("wert", []):
            parts = self.sort(
                value, single=frozenset({"code", "name", "hilfe"}), where=f"<xdf:wert> von {where}"
            )
            code_element = _first(parts, "code")
            code = _text(code_element)
            if not code:
                self.error(
                    code_element if code_element is not None else value,
                    "code",
                    "Der Code des Auswahlwerts fehlt oder ist leer.",
                    "the code of the value is missing or empty.",
                )
                continue
            if len(code) > 200:
                self.error(
                    value,
                    "code",
                    "Der Code ist länger als 200 Zeichen.",
                    "the code is longer than 200 characters.",
                )
                continue
            if code in seen:
                self.error(
                    value,
                    "wert",
                    f"Der Code „{code}“ ist doppelt (zuerst in Zeile {seen[code]}).",
                    f"duplicate code '{code}' (first in line {seen[code]}).",
                )
                continue
            seen[code] = _line(value)
            label = self.limited(_text(_first(parts, "name")) or code, value, "name")
            result.append((code, label, _text(_first(parts, "hilfe")), _line(value)))
        return result

    def codelist(self, element: etree._Element) -> str:
        wanted = ("canonicalVersionUri", "canonicalIdentification", "id")
        texts: dict[str, str] = {}
        for descendant in element.iter():
            if isinstance(descendant.tag, str):
                local = etree.QName(descendant).localname
                if local in wanted and local not in texts and _text(descendant):
                    texts[local] = _text(descendant)
        for name in wanted:
            if name in texts:
                return texts[name][:200]
        return "(ohne Kennung)"
