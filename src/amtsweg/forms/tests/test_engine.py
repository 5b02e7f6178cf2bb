"""The form engine: conditions, visibility, parsing of every field type, rules and the final gate."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.http import QueryDict
from django.utils import translation

from amtsweg.forms import engine
from amtsweg.forms.schema import Condition, FormField, FormSchema
from amtsweg.forms.tests.factories import all_types_schema, flat_answers, valid_answers

TODAY = dt.date(2026, 11, 24)


def form(*fields: dict[str, Any], rules: list[dict[str, Any]] | None = None, **step: Any) -> FormSchema:
    return FormSchema.model_validate(
        {
            "title": {"de": "Test"},
            "steps": [
                {"key": "s", "title": {"de": "S"}, "fields": list(fields), "rules": rules or [], **step}
            ],
        }
    )


def field(key: str, type_: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": {"de": key.capitalize()}, **extra}


def check(schema: FormSchema, raw: Any, **kwargs: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    kwargs.setdefault("today", TODAY)
    return engine.validate_step(schema, schema.steps[0].key, raw, **kwargs)


def value_of(type_: str, raw: Any, **extra: Any) -> Any:
    cleaned, errors = check(form(field("x", type_, **extra)), {"x": raw})
    assert not errors, errors
    return cleaned.get("x")


def error_of(type_: str, raw: Any, **extra: Any) -> str:
    cleaned, errors = check(form(field("x", type_, **extra)), {"x": raw})
    assert "x" not in cleaned
    return " ".join(message for messages in errors.values() for message in messages)


# --- conditions ---------------------------------------------------------------------------------


def scope(values: dict[str, Any], *fields: dict[str, Any]) -> engine.Scope:
    parsed = [FormField.model_validate(f) for f in fields]
    return engine.Scope(values=values, fields={f.key: f for f in parsed}, today=TODAY)


def cond(**kwargs: Any) -> Condition:
    return Condition.model_validate(kwargs)


@pytest.mark.parametrize(
    ("condition", "values", "expected"),
    [
        ({"field": "n", "equals": 3}, {"n": "3"}, True),
        ({"field": "n", "equals": "3.0"}, {"n": "3"}, True),  # compared as numbers
        ({"field": "n", "not_equals": 3}, {"n": "4"}, True),
        ({"field": "n", "not_equals": 3}, {}, True),
        ({"field": "n", "in": [1, 2]}, {"n": "2"}, True),
        ({"field": "n", "in": [1, 2]}, {"n": "5"}, False),
        ({"field": "n", "filled": True}, {"n": "0"}, True),
        ({"field": "n", "filled": False}, {}, True),
        ({"field": "n", "op": "gt", "value": "2.5"}, {"n": "3"}, True),
        ({"field": "n", "op": "le", "value": "2"}, {"n": "3"}, False),
        ({"field": "n", "op": "gt", "value": "2"}, {}, None),  # nothing to compare: undecided
        ({"field": "d", "op": "le", "value": "today-18y"}, {"d": "2008-11-24"}, True),
        ({"field": "d", "op": "le", "value": "today-18y"}, {"d": "2008-11-25"}, False),
        ({"field": "d", "op": "lt", "other": "e"}, {"d": "2026-01-01", "e": "2026-01-02"}, True),
        ({"field": "y", "equals": True}, {"y": True}, True),
        ({"field": "y", "equals": "ja"}, {"y": True}, True),
        ({"field": "y", "equals": False}, {"y": False}, True),
        ({"field": "y", "filled": True}, {"y": False}, True),  # "no" is an answer
        ({"field": "m", "equals": "a"}, {"m": ["b", "a"]}, True),  # multichoice: membership
        ({"field": "m", "not_equals": "a"}, {"m": ["b"]}, True),
        ({"all": [{"field": "n", "equals": 3}, {"field": "y", "equals": True}]}, {"n": "3", "y": True}, True),
        ({"all": [{"field": "n", "equals": 3}, {"field": "n", "op": "gt", "value": "1"}]}, {"n": "3"}, True),
        (
            {"all": [{"field": "n", "op": "gt", "value": "1"}, {"field": "y", "equals": True}]},
            {"y": False},
            False,
        ),
        (
            {"all": [{"field": "n", "op": "gt", "value": "1"}, {"field": "y", "equals": True}]},
            {"y": True},
            None,
        ),
        (
            {"any": [{"field": "n", "op": "gt", "value": "1"}, {"field": "y", "equals": True}]},
            {"y": True},
            True,
        ),
        (
            {"any": [{"field": "n", "op": "gt", "value": "1"}, {"field": "y", "equals": True}]},
            {"y": False},
            None,
        ),
        ({"not": {"field": "n", "equals": 3}}, {"n": "3"}, False),
        ({"not": {"field": "n", "op": "gt", "value": "1"}}, {}, None),
        ({"field": "t", "op": "lt", "value": "b"}, {"t": "a"}, True),  # text compares as text
        ({"field": "n", "op": "lt", "other": "d"}, {"n": "1", "d": "2026-01-01"}, None),  # incomparable
    ],
)
def test_conditions(condition: dict[str, Any], values: dict[str, Any], expected: bool | None) -> None:
    fields = [
        field("n", "number", decimals=1),
        field("d", "date"),
        field("e", "date"),
        field("y", "yesno"),
        field("t", "text"),
        field("m", "multichoice", options=[{"value": v, "label": {"de": v}} for v in "ab"]),
    ]
    assert engine.evaluate(cond(**condition), scope(values, *fields)) is expected


def test_a_sibling_in_the_same_row_wins_over_a_top_level_field() -> None:
    top = scope({"name": "top", "flag": True}, field("name", "text"), field("flag", "yesno"))
    row = top.child({"name": "row"}, [FormField.model_validate(field("name", "text"))])
    assert engine.evaluate(cond(field="name", equals="row"), row) is True
    assert engine.evaluate(cond(field="flag", equals=True), row) is True  # falls back to the parent


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("today", TODAY),
        ("today+30d", dt.date(2026, 12, 24)),
        ("today-18y", dt.date(2008, 11, 24)),
        ("today + 2w", dt.date(2026, 12, 8)),
        ("today+3m", dt.date(2027, 2, 24)),
        ("2026-02-01", dt.date(2026, 2, 1)),
        ("01.02.2026", dt.date(2026, 2, 1)),
        ("yesterday", None),
        ("today+99999y", None),
        (None, None),
    ],
)
def test_date_expressions(expression: Any, expected: dt.date | None) -> None:
    assert engine.resolve_date(expression, TODAY) == expected


def test_month_arithmetic_keeps_the_end_of_month() -> None:
    assert engine.resolve_date("today-18y", dt.date(2024, 2, 29)) == dt.date(2006, 2, 28)
    assert engine.resolve_date("today+1m", dt.date(2026, 1, 31)) == dt.date(2026, 2, 28)


def test_visible_steps() -> None:
    schema = all_types_schema()
    assert [s.key for s in engine.visible_steps(schema, {})] == ["person", "details", "family"]
    assert [s.key for s in engine.visible_steps(schema, {"purpose": "work"})][-1] == "employer"
    assert engine.step_visible(schema, "employer", {"purpose": "work"})
    assert not engine.step_visible(schema, "employer", {"purpose": "other"})


# --- field types ----------------------------------------------------------------------------------


def test_text_is_stripped_normalised_and_one_line() -> None:
    assert value_of("text", "  Clara  ") == "Clara"
    assert value_of("text", "Cla\r\nra") == "Cla ra"
    assert value_of("text", "Cafe\u0301") == "Café"  # NFC
    assert value_of("text", "   ") is None
    assert value_of("textarea", " a\r\n\r\nb ") == "a\n\nb"
    assert value_of("text", 42) == "42"


@pytest.mark.parametrize("bad", ["a\x00b", "a\x1bb", "\ud800"])
def test_control_characters_are_refused(bad: str) -> None:
    assert "Steuerzeichen" in error_of("text", bad)


def test_text_lengths_and_patterns() -> None:
    assert "höchstens 3 Zeichen eingeben (jetzt 4)" in error_of("text", "abcd", max_length=3)
    assert "mindestens 2 Zeichen" in error_of("text", "a", min_length=2)
    assert "höchstens 500 Zeichen" in error_of("text", "x" * 501)  # the default bound
    assert value_of("text", "AB12", pattern="[A-Z]{2}[0-9]{2}") == "AB12"
    assert "erwartete Format" in error_of("text", "AB12x", pattern="[A-Z]{2}[0-9]{2}")  # full match
    assert error_of("text", "x", pattern="[0-9]+", pattern_message={"de": "Nur Ziffern."}) == "Nur Ziffern."
    assert "einzelnen Wert" in error_of("text", ["a"])
    assert "einzelnen Wert" in error_of("text", {"a": 1})


@pytest.mark.parametrize(
    ("raw", "decimals", "expected"),
    [
        ("12", 0, "12"),
        (" 1.234 ", 0, "1234"),  # German thousands
        ("1.234,5", 1, "1234.5"),
        ("12,5", 2, "12.50"),
        ("12.5", 2, "12.50"),
        ("-3", 0, "-3"),
        (7, 0, "7"),
        (2.5, 1, "2.5"),
        ("1'000", 0, "1000"),
    ],
)
def test_numbers(raw: Any, decimals: int, expected: str) -> None:
    assert value_of("number", raw, decimals=decimals) == expected


@pytest.mark.parametrize("raw", ["abc", "1e5", "NaN", "Infinity", "1,2,3", True, [1], "9" * 19, float("nan")])
def test_not_numbers(raw: Any) -> None:
    assert "Zahl" in error_of("number", raw)


def test_number_bounds_and_decimals() -> None:
    assert "ganze Zahl" in error_of("number", "1,5")
    assert "höchstens 2 Nachkommastellen" in error_of("number", "1,555", decimals=2)
    assert "mindestens 1 sein" in error_of("number", "0", minimum="1")
    assert "höchstens 10 sein" in error_of("number", "11", maximum="10")
    assert value_of("number", "10", maximum="10") == "10"


def test_money() -> None:
    assert value_of("money", "12,5 €") == "12.50"
    assert value_of("money", "1.234,56") == "1234.56"
    assert value_of("money", 3) == "3.00"
    assert "mindestens 0,00 € sein" in error_of("money", "-1")
    assert "höchstens 2 Nachkommastellen" in error_of("money", "1,001")
    assert "Betrag in Euro" in error_of("money", "zehn")


def test_dates() -> None:
    assert value_of("date", "2026-02-01") == "2026-02-01"
    assert value_of("date", "1.2.2026") == "2026-02-01"
    assert "gültiges Datum" in error_of("date", "31.02.2026")
    assert "gültiges Datum" in error_of("date", "2026-13-01")
    assert "gültiges Datum" in error_of("date", 20260201)
    assert "nicht nach dem 24.11.2008" in error_of("date", "2008-11-25", maximum="today-18y")
    assert value_of("date", "2008-11-24", maximum="today-18y") == "2008-11-24"
    assert "nicht vor dem 24.11.2026" in error_of("date", "2026-11-23", minimum="today")


def test_choices() -> None:
    options = [{"value": "a", "label": {"de": "A"}}, {"value": "1", "label": {"de": "Eins"}}]
    assert value_of("choice", "a", options=options) == "a"
    assert value_of("choice", 1, options=options) == "1"
    assert "angebotenen Antworten" in error_of("choice", "b", options=options)
    assert "angebotenen Antworten" in error_of("choice", ["a"], options=options)
    assert value_of("multichoice", ["1", "a", "a"], options=options) == [
        "a",
        "1",
    ]  # option order, no duplicates
    assert value_of("multichoice", "a", options=options) == ["a"]
    assert value_of("multichoice", [], options=options) is None
    assert "nur angebotene" in error_of("multichoice", ["a", "z"], options=options)
    assert "nur angebotene" in error_of("multichoice", ["a", None], options=options)
    assert "eine oder mehrere" in error_of("multichoice", {"a": 1}, options=options)


@pytest.mark.parametrize(
    ("raw", "expected"), [("ja", True), ("nein", False), (True, True), (False, False), ("true", True)]
)
def test_yes_no(raw: Any, expected: bool) -> None:
    assert value_of("yesno", raw) is expected


def test_yes_no_garbage() -> None:
    assert "„Ja“ oder „Nein“" in error_of("yesno", "vielleicht")
    assert "„Ja“ oder „Nein“" in error_of("yesno", 2)


def test_email_and_phone() -> None:
    assert value_of("email", " clara@example.org ") == "clara@example.org"
    assert "E-Mail-Adresse" in error_of("email", "clara@")
    assert value_of("phone", "+49 2131 90-1234") == "+49 2131 90-1234"
    assert value_of("phone", "(02131) 90/1234") == "(02131) 90/1234"
    assert "Telefonnummer" in error_of("phone", "call me")
    assert "Telefonnummer" in error_of("phone", "123")


def test_address() -> None:
    address = {"street": " Markt ", "house_number": "1a", "postcode": "41460", "city": "Neuss"}
    assert value_of("address", address) == {
        "street": "Markt",
        "house_number": "1a",
        "postcode": "41460",
        "city": "Neuss",
    }
    assert value_of("address", {**address, "house_number": ""}) == {
        "street": "Markt",
        "postcode": "41460",
        "city": "Neuss",
    }
    assert value_of("address", {"street": "", "postcode": ""}) is None
    _cleaned, errors = check(form(field("a", "address")), {"a": {"street": "Markt", "postcode": "4146"}})
    assert errors == {
        "a.postcode": ["Eine deutsche Postleitzahl besteht aus genau 5 Ziffern."],
        "a.city": ["Bitte geben Sie den Ort an."],
    }
    assert "Anschrift" in error_of("address", "Markt 1, Neuss")
    _cleaned, errors = check(form(field("a", "address")), {"a": {**address, "city": ["x"]}})
    assert "a.city" in errors


def test_files_must_be_uploads_of_this_draft() -> None:
    mine, other = str(uuid.uuid4()), str(uuid.uuid4())
    uploads = {mine: "proof", other: "photo"}
    schema = form(field("proof", "file", max_files=2))
    assert check(schema, {"proof": [mine.upper(), mine]}, uploads=uploads)[0] == {"proof": [mine]}
    assert (
        "gehört nicht zu diesem Antrag" in check(schema, {"proof": [other]}, uploads=uploads)[1]["proof"][0]
    )
    assert "gehört nicht" in check(schema, {"proof": [str(uuid.uuid4())]}, uploads=uploads)[1]["proof"][0]
    assert "gehört nicht" in check(schema, {"proof": ["../etc/passwd"]})[1]["proof"][0]
    assert check(schema, {"proof": mine}, uploads=[mine])[0] == {"proof": [mine]}
    three = [str(uuid.uuid4()) for _ in range(3)]
    assert "höchstens 2 Dateien" in check(schema, {"proof": three}, uploads=three)[1]["proof"][0]
    assert "hier hoch" in check(schema, {"proof": [1]})[1]["proof"][0]


# --- requiredness, visibility, groups, rules -----------------------------------------------------------


def test_required_messages_by_type() -> None:
    options = [{"value": "a", "label": {"de": "A"}}]
    schema = form(
        field("t", "text", required=True),
        field("c", "choice", required=True, options=options),
        field("f", "file", required=True),
        field("y", "yesno", required=True),
    )
    _cleaned, errors = check(schema, {})
    assert errors == {
        "t": ["Bitte geben Sie „T“ an."],
        "c": ["Bitte wählen Sie bei „C“ eine Antwort aus."],
        "f": ["Bitte laden Sie „F“ hoch."],
        "y": ["Bitte wählen Sie bei „Y“ eine Antwort aus."],
    }
    assert check(schema, {"t": "x", "c": "a", "f": [str(uuid.uuid4())], "y": False})[1] == {}


def test_hidden_fields_are_dropped_and_never_required() -> None:
    schema = form(
        field("kind", "choice", options=[{"value": v, "label": {"de": v}} for v in ("a", "b")]),
        field("detail", "text", required=True, visible_if={"field": "kind", "equals": "b"}),
        field("more", "text", required=True, visible_if={"field": "detail", "filled": True}),
    )
    assert check(schema, {"kind": "a", "detail": "stale", "more": "stale"}) == ({"kind": "a"}, {})
    assert check(schema, {"kind": "b"})[1] == {"detail": ["Bitte geben Sie „Detail“ an."]}
    # A chain: "more" depends on "detail", which is hidden, so "more" is hidden too.
    assert check(schema, {"kind": "a", "detail": "x"})[0] == {"kind": "a"}


def test_hidden_field_errors_are_dropped() -> None:
    schema = form(field("flag", "yesno"), field("n", "number", visible_if={"field": "flag", "equals": True}))
    assert check(schema, {"flag": "nein", "n": "not a number"}) == ({"flag": False}, {})


def test_required_if_and_conditions_on_other_steps() -> None:
    schema = FormSchema.model_validate(
        {
            "title": {"de": "T"},
            "steps": [
                {"key": "a", "title": {"de": "A"}, "fields": [field("married", "yesno")]},
                {
                    "key": "b",
                    "title": {"de": "B"},
                    "fields": [field("spouse", "text", required_if={"field": "married", "equals": True})],
                },
            ],
        }
    )
    assert engine.validate_step(schema, "b", {}, data={"married": True})[1] == {
        "spouse": ["Bitte geben Sie „Spouse“ an."]
    }
    assert engine.validate_step(schema, "b", {}, data={"married": False})[1] == {}


def test_groups_read_rows_and_report_errors_at_the_position_shown() -> None:
    schema = all_types_schema()
    data = flat_answers()
    rows = [
        {"child_name": "A", "child_birth_date": "2015-01-01"},
        {},  # an empty row in the middle is left out
        {"child_name": "", "child_birth_date": "2016-01-01", "attends_school": "ja"},
    ]
    cleaned, errors = engine.validate_step(
        schema, "family", {"has_children": "ja", "children": rows}, data=data
    )
    assert errors == {
        "children.2.child_name": ["Bitte geben Sie „Name des Kindes“ an."],
        "children.2.school_name": ["Bitte geben Sie „Name der Schule“ an."],
    }
    rows[2].update(child_name="B", school_name="Schule")
    cleaned, errors = engine.validate_step(
        schema, "family", {"has_children": "ja", "children": rows}, data=data
    )
    assert errors == {}
    assert cleaned["children"] == [
        {"child_name": "A", "child_birth_date": "2015-01-01"},
        {
            "child_name": "B",
            "child_birth_date": "2016-01-01",
            "attends_school": True,
            "school_name": "Schule",
        },
    ]


def test_group_item_limits() -> None:
    schema = all_types_schema()
    data = flat_answers()
    five = [{"child_name": str(i), "child_birth_date": "2015-01-01"} for i in range(5)]
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": five}, data=data)[1]
    assert errors == {"children": ["Bitte höchstens 4 Einträge angeben."]}
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": []}, data=data)[1]
    assert errors == {"children": ["Bitte geben Sie bei „Kinder“ mindestens 1 Eintrag an."]}
    # A required group's first empty row shows what is missing in that row.
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": [{}]}, data=data)[1]
    assert set(errors) == {"children.0.child_name", "children.0.child_birth_date"}
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": "x"}, data=data)[1]
    assert errors == {"children": ["Die Angaben zu „Kinder“ sind ungültig."]}
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": ["x"]}, data=data)[1]
    assert errors == {"children": ["Die Angaben zu „Kinder“ sind ungültig."]}


def test_hidden_group_is_dropped() -> None:
    schema = all_types_schema()
    raw = {"has_children": "nein", "children": [{"child_name": ""}]}
    assert engine.validate_step(schema, "family", raw, data=flat_answers()) == ({"has_children": False}, {})


def test_rules_put_their_message_at_the_right_field() -> None:
    schema = all_types_schema()
    raw = {**valid_answers()["details"], "valid_from": "2027-01-02", "valid_until": "2027-01-01"}
    assert engine.validate_step(schema, "details", raw)[1] == {
        "valid_until": ["„Gültig bis“ darf nicht vor „Gültig ab“ liegen."]
    }
    # Undecidable (one date empty): the rule is not the place to demand it.
    assert engine.validate_step(schema, "details", {**raw, "valid_from": ""})[1] == {}


def test_rules_on_group_fields_are_checked_per_row() -> None:
    schema = all_types_schema()
    data = {**flat_answers(), "birth_date": "1990-01-01"}
    rows = [
        {"child_name": "A", "child_birth_date": "2015-01-01"},
        {"child_name": "B", "child_birth_date": "1985-01-01"},
    ]
    errors = engine.validate_step(schema, "family", {"has_children": True, "children": rows}, data=data)[1]
    assert errors == {"children.1.child_birth_date": ["Ein Kind kann nicht vor Ihnen geboren sein."]}


def test_partial_skips_required_and_rules_but_not_formats() -> None:
    schema = all_types_schema()
    assert engine.validate_step(schema, "person", {"given_name": "C"}, partial=True) == (
        {"given_name": "C"},
        {},
    )
    raw = {"valid_from": "2027-01-02", "valid_until": "2027-01-01"}
    assert engine.validate_step(schema, "details", raw, partial=True)[1] == {}
    assert engine.validate_step(schema, "person", {"email": "x"}, partial=True)[1] == {
        "email": ["Bitte geben Sie eine gültige E-Mail-Adresse ein, z. B. name@beispiel.de."]
    }


def test_errors_come_in_page_order() -> None:
    schema = all_types_schema()
    errors = engine.validate_step(
        schema, "person", {"address": {"postcode": "1"}, "email": "x"}, today=TODAY
    )[1]
    assert list(errors) == [
        "given_name",
        "family_name",
        "birth_date",
        "email",
        "address.street",
        "address.postcode",
        "address.city",
    ]


def test_unknown_step_raises_key_error() -> None:
    with pytest.raises(KeyError):
        engine.validate_step(all_types_schema(), "nope", {})


def test_messages_use_the_label_in_the_active_language() -> None:
    schema = form(field("t", "text", required=True, label={"de": "Familienname", "en": "Surname"}))
    with translation.override("de"):
        assert check(schema, {})[1] == {"t": ["Bitte geben Sie „Familienname“ an."]}
    with translation.override("en"):
        message = check(schema, {})[1]["t"][0]
    assert "Surname" in message and "Familienname" not in message


# --- HTML form posts ------------------------------------------------------------------------------------


def test_form_posts_are_read_like_json() -> None:
    schema = all_types_schema()
    post = QueryDict(mutable=True)
    post.update({"has_children": "ja", "unknown": "ignored", "children.0._row": "1"})
    post.update({"children.0.child_name": "A", "children.0.child_birth_date": "2015-01-01"})
    post.update(
        {"children.5._row": "1", "children.5.child_name": "B", "children.5.child_birth_date": "2016-01-01"}
    )
    assert engine.step_input(schema, "family", post) == {
        "has_children": "ja",
        "children": [
            {
                "child_name": "A",
                "child_birth_date": "2015-01-01",
                "attends_school": None,
                "school_name": None,
            },
            {
                "child_name": "B",
                "child_birth_date": "2016-01-01",
                "attends_school": None,
                "school_name": None,
            },
        ],
    }
    cleaned, errors = engine.validate_step(schema, "family", post, data=flat_answers())
    assert errors == {} and [c["child_name"] for c in cleaned["children"]] == ["A", "B"]

    post = QueryDict(mutable=True)
    post.setlist("languages", ["en", "de"])
    post.update({"purpose": "other", "copies": "1", "fee": "", "address.street": "x"})
    assert engine.validate_step(schema, "details", post)[0] == {
        "purpose": "other",
        "copies": "1",
        "languages": ["de", "en"],
    }


# --- the final gate ----------------------------------------------------------------------------------


def test_validate_all_accepts_a_complete_application() -> None:
    assert engine.validate_all(all_types_schema(), flat_answers()) == {}


def test_validate_all_lists_everything_missing_in_form_order() -> None:
    errors = engine.validate_all(all_types_schema(), {"purpose": "work"})
    assert list(errors)[:2] == ["given_name", "family_name"]
    assert list(errors)[-2:] == ["employer_name", "proof"]
    assert [s.key for s in engine.error_steps(all_types_schema(), errors)] == [
        "person",
        "details",
        "family",
        "employer",
    ]


def test_clean_all_drops_answers_of_hidden_steps_and_fields() -> None:
    data = {**flat_answers(purpose="authority"), "employer_name": "stale", "has_children": False}
    cleaned, errors = engine.clean_all(all_types_schema(), data)
    assert errors == {}
    assert "employer_name" not in cleaned and "children" not in cleaned
    assert cleaned["has_children"] is False


def test_clean_all_decides_step_visibility_on_cleaned_answers() -> None:
    # "purpose" is invalid now (the option was removed), so the employer step depending on it is not shown.
    data = {**flat_answers(purpose="work"), "purpose": "gone", "employer_name": "x"}
    cleaned, errors = engine.clean_all(all_types_schema(), data)
    assert "purpose" in errors and "employer_name" not in cleaned and "employer_name" not in errors


def test_merge_step_replaces_only_that_steps_answers() -> None:
    schema = all_types_schema()
    data = flat_answers()
    merged = engine.merge_step(schema, "person", data, {"given_name": "Neu", "not_mine": 1})
    assert merged["given_name"] == "Neu" and "family_name" not in merged and "not_mine" not in merged
    assert merged["purpose"] == data["purpose"]


def test_resume_and_paths() -> None:
    schema = all_types_schema()
    assert engine.first_incomplete_step(schema, {}, []).key == "person"  # type: ignore[union-attr]
    assert engine.first_incomplete_step(schema, {}, ["person", "details", "family"]) is None
    assert engine.step_for_path(schema, "children.1.child_name").key == "family"  # type: ignore[union-attr]
    assert engine.step_for_path(schema, "nope") is None
