"""The XDatenfelder importer: every shared fixture, the mapping of each construct, and every error."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import hypothesis
import pytest
from hypothesis import strategies as st

from amtsweg.forms import engine, rendering
from amtsweg.forms.schema import FieldType, FormField, FormSchema
from amtsweg.forms.xdatenfelder import (
    MAX_FILE_BYTES,
    NS_V2,
    NS_V3,
    ImportedForm,
    XDatenfelderError,
    parse_xdatenfelder,
    parse_xdatenfelder_file,
)
from amtsweg.testing import shared_data

VALID = [
    "v2/simple.xml",
    "v2/minimal.xml",
    "v2/select.xml",
    "v2/rule.xml",
    "v2/data-field-rule.xml",
    "v3/simple.xml",
]
# file → (line, element, German reason, English reason), as SOURCES.md says each must fail
INVALID = {
    "v2/duplicate-required-value.xml": (13, "<xdf:name>", "doppelt", "duplicate element"),
    "v3/empty-id-node.xml": (10, "<xdf:id>", "Die Kennung ist leer", "the identifier is empty"),
    "v3/duplicate-id-node.xml": (11, "<xdf:id>", "doppelt", "duplicate element"),
    "v3/invalid-freigabestatus.xml": (17, "<xdf:freigabestatus>", "„10“ ist ungültig", "invalid code '10'"),
    "v3/unknown-namespace.xml": (
        3,
        "<xdf:xdatenfelder.datenfeldgruppe.0103>",
        "Unbekannter XDatenfelder-Namensraum „urn:xoev-de:fim:standard:xdatenfelder_unknown“",
        "unknown XDatenfelder namespace",
    ),
}


# --- sample answers ---------------------------------------------------------------------------------


def sample_value(form_field: FormField, uploads: set[str]) -> Any:
    """A valid answer for ``form_field`` (None for notes), honouring its constraints."""
    kind = form_field.type
    if kind == FieldType.INFO:
        return None
    if kind in (FieldType.TEXT, FieldType.TEXTAREA):
        low, high = form_field.min_length or 1, form_field.max_length or 500
        if form_field.pattern:
            # The shortest text the pattern accepts within the length limits (found by hypothesis).
            matching = st.from_regex(form_field.pattern, fullmatch=True).filter(
                lambda text: low <= len(text.strip()) <= high and text == text.strip() and text.isprintable()
            )
            return hypothesis.find(matching, lambda _text: True)
        return ("Beispieltext" * 10)[: max(low, min(high, 12))]
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        value = Decimal(form_field.minimum) if form_field.minimum is not None else Decimal("12.5")
        if form_field.maximum is not None:
            value = min(value, Decimal(form_field.maximum))
        return str(value)
    if kind == FieldType.DATE:
        return form_field.minimum or form_field.maximum or "2026-01-15"
    if kind == FieldType.CHOICE:
        assert form_field.options
        return form_field.options[0].value
    if kind == FieldType.MULTICHOICE:
        assert form_field.options
        return [form_field.options[0].value]
    if kind == FieldType.YESNO:
        return True
    if kind == FieldType.EMAIL:
        return "clara@example.org"
    if kind == FieldType.PHONE:
        return "02131 90-1234"
    if kind == FieldType.ADDRESS:
        return {"street": "Markt", "house_number": "1", "postcode": "41460", "city": "Neuss"}
    if kind == FieldType.FILE:
        document = str(uuid.uuid4())
        uploads.add(document)
        return [document]
    assert kind == FieldType.GROUP
    rows = max(form_field.min_items, 1)
    return [sample_block(form_field.fields or [], uploads) for _ in range(rows)]


def sample_block(fields: list[FormField], uploads: set[str]) -> dict[str, Any]:
    values = {f.key: sample_value(f, uploads) for f in fields}
    return {key: value for key, value in values.items() if value is not None}


def sample_answers(schema: FormSchema) -> tuple[dict[str, Any], set[str]]:
    """A complete, valid answer set for ``schema`` and the document ids it refers to."""
    uploads: set[str] = set()
    return sample_block(schema.all_fields(), uploads), uploads


def assert_usable(imported: ImportedForm) -> None:
    """The schema survives storage, every step renders, and a sample submission is accepted."""
    schema = imported.schema
    stored = schema.model_dump(mode="json", by_alias=True, exclude_none=True)
    assert FormSchema.model_validate(stored) == schema
    answers, uploads = sample_answers(schema)
    assert engine.validate_all(schema, answers, uploads=uploads) == {}
    for step in schema.steps:
        html = rendering.render_step(schema, step, answers)
        for form_field in step.fields:
            assert str(form_field.label) in html


# --- the shared fixtures ----------------------------------------------------------------------------


@pytest.mark.fixture_data
def test_every_fixture_is_classified() -> None:
    folder = shared_data("xdatenfelder/v2/simple.xml").parent.parent
    found = {str(path.relative_to(folder)) for path in folder.rglob("*.xml")}
    assert found == set(VALID) | set(INVALID)


@pytest.mark.fixture_data
@pytest.mark.parametrize("name", VALID)
def test_valid_fixture_imports_renders_and_accepts_a_sample_submission(name: str) -> None:
    imported = parse_xdatenfelder_file(shared_data(f"xdatenfelder/{name}"))
    assert imported.standard == ("2.0" if name.startswith("v2") else "3.0.0")
    assert_usable(imported)


@pytest.mark.fixture_data
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_fixture_is_rejected_naming_line_element_and_reason(name: str) -> None:
    line, element, reason_de, reason_en = INVALID[name]
    with pytest.raises(XDatenfelderError) as caught:
        parse_xdatenfelder_file(shared_data(f"xdatenfelder/{name}"))
    filename = Path(name).name
    assert f"{filename}, Zeile {line}, {element}: " in caught.value.detail_de
    assert reason_de in caught.value.detail_de
    assert f"{filename}, line {line}, {element}: " in caught.value.detail_en
    assert reason_en in caught.value.detail_en
    [error] = caught.value.errors
    assert (error.file, error.line, f"<{error.element}>") == (filename, line, element)


@pytest.mark.fixture_data
def test_v3_group_message_maps_groups_multiplicity_constraints_and_reports_rules() -> None:
    imported = parse_xdatenfelder_file(shared_data("xdatenfelder/v3/simple.xml"))
    assert imported.source == "XDatenfelder 3.0.0 G60000000088 v1.2.0"
    schema = imported.schema
    assert str(schema.title) == "Anschrift in Deutschland"
    [step] = schema.steps
    assert str(step.title) == "Straßenanschrift"
    [group] = step.fields
    assert (group.key, group.type, group.required, group.min_items, group.max_items) == (
        "g60000000086",
        FieldType.GROUP,
        False,  # anzahl 0:1
        0,
        1,
    )
    assert group.help is not None and "Postfachs ist nicht möglich" in str(group.help)
    [street] = group.fields or []
    assert (street.key, street.type, street.required, street.min_length, street.max_length) == (
        "f60000000243",
        FieldType.TEXT,
        True,
        1,
        55,
    )
    assert str(street.help) == "Geben Sie an, wie die Straße heißt."
    assert street.source == {
        "fim_id": "F60000000243",
        "fim_version": "1.1.0",
        "fim_element": "datenfeld",
        "xdatenfelder": "3.0.0",
    }
    elements = [item.element for item in schema.unsupported]
    assert any(e.startswith("Relation ERS von G60000000088") for e in elements)
    rules = [item for item in schema.unsupported if item.element.startswith("Regel R60000000019")]
    assert {r.element.split(" an ")[1].split(" ")[0] for r in rules} == {"G60000000088", "F60000000243"}
    assert all(
        "some script content" in r.source_text and "Feldgruppe G60000086" in r.source_text for r in rules
    )


@pytest.mark.fixture_data
def test_v2_schema_maps_top_group_to_a_step_with_json_precision() -> None:
    imported = parse_xdatenfelder_file(shared_data("xdatenfelder/v2/simple.xml"))
    [step] = imported.schema.steps
    assert (step.key, str(step.title)) == ("s_g00000082", "Natürliche Person")
    [name] = step.fields  # the group is 1:1, so its fields are the step's fields
    assert (name.key, name.required, name.min_length, name.max_length) == ("f60000227", True, 1, 120)
    assert str(name.help) == "Hilfe Eingabe"
    [rule] = imported.schema.unsupported
    assert rule.element.startswith("Regel R60000037 v1.2 „MindestEineAngabe“ an T1234")
    assert rule.source_text == "function script() {}"


@pytest.mark.fixture_data
def test_v2_select_without_code_list_values_becomes_text_and_is_reported() -> None:
    imported = parse_xdatenfelder_file(shared_data("xdatenfelder/v2/select.xml"))
    [field] = imported.schema.all_fields()
    assert field.type == FieldType.TEXT
    assert field.source["fim_codelist"] == "urn:de:example_1"
    [item] = imported.schema.unsupported
    assert item.element == "Codeliste urn:de:example_1 von F123 „Hinweis“"
    assert "nicht in der Datei enthalten" in item.reason


@pytest.mark.fixture_data
@pytest.mark.parametrize("name", ["v2/minimal.xml", "v2/rule.xml"])
def test_schema_without_fields_gets_a_note_and_says_so(name: str) -> None:
    imported = parse_xdatenfelder_file(shared_data(f"xdatenfelder/{name}"))
    [field] = imported.schema.all_fields()
    assert field.type == FieldType.INFO
    assert any("keine Datenfelder" in item.reason for item in imported.schema.unsupported)


# --- constructs, on small synthetic messages ---------------------------------------------------------


def v3_field(
    fim_id: str,
    *,
    feldart: str = "input",
    datentyp: str = "text",
    anzahl: str = "1:1",
    label: str = "",
    extra: str = "",
) -> str:
    return f"""
        <xdf:struktur><xdf:anzahl>{anzahl}</xdf:anzahl><xdf:enthaelt><xdf:datenfeld>
          <xdf:identifikation><xdf:id>{fim_id}</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
          <xdf:name>{label or fim_id}</xdf:name>
          <xdf:freigabestatus><code>6</code></xdf:freigabestatus>
          <xdf:bezeichnungEingabe>{label or fim_id}</xdf:bezeichnungEingabe>
          <xdf:schemaelementart><code>HAR</code></xdf:schemaelementart>
          <xdf:feldart><code>{feldart}</code></xdf:feldart>
          <xdf:datentyp><code>{datentyp}</code></xdf:datentyp>
          {extra}
        </xdf:datenfeld></xdf:enthaelt></xdf:struktur>"""


def v3_group(fim_id: str, children: str, *, anzahl: str = "1:1", label: str = "") -> str:
    return f"""
        <xdf:struktur><xdf:anzahl>{anzahl}</xdf:anzahl><xdf:enthaelt><xdf:datenfeldgruppe>
          <xdf:identifikation><xdf:id>{fim_id}</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
          <xdf:name>{label or fim_id}</xdf:name>
          <xdf:freigabestatus><code>6</code></xdf:freigabestatus>
          <xdf:bezeichnungEingabe>{label or fim_id}</xdf:bezeichnungEingabe>
          <xdf:schemaelementart><code>HAR</code></xdf:schemaelementart>
          {children}
        </xdf:datenfeldgruppe></xdf:enthaelt></xdf:struktur>"""


def v3_message(children: str, *, root_id: str = "G60000000001", extra: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<xdf:xdatenfelder.datenfeldgruppe.0103 xmlns:xdf="{NS_V3}">
  <xdf:header><xdf:nachrichtID>1</xdf:nachrichtID></xdf:header>
  <xdf:datenfeldgruppe>
    <xdf:identifikation><xdf:id>{root_id}</xdf:id><xdf:version>2.0.0</xdf:version></xdf:identifikation>
    <xdf:name>Antrag</xdf:name>
    <xdf:freigabestatus><code>6</code></xdf:freigabestatus>
    <xdf:bezeichnungEingabe>Antrag auf Test</xdf:bezeichnungEingabe>
    <xdf:schemaelementart><code>HAR</code></xdf:schemaelementart>
    {extra}
    {children}
  </xdf:datenfeldgruppe>
</xdf:xdatenfelder.datenfeldgruppe.0103>""".encode()


