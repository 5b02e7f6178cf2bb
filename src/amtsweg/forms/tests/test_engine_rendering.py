"""Rendering of steps (accessible HTML without JavaScript) and summaries of answers."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

import pytest
from django.utils import translation

from amtsweg.forms import rendering
from amtsweg.forms.schema import FormSchema
from amtsweg.forms.tests.factories import all_types_schema, flat_answers

TODAY = dt.date(2026, 11, 24)
SCHEMA = all_types_schema()


def html_of(
    step: str, data: dict[str, Any], errors: dict[str, list[str]] | None = None, **kwargs: Any
) -> str:
    return str(rendering.render_step(SCHEMA, SCHEMA.step(step), data, errors, today=TODAY, **kwargs))


def tag(html: str, element_id: str) -> str:
    match = re.search(rf'<[a-z]+ [^>]*id="{re.escape(element_id)}"[^>]*>', html)
    assert match, element_id
    return " ".join(match.group(0).split())


def test_inputs_have_labels_hints_and_purposes() -> None:
    html = html_of("person", {})
    assert '<label class="field__label" for="f-given_name">Vorname' in html
    assert 'autocomplete="given-name"' in tag(html, "f-given_name")
    assert "required" in tag(html, "f-given_name")
    birth = tag(html, "f-birth_date")
    assert 'type="date"' in birth and 'aria-describedby="f-birth_date-hint"' in birth
    assert 'min="1906-11-24"' in birth and 'max="2008-11-24"' in birth  # today-120y … today-18y
    assert 'autocomplete="bday"' in birth
    assert 'type="email"' in tag(html, "f-email") and 'autocomplete="email"' in tag(html, "f-email")
    phone = tag(html, "f-phone")
    assert 'type="tel"' in phone and 'autocomplete="tel"' in phone and "required" not in phone
    assert "(optional)" in html.split('for="f-phone"')[1].split("</label>")[0]
    # The address is a fieldset with a legend and four labelled inputs.
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>Anschrift", html)
    assert 'autocomplete="postal-code"' in tag(html, "f-address-postcode")
    assert 'inputmode="numeric"' in tag(html, "f-address-postcode")
    assert 'autocomplete="address-level2"' in tag(html, "f-address-city")


def test_numbers_money_choices_and_info() -> None:
    html = html_of("details", {"fee": "1234.50", "copies": "2", "languages": ["en"], "purpose": "work"})
    fee = tag(html, "f-fee")
    assert 'inputmode="decimal"' in fee and 'value="1234,50"' in fee  # the German notation
    assert 'inputmode="numeric"' in tag(html, "f-copies")
    assert "Betrag in Euro" in html
    assert 'type="radio"' in tag(html, "f-purpose-0") and "checked" in tag(html, "f-purpose-0")
    assert "required" in tag(html, "f-purpose-0")
    assert 'type="checkbox"' in tag(html, "f-languages-1") and "checked" in tag(html, "f-languages-1")
    assert "checked" not in tag(html, "f-languages-0")
    assert "Die Gebühr beträgt 10 Euro." in html


def test_long_code_lists_become_a_select() -> None:
    schema = FormSchema.model_validate(
        {
            "title": {"de": "T"},
            "steps": [
                {
                    "key": "s",
                    "title": {"de": "S"},
                    "fields": [
                        {
                            "key": "land",
                            "type": "choice",
                            "label": {"de": "Land"},
                            "options": [{"value": f"c{i}", "label": {"de": f"Land {i}"}} for i in range(20)],
                        }
                    ],
                }
            ],
        }
    )
    html = str(rendering.render_step(schema, schema.steps[0], {"land": "c3"}))
    assert '<select class="select" id="f-land" name="land"' in html
    assert '<option value="c3" selected>Land 3</option>' in html


def test_optional_radios_offer_no_answer() -> None:
    html = html_of("family", {"has_children": True, "children": [{"child_name": "A"}]})
    assert 'id="f-children-0-attends_school-none"' in html  # optional: can be unticked again
    assert 'id="f-has_children-none"' not in html  # required: no "Keine Angabe"


def test_repeating_groups_work_without_javascript() -> None:
    data = {"has_children": True, "children": [{"child_name": "A"}, {"child_name": "B"}]}
    html = html_of("family", data, extra_rows={"children": 1})
    assert html.count('class="group__row"') == 3  # two entries and the one added
    assert re.search(r'<legend class="group__row-legend">Kinder – Eintrag 3</legend>', html)
    assert 'name="children.2._row"' in html and 'name="children.2.child_name"' in html
    assert html.count('name="_remove_row"') == 3 and 'value="children.1"' in html
    assert 'name="_add_row" value="children"' in html and "formnovalidate" in html
    full = {"has_children": True, "children": [{"child_name": str(i)} for i in range(4)]}
    assert 'name="_add_row"' not in html_of("family", full)  # max_items reached
    assert 'name="_remove_row"' not in html_of("family", {"has_children": True})  # the one required entry


def test_hidden_fields_are_not_rendered() -> None:
    assert 'name="children.0.child_name"' not in html_of("family", {"has_children": False})
    assert 'name="children.0.child_name"' in html_of("family", {"has_children": True})


def test_file_fields_list_uploads_with_remove_buttons() -> None:
    doc = str(uuid.uuid4())
    documents = {doc: rendering.DocumentInfo(id=doc, filename="Vertrag.pdf", size=2048, url="/dl/1")}
    html = html_of("employer", {"purpose": "work", "proof": [doc]}, documents=documents)
    assert f'<input type="hidden" name="proof" value="{doc}">' in html
    assert '<a href="/dl/1">Vertrag.pdf</a>' in html and "2,0" in html
    assert f'name="_remove_file" value="{doc}"' in html
    upload = tag(html, "f-proof")
    assert 'type="file"' in upload and 'accept="application/pdf,image/jpeg,image/png"' in upload
    assert "multiple" in upload and "required" not in upload  # one file is there already
    assert "Erlaubt: PDF, JPEG, PNG, höchstens 10 MB je Datei; bis zu 2 Dateien." in html
    two = [str(uuid.uuid4()), str(uuid.uuid4())]
    assert 'type="file"' not in html_of("employer", {"purpose": "work", "proof": two})  # max_files reached


def test_error_summary_links_to_each_field_in_page_order() -> None:
    errors = {
        "address.postcode": ["PLZ falsch."],
        "given_name": ["Vorname fehlt."],
        "elsewhere": ["Ohne Feld auf dieser Seite."],
    }
    html = html_of("person", {}, errors)
    summary = html.split("</div>")[0]
    assert 'role="alert"' in summary and "autofocus" in summary
    links = re.findall(r'<li>(?:<a href="#([^"]+)">)?([^<]+)', summary)
    assert links == [
        ("f-given_name", "Vorname fehlt."),
        ("f-address-postcode", "PLZ falsch."),
        ("", "Ohne Feld auf dieser Seite."),
    ]
    given = tag(html, "f-given_name")
    assert 'aria-invalid="true"' in given and 'aria-describedby="f-given_name-error"' in given
    assert 'id="f-given_name-error"' in html and "Fehler:" in html


def test_group_and_choice_errors_link_to_their_first_input() -> None:
    errors = {"children": ["Mindestens ein Kind."], "has_children": ["Bitte wählen."]}
    html = html_of("family", {"has_children": True}, errors)
    assert '<a href="#f-has_children-ja">Bitte wählen.</a>' in html
    assert '<a href="#f-children-0-child_name">Mindestens ein Kind.</a>' in html


def test_typed_input_is_shown_again_as_typed() -> None:
    html = html_of("details", {"copies": "zwei", "fee": "12,5"}, {"copies": ["Bitte eine Zahl."]})
    assert 'value="zwei"' in tag(html, "f-copies") and 'value="12,5"' in tag(html, "f-fee")


def test_summary_rows_show_answers_in_words() -> None:
    doc = str(uuid.uuid4())
    data = {**flat_answers(purpose="work"), "employer_name": "ACME", "proof": [doc], "fee": "1234.5"}
    rows = {row.path: row for row in rendering.summary_rows(SCHEMA, data, documents={doc: "Vertrag.pdf"})}
    assert rows["birth_date"].value == dt.date.fromisoformat(data["birth_date"]).strftime("%d.%m.%Y")
    assert rows["fee"].value == "1.234,50 €"
    assert rows["purpose"].value == "Arbeitgeber"
    assert rows["languages"].value == "Deutsch, Englisch"
    assert rows["has_children"].value == "Ja"
    assert rows["address"].value == "Markt 1, 41460 Neuss"
    assert rows["proof"].value == "Vertrag.pdf" and rows["proof"].step == "employer"
    assert rows["phone"].value == "02131 90-1234"
    children = rows["children"]
    assert children.value == "2 Einträge" and children.step == "family"
    first = {row.path: row.value for row in children.entries[0]}
    assert first == {
        "children.0.child_name": "Carl",
        "children.0.child_birth_date": "01.05.2015",
        "children.0.attends_school": "Ja",
        "children.0.school_name": "Quirinus-Grundschule",
    }
    assert "fee_info" not in rows  # info texts are not answers
    without_names = {row.path: row for row in rendering.summary_rows(SCHEMA, data)}
    assert without_names["proof"].value == "1 Datei"


def test_summary_skips_hidden_steps_and_keeps_empty_optional_answers() -> None:
    data = {**flat_answers(purpose="authority"), "employer_name": "stale"}
    sections = rendering.summary_by_step(SCHEMA, data)
    assert [step.key for step, _rows in sections] == ["person", "details", "family"]
    rows = {row.path: row for _step, section in sections for row in section}
    assert "employer_name" not in rows
    del data["remarks"]
    rows = {row.path: row for row in rendering.summary_rows(SCHEMA, data)}
    assert rows["remarks"].value == "" and rows["remarks"].empty


def test_summary_follows_the_language() -> None:
    data = {**flat_answers(purpose="work"), "fee": "1234.5", "valid_from": "2026-11-24"}
    with translation.override("en"):
        rows = {row.path: row for row in rendering.summary_rows(SCHEMA, data)}
        assert rows["fee"].value == "1,234.50 €"
        assert rows["purpose"].value == "Employer"  # the option's English label
        assert rows["languages"].value == "Deutsch, Englisch"  # no English labels: German ones
        assert rows["valid_from"].value == "11/24/2026"
        assert rows["purpose"].label == "Wofür brauchen Sie die Bescheinigung?"


@pytest.mark.parametrize(
    "stored", [{"fee": "abc"}, {"birth_date": "gestern"}, {"children": "x"}, {"address": 5}]
)
def test_summary_never_fails_on_odd_stored_values(stored: dict[str, Any]) -> None:
    rows = rendering.summary_rows(SCHEMA, {**flat_answers(), **stored})
    assert all(isinstance(row.value, str) for row in rows)