def parse(data: bytes) -> ImportedForm:
    return parse_xdatenfelder(data, filename="test.xml")


def only_field(imported: ImportedForm) -> FormField:
    [form_field] = imported.schema.all_fields()
    return form_field


def rejected(data: bytes) -> XDatenfelderError:
    with pytest.raises(XDatenfelderError) as caught:
        parse(data)
    return caught.value


def test_loose_fields_form_a_first_step_and_groups_follow() -> None:
    children = v3_field("F1", label="Vorname") + v3_group(
        "G2", v3_field("F3", label="Ort"), label="Anschrift"
    )
    imported = parse(v3_message(children))
    assert [(s.key, str(s.title)) for s in imported.schema.steps] == [
        ("s_g60000000001", "Antrag auf Test"),
        ("s_g2", "Anschrift"),
    ]
    assert [f.key for f in imported.schema.all_fields()] == ["f1", "f3"]
    assert_usable(imported)


def test_data_types_become_field_types_with_their_constraints() -> None:
    children = "".join(
        [
            v3_field(
                "F1",
                datentyp="date",
                extra='<xdf:praezisierung minValue="2020-01-01" maxValue="2030-12-31"/>',
            ),
            v3_field("F2", datentyp="num_int", extra='<xdf:praezisierung minValue="1" maxValue="99"/>'),
            v3_field(
                "F3", datentyp="num_currency", extra='<xdf:praezisierung minValue="0" maxValue="1000,50"/>'
            ),
            v3_field("F4", datentyp="num"),
            v3_field("F5", datentyp="bool"),
            v3_field("F6", datentyp="text", extra='<xdf:praezisierung maxLength="2000" pattern="[A-Z]+"/>'),
            v3_field("F7", datentyp="time"),
            v3_field("F8", datentyp="datetime"),
            v3_field(
                "F9",
                datentyp="file",
                anzahl="0:3",
                extra="<xdf:maxSize>3145728</xdf:maxSize><xdf:mediaType>application/pdf</xdf:mediaType>",
            ),
        ]
    )
    imported = parse(v3_message(children))
    fields = {f.key: f for f in imported.schema.all_fields()}
    assert (fields["f1"].type, fields["f1"].minimum, fields["f1"].maximum) == (
        FieldType.DATE,
        "2020-01-01",
        "2030-12-31",
    )
    assert (fields["f2"].type, fields["f2"].decimals, fields["f2"].minimum, fields["f2"].maximum) == (
        FieldType.NUMBER,
        0,
        "1",
        "99",
    )
    assert (fields["f3"].type, fields["f3"].maximum) == (FieldType.MONEY, "1000.50")
    assert (fields["f4"].type, fields["f4"].decimals) == (FieldType.NUMBER, 6)
    assert fields["f5"].type == FieldType.YESNO
    assert (fields["f6"].type, fields["f6"].max_length, fields["f6"].pattern) == (
        FieldType.TEXTAREA,
        2000,
        "[A-Z]+",
    )
    assert fields["f7"].pattern is not None and fields["f7"].max_length == 5
    assert fields["f8"].pattern is not None
    assert (fields["f9"].type, fields["f9"].max_files, fields["f9"].accept, fields["f9"].max_size_mb) == (
        FieldType.FILE,
        3,
        ["application/pdf"],
        3,
    )
    assert not fields["f9"].required
    assert imported.schema.unsupported == []
    assert_usable(imported)


def test_inline_code_list_becomes_a_choice_and_a_repeated_select_a_multichoice() -> None:
    values = """<xdf:werte>
        <xdf:wert><xdf:code>001</xdf:code><xdf:name>ledig</xdf:name></xdf:wert>
        <xdf:wert><xdf:code>002</xdf:code><xdf:name>verheiratet</xdf:name>
          <xdf:hilfe>auch eingetragene Lebenspartnerschaft</xdf:hilfe></xdf:wert>
      </xdf:werte>
      <xdf:codelisteReferenz><xdf:canonicalIdentification>urn:de:familienstand</xdf:canonicalIdentification></xdf:codelisteReferenz>"""
    children = v3_field("F1", feldart="select", extra=values) + v3_field(
        "F2", feldart="select", anzahl="0:*", extra=values
    )
    imported = parse(v3_message(children))
    single, multiple = imported.schema.all_fields()
    assert single.type == FieldType.CHOICE and single.required
    assert [(o.value, str(o.label)) for o in single.options or []] == [
        ("001", "ledig"),
        ("002", "verheiratet"),
    ]
    assert single.codelist == "urn:de:familienstand"
    assert multiple.type == FieldType.MULTICHOICE and not multiple.required
    assert any("Hilfetexte zu einzelnen Auswahlwerten" in u.reason for u in imported.schema.unsupported)
    assert_usable(imported)


def test_repeating_groups_and_fields() -> None:
    children = v3_group(
        "G10",
        v3_group("G11", v3_field("F12", label="Vorname"), anzahl="1:*", label="Kind")
        + v3_field("F13", anzahl="0:3", label="Telefon"),
        label="Familie",
    )
    imported = parse(v3_message(children))
    children_group, phones = imported.schema.steps[0].fields
    assert (
        children_group.type,
        children_group.required,
        children_group.min_items,
        children_group.max_items,
    ) == (
        FieldType.GROUP,
        True,
        1,
        100,  # "*"
    )
    assert (phones.type, phones.required, phones.min_items, phones.max_items) == (
        FieldType.GROUP,
        False,
        0,
        3,
    )
    [value] = phones.fields or []
    assert (value.key, value.type, value.required) == ("wert", FieldType.TEXT, True)
    assert_usable(imported)


def test_label_hidden_and_locked_fields() -> None:
    children = (
        v3_field(
            "F1",
            feldart="label",
            label="Hinweis",
            extra="<xdf:inhalt>Bitte Ausweis bereithalten.</xdf:inhalt>",
        )
        + v3_field("F2", feldart="hidden", extra="<xdf:inhalt>intern-42</xdf:inhalt>")
        + v3_field("F3", feldart="locked", label="Gebühr", extra="<xdf:inhalt>15 Euro</xdf:inhalt>")
        + v3_field("F4", label="Name")
    )
    imported = parse(v3_message(children))
    fields = {f.key: f for f in imported.schema.all_fields()}
    assert set(fields) == {"f1", "f3", "f4"}  # the hidden field is not shown …
    assert (fields["f1"].type, str(fields["f1"].help)) == (FieldType.INFO, "Bitte Ausweis bereithalten.")
    assert (fields["f3"].type, str(fields["f3"].help)) == (FieldType.INFO, "15 Euro")
    reported = {u.element: u for u in imported.schema.unsupported}
    assert reported["Feldart „hidden“ von F2 „F2“"].source_text == "intern-42"  # … but reported
    assert "Feldart „locked“ von F3 „Gebühr“" in reported
    assert_usable(imported)


def test_unsupported_constructs_are_reported_never_dropped() -> None:
    children = (
        v3_field("F1", datentyp="unbekannt")
        + v3_field("F2", extra="<xdf:vorbefuellung><code>optional</code></xdf:vorbefuellung>")
        + v3_field("F3", datentyp="text_latin")
        + v3_field("F4", extra='<xdf:praezisierung pattern="\\p{L}+"/>')
        + v3_field("F5", extra="<xdf:inhalt>Vorgabe</xdf:inhalt><xdf:zusatz>x</xdf:zusatz>")
        + v3_field("F6", datentyp="obj")
        + v3_field("F7", extra='<xdf:praezisierung pattern="[a-z-[aeiou]]+"/>')
    )
    imported = parse(v3_message(children))
    reasons = {u.element: u.reason for u in imported.schema.unsupported}
    assert "Unbekannter Datentyp" in reasons["Datentyp „unbekannt“ von F1 „F1“"]
    assert "Vorbefüllung" in reasons["Vorbefüllung „optional“ von F2 „F2“"]
    assert "DIN SPEC 91379" in reasons["Datentyp „text_latin“ von F3 „F3“"]
    assert "nicht auswertbar" in reasons["Muster von F4 „F4“"]
    assert "Vorbelegte Werte" in reasons["Inhalt (Vorbelegung) von F5 „F5“"]
    assert any(e.startswith("Element <xdf:zusatz> in <xdf:datenfeld>") for e in reasons)
    assert "Datei-Upload" in reasons["Datentyp „obj“ von F6 „F6“"]
    assert "Subtraktion" in reasons["Muster von F7 „F7“"]
    fields = {f.key: f for f in imported.schema.all_fields()}
    assert fields["f1"].type == FieldType.TEXT and fields["f4"].pattern is None
    assert_usable(imported)


def test_v2_json_precision_and_unreadable_precision() -> None:
    def v2_field(fim_id: str, precision: str, datentyp: str = "text") -> str:
        return f"""<xdf:struktur><xdf:anzahl>0:1</xdf:anzahl><xdf:enthaelt><xdf:datenfeld>
          <xdf:identifikation><xdf:id>{fim_id}</xdf:id></xdf:identifikation><xdf:name>{fim_id}</xdf:name>
          <xdf:feldart><code>input</code></xdf:feldart><xdf:datentyp><code>{datentyp}</code></xdf:datentyp>
          <xdf:praezisierung>{precision}</xdf:praezisierung></xdf:datenfeld></xdf:enthaelt></xdf:struktur>"""

    data = f"""<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V2}"><xdf:stammdatenschema>
      <xdf:identifikation><xdf:id>S1</xdf:id></xdf:identifikation><xdf:name>Schema</xdf:name>
      {v2_field("F1", '{"minLength":"2","maxLength":"20","pattern":"[0-9]+"}')}
      {v2_field("F2", '{"minValue":"5","maxValue":"10","unbekannt":"1"}', "num_int")}
      {v2_field("F3", "maxLength=20")}
      </xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>""".encode()
    imported = parse(data)
    f1, f2, f3 = imported.schema.all_fields()
    assert (f1.min_length, f1.max_length, f1.pattern, f1.required) == (2, 20, "[0-9]+", False)
    assert (f2.minimum, f2.maximum) == ("5", "10")
    assert f3.max_length is None
    elements = [u.element for u in imported.schema.unsupported]
    assert "Präzisierung „unbekannt“ von F2 „F2“" in elements
    assert "Präzisierung von F3 „F3“" in elements
    assert_usable(imported)


def test_the_same_element_twice_gets_distinct_stable_keys() -> None:
    person = v3_field("F60000000227", label="Familienname")
    children = v3_group("G1", person, label="Antragsteller") + v3_group(
        "G2", person, label="Bevollmächtigter"
    )
    first = parse(v3_message(children))
    assert [f.key for f in first.schema.all_fields()] == ["f60000000227", "g2_f60000000227"]
    # A later version of the form with an extra field keeps the keys, so stored answers still map.
    second = parse(v3_message(v3_field("F9", label="Neu") + children))
    assert [f.key for f in second.schema.all_fields()] == ["f9", "f60000000227", "g2_f60000000227"]


def test_keys_are_valid_for_odd_identifiers() -> None:
    imported = parse(v3_message(v3_field("60-000.000 227") + v3_field("F" + "9" * 80)))
    keys = [f.key for f in imported.schema.all_fields()]
    assert keys[0] == "f_60_000_000_227"
    assert len(keys[1]) <= 63
    assert_usable(imported)


@pytest.mark.parametrize(
    ("children", "line_text", "element", "reason"),
    [
        (v3_field("F1", anzahl="1-2"), "1-2", "<xdf:anzahl>", "keine Anzahl der Form min:max"),
        (v3_field("F1", anzahl="3:2"), "3:2", "<xdf:anzahl>", "Höchstzahl"),
        (v3_field("F1", datentyp=""), "<xdf:datentyp>", "<xdf:datentyp>", "Der <code> ist leer"),
        (
            v3_field("F1", extra='<xdf:praezisierung minLength="9" maxLength="3"/>'),
            "praezisierung",
            "<xdf:praezisierung>",
            "Mindestlänge 9 ist größer als die Höchstlänge 3",
        ),
        (
            v3_field("F1", datentyp="num", extra='<xdf:praezisierung minValue="9" maxValue="3"/>'),
            "praezisierung",
            "<xdf:praezisierung>",
            "Mindestwert 9 ist größer als der Höchstwert 3",
        ),
        (
            v3_field(
                "F1",
                feldart="select",
                extra="<xdf:werte><xdf:wert><xdf:code>A</xdf:code></xdf:wert>"
                "<xdf:wert><xdf:code>A</xdf:code></xdf:wert></xdf:werte>",
            ),
            "<xdf:wert><xdf:code>A</xdf:code></xdf:wert></xdf:werte>",
            "<xdf:wert>",
            "Der Code „A“ ist doppelt",
        ),
        (
            v3_field("F1", extra="<xdf:vorbefuellung><code>immer</code></xdf:vorbefuellung>"),
            "vorbefuellung",
            "<xdf:vorbefuellung>",
            "Der Code „immer“ ist ungültig",
        ),
        (
            v3_field("F1", extra="<xdf:mediaType>kein typ</xdf:mediaType>"),
            "mediaType",
            "<xdf:mediaType>",
            "kein MIME-Typ",
        ),
        (
            "<xdf:struktur><xdf:anzahl>1:1</xdf:anzahl><xdf:enthaelt></xdf:enthaelt></xdf:struktur>",
            "<xdf:enthaelt></xdf:enthaelt>",
            "<xdf:enthaelt>",
            "genau ein <xdf:datenfeld>",
        ),
        (
            v3_field("F1").replace("<xdf:name>F1</xdf:name>", "<xdf:name> </xdf:name>"),
            "<xdf:name> </xdf:name>",
            "<xdf:name>",
            "Der Name ist leer",
        ),
        (
            v3_field("F1").replace("<xdf:feldart><code>input</code></xdf:feldart>", ""),
            "<xdf:datenfeld>",
            "<xdf:feldart>",
            "fehlt im Datenfeld F1",
        ),
    ],
)
def test_broken_constructs_are_rejected_with_line_element_and_reason(
    children: str, line_text: str, element: str, reason: str
) -> None:
    data = v3_message(children)
    error = rejected(data)
    expected_line = next(
        number for number, text in enumerate(data.decode().splitlines(), start=1) if line_text in text
    )
    assert f"test.xml, Zeile {expected_line}, {element}: " in error.detail_de
    assert reason in error.detail_de


def test_all_errors_of_a_file_are_listed_at_once() -> None:
    error = rejected(v3_message(v3_field("F1", anzahl="x") + v3_field("", label="Ohne Kennung")))
    assert len(error.errors) == 2
    assert {e.element for e in error.errors} == {"xdf:anzahl", "xdf:id"}
    assert error.extra["errors"][0]["line"] == error.errors[0].line


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "kein wohlgeformtes XML"),
        (b"%PDF-1.7 binary", "kein wohlgeformtes XML"),
        (b"<a><b></a>", "kein wohlgeformtes XML"),
        (b"<html xmlns='http://www.w3.org/1999/xhtml'/>", "keine XDatenfelder-Nachricht"),
        (f"<xdf:xdatenfelder.codeliste.0105 xmlns:xdf='{NS_V3}'/>".encode(), "nicht unterstützt"),
        (f"<xdf:xdatenfelder.datenfeldgruppe.0103 xmlns:xdf='{NS_V3}'/>".encode(), "fehlt"),
        (
            b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            b"<lolz>&lol2;</lolz>",
            "<!DOCTYPE>",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>',
            "<!DOCTYPE>",
        ),
    ],
)
def test_not_a_message_is_rejected(data: bytes, reason: str) -> None:
    assert reason in rejected(data).detail_de


def test_too_large_file_is_rejected_before_parsing() -> None:
    error = rejected(b" " * (MAX_FILE_BYTES + 1))
    assert "zu groß" in error.detail_de


def test_v2_messages_with_v3_only_codes_are_rejected_or_reported() -> None:
    data = f"""<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V2}"><xdf:stammdatenschema>
      <xdf:identifikation><xdf:id>S1</xdf:id></xdf:identifikation><xdf:name>S</xdf:name>
      <xdf:status><code>gold</code></xdf:status>
      </xdf:stammdatenschema></xdf:xdatenfelder.stammdatenschema.0102>""".encode()
    assert (
        "Der Code „gold“ ist ungültig (erlaubt: aktiv, inaktiv, inVorbereitung)" in rejected(data).detail_de
    )


def test_english_messages_are_there_for_the_api() -> None:
    error = rejected(v3_message(v3_field("F1", anzahl="1-2")))
    assert "'1-2' is not a multiplicity of the form min:max" in error.detail_en
    assert error.extra["errors"][0]["detail_de"].startswith("„1-2“ ist keine Anzahl")


def test_v3_stammdatenschema_message() -> None:
    data = f"""<xdf:xdatenfelder.stammdatenschema.0102 xmlns:xdf="{NS_V3}">
      <xdf:header><xdf:nachrichtID>1</xdf:nachrichtID></xdf:header>
      <xdf:stammdatenschema>
        <xdf:identifikation><xdf:id>S60000000011</xdf:id><xdf:version>1.0.0</xdf:version></xdf:identifikation>
        <xdf:name>Meldebescheinigung</xdf:name>
        <xdf:freigabestatus><code>6</code></xdf:freigabestatus>
        <xdf:bezeichnung>Antrag auf eine Meldebescheinigung</xdf:bezeichnung>
        <xdf:hilfetext>Sie erhalten die Bescheinigung per Post.</xdf:hilfetext>
        <xdf:dokumentsteckbrief><xdf:id>D1</xdf:id></xdf:dokumentsteckbrief>
        {v3_group("G1", v3_field("F1", label="Familienname"), label="Person")}
      </xdf:stammdatenschema>
    </xdf:xdatenfelder.stammdatenschema.0102>""".encode()
    imported = parse(data)
    assert (imported.message, imported.source) == (
        "xdatenfelder.stammdatenschema.0102",
        "XDatenfelder 3.0.0 S60000000011 v1.0.0",
    )
    assert str(imported.schema.title) == "Antrag auf eine Meldebescheinigung"
    assert str(imported.schema.intro) == "Sie erhalten die Bescheinigung per Post."
    assert [str(s.title) for s in imported.schema.steps] == ["Person"]
    assert imported.schema.unsupported == []
    assert_usable(imported)
