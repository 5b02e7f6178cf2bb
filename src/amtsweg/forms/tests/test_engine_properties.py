"""Property-based tests of the form engine and the renderer (hypothesis).

* Whatever arrives — any JSON, any form post, any stored data, any (valid) schema — the engine and
  the renderer answer with values and error messages, never with an exception.
* Valid answers, written in any of the notations people use (``12,50``, ``1.234``, ``24.11.2026``,
  ``ja``), pass; their normalised form passes again unchanged (idempotent), survives JSON, and
  survives the round trip through the rendered HTML form and back.
"""

from __future__ import annotations

import datetime as dt
import json
import string
import uuid
from decimal import Decimal
from html.parser import HTMLParser
from typing import Any

from django.http import QueryDict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from amtsweg.forms import engine, rendering
from amtsweg.forms.schema import FormSchema
from amtsweg.forms.tests.factories import all_types_schema

TODAY = dt.date(2026, 11, 24)
SCHEMA = all_types_schema()
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
field_keys = st.sampled_from([f.key for f in SCHEMA.all_fields()] + ["children.0.child_name", "x", ""])


def step_json(step_key: str) -> st.SearchStrategy[dict[str, Any]]:
    """Mostly the step's own keys with arbitrary values, so the parsers (not just the lookups) are hit."""
    keys = [f.key for f in SCHEMA.step(step_key).fields]
    return st.dictionaries(st.sampled_from([*keys, "unknown"]), json_values, max_size=len(keys) + 1)


def assert_well_formed(cleaned: Any, errors: Any) -> None:
    assert isinstance(cleaned, dict) and isinstance(errors, dict)
    for path, messages in errors.items():
        assert isinstance(path, str) and messages and all(isinstance(m, str) and m for m in messages)
    json.dumps(cleaned)  # what is kept can always be stored


# --- never raises -------------------------------------------------------------------------------


@FAST
@given(step=st.sampled_from([s.key for s in SCHEMA.steps]), data=st.data())
def test_any_json_gives_answers_or_errors(step: str, data: st.DataObject) -> None:
    raw: Any = data.draw(step_json(step) | json_values)  # deliberately not always a mapping
    stored = data.draw(st.dictionaries(field_keys, json_values, max_size=6))
    partial = data.draw(st.booleans())
    uploads = data.draw(st.none() | st.lists(st.uuids().map(str), max_size=3))
    cleaned, errors = engine.validate_step(
        SCHEMA, step, raw, data=stored, uploads=uploads, partial=partial, today=TODAY
    )
    assert_well_formed(cleaned, errors)
    top_keys = {f.key for f in SCHEMA.step(step).fields}
    assert set(cleaned) <= top_keys
    assert all(path.split(".")[0] in top_keys for path in errors)


form_names = st.sampled_from(
    [
        "given_name",
        "address.postcode",
        "address.street",
        "languages",
        "purpose",
        "copies",
        "fee",
        "has_children",
        "children.0._row",
        "children.0.child_name",
        "children.1.child_birth_date",
        "children.9999.attends_school",
        "children.x.child_name",
        "proof",
        "children",
    ]
) | st.text(max_size=20)


@FAST
@given(
    step=st.sampled_from([s.key for s in SCHEMA.steps]),
    items=st.lists(st.tuples(form_names, st.text(max_size=30)), max_size=12),
)
def test_any_form_post_gives_answers_or_errors(step: str, items: list[tuple[str, str]]) -> None:
    post = QueryDict(mutable=True)
    for name, value in items:
        post.appendlist(name, value)
    cleaned, errors = engine.validate_step(SCHEMA, step, post, today=TODAY)
    assert_well_formed(cleaned, errors)


@FAST
@given(stored=st.dictionaries(field_keys, json_values, max_size=10))
def test_any_stored_data_can_be_checked_shown_and_summarised(stored: dict[str, Any]) -> None:
    errors = engine.validate_all(SCHEMA, stored, today=TODAY)
    assert_well_formed({}, errors)
    for step in engine.visible_steps(SCHEMA, stored, today=TODAY):
        html = rendering.render_step(SCHEMA, step, stored, errors, today=TODAY)
        assert step.fields[0].key in html
    for row in rendering.summary_rows(SCHEMA, stored, today=TODAY):
        assert isinstance(row.value, str)


# Random schemas: every field type but groups at the top, groups of simple fields, bounds, patterns,
# and conditions on earlier fields.
SIMPLE_TYPES = [
    "text",
    "textarea",
    "number",
    "money",
    "date",
    "choice",
    "multichoice",
    "yesno",
    "email",
    "phone",
    "address",
    "file",
    "info",
]


@st.composite
def random_schemas(draw: st.DrawFn) -> FormSchema:
    fields: list[dict[str, Any]] = []
    count = draw(st.integers(min_value=1, max_value=6))
    for index in range(count):
        kind = draw(st.sampled_from([*SIMPLE_TYPES, "group"]))
        spec: dict[str, Any] = {"key": f"f{index}", "type": kind, "label": {"de": f"Feld {index}"}}
        spec["required"] = draw(st.booleans())
        if kind in ("choice", "multichoice"):
            spec["options"] = [
                {"value": v, "label": {"de": v}}
                for v in draw(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=4, unique=True))
            ]
        if kind in ("number", "money"):
            low = draw(st.none() | st.integers(-100, 100))
            if low is not None:
                spec["minimum"] = str(low)
                spec["maximum"] = str(low + draw(st.integers(0, 1000)))
            spec["decimals"] = draw(st.integers(0, 3))
        if kind == "date":
            spec["minimum"] = draw(st.sampled_from(["today-100y", "2000-01-01", "today"]))
            spec["maximum"] = draw(st.sampled_from(["today+1y", "2100-01-01", "today"]))
        if kind == "text":
            spec["pattern"] = draw(st.none() | st.sampled_from(["[A-Z]{2}[0-9]+", ".*", "[0-9]{5}"]))
            spec["max_length"] = draw(st.none() | st.integers(1, 50))
        if kind == "group":
            spec["fields"] = [
                {"key": "a", "type": "text", "label": {"de": "A"}, "required": draw(st.booleans())},
                {"key": "b", "type": "yesno", "label": {"de": "B"}},
                {
                    "key": "c",
                    "type": "date",
                    "label": {"de": "C"},
                    "required_if": {"field": "b", "equals": True},
                },
            ]
            spec["min_items"] = draw(st.integers(0, 2))
            spec["max_items"] = spec["min_items"] + draw(st.integers(1, 3))
        if index and draw(st.booleans()):
            other = f"f{draw(st.integers(0, index - 1))}"
            spec["visible_if"] = draw(
                st.sampled_from(
                    [
                        {"field": other, "filled": True},
                        {"field": other, "equals": "a"},
                        {"not": {"field": other, "op": "gt", "value": "3"}},
                        {"any": [{"field": other, "in": ["a", 1]}, {"field": other, "equals": True}]},
                    ]
                )
            )
        fields.append(spec)
    rules = []
    if count > 1 and draw(st.booleans()):
        rules.append(
            {"key": "r", "check": {"field": "f1", "op": "ge", "other": "f0"}, "message": {"de": "Regel"}}
        )
    return FormSchema.model_validate(
        {
            "title": {"de": "Zufall"},
            "steps": [{"key": "s", "title": {"de": "S"}, "fields": fields, "rules": rules}],
        }
    )


@FAST
@given(schema=random_schemas(), data=st.data())
def test_random_schemas_never_raise(schema: FormSchema, data: st.DataObject) -> None:
    keys = [f.key for f in schema.steps[0].fields]
    raw = data.draw(st.dictionaries(st.sampled_from(keys), json_values, max_size=len(keys)))
    cleaned, errors = engine.validate_step(schema, "s", raw, today=TODAY, partial=data.draw(st.booleans()))
    assert_well_formed(cleaned, errors)
    html = rendering.render_step(schema, schema.steps[0], {**raw, **cleaned}, errors, today=TODAY)
    assert "<" in html
    rendering.summary_rows(schema, cleaned, today=TODAY)
    # What the engine keeps is valid by its own rules (requiredness aside, which depends on the rest).
    again, again_errors = engine.validate_step(schema, "s", cleaned, today=TODAY, partial=True)
    assert again_errors == {} and again == cleaned


# --- valid answers pass and round-trip ------------------------------------------------------------

letters = st.text(alphabet=string.ascii_letters + "äöüÄÖÜß -'", min_size=1, max_size=40).filter(
    lambda s: any(ch.isalpha() for ch in s)
)
unicode_text = st.text(
    st.characters(categories=("L", "N", "P", "Zs", "S"), exclude_characters="\u2028\u2029"),
    min_size=1,
    max_size=80,
).filter(lambda s: s.strip())


def dates(low: dt.date, high: dt.date) -> st.SearchStrategy[str]:
    day = st.dates(min_value=low, max_value=high)
    return (
        day.map(dt.date.isoformat)
        | day.map(lambda d: f"{d.day}.{d.month}.{d.year}")
        | day.map(lambda d: d.strftime("%d.%m.%Y"))
    )


def amounts(high: int) -> st.SearchStrategy[Any]:
    cents = st.integers(min_value=0, max_value=high * 100)
    as_decimal = cents.map(lambda c: Decimal(c) / 100)
    return (
        as_decimal.map(lambda d: format(d, "f"))
        | as_decimal.map(lambda d: format(d, "f").replace(".", ","))
        | as_decimal.map(lambda d: f"{format(d, 'f').replace('.', ',')} €")
        | st.integers(min_value=0, max_value=high)
    )


@st.composite
def valid_steps(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    birth = draw(st.dates(min_value=dt.date(1907, 1, 1), max_value=dt.date(2008, 11, 24)))
    local = draw(st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=20))
    person = {
        "given_name": draw(unicode_text.map(lambda s: s[:100])),
        "family_name": draw(letters),
        "birth_date": draw(st.sampled_from([birth.isoformat(), birth.strftime("%d.%m.%Y")])),
        "email": f"{local}@example.org",
        "phone": draw(st.none() | st.from_regex(r"\+49 [1-9][0-9]{3} [0-9]{4,8}", fullmatch=True)),
        "address": {
            "street": draw(letters),
            "house_number": draw(st.sampled_from(["", "1", "12a", "3-5"])),
            "postcode": draw(st.from_regex(r"[0-9]{5}", fullmatch=True)),
            "city": draw(letters),
        },
    }
    valid_from = draw(st.none() | st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2030, 1, 1)))
    valid_until = (
        valid_from + dt.timedelta(days=draw(st.integers(0, 400)))
        if valid_from and draw(st.booleans())
        else None
    )
    details = {
        "purpose": draw(st.sampled_from(["authority", "other"])),
        "copies": draw(st.integers(1, 10) | st.integers(1, 10).map(str)),
        "fee": draw(st.none() | amounts(10_000)),
        "languages": draw(st.lists(st.sampled_from(["de", "en", "fr"]), unique=True, max_size=3)),
        "valid_from": valid_from.isoformat() if valid_from else None,
        "valid_until": valid_until.strftime("%d.%m.%Y") if valid_until else None,
        "remarks": draw(st.none() | unicode_text.map(lambda s: s[:200] + "\n\n" + s[:100])),
    }
    has_children = draw(st.booleans())
    family: dict[str, Any] = {
        "has_children": draw(st.sampled_from(["ja", True] if has_children else ["nein", False]))
    }
    if has_children:
        rows = []
        for _ in range(draw(st.integers(1, 4))):
            attends = draw(st.sampled_from([None, True, False]))
            row: dict[str, Any] = {
                "child_name": draw(letters),
                "child_birth_date": draw(dates(birth + dt.timedelta(days=1), TODAY)),
            }
            if attends is not None:
                row["attends_school"] = attends
            if attends:
                row["school_name"] = draw(letters)
            rows.append(row)
        family["children"] = rows
    return person, details, family


class FormControls(HTMLParser):
    """The name/value pairs a browser posts for a rendered form (buttons and file inputs left out)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: list[tuple[str, str]] = []
        self._textarea: str | None = None
        self._select: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "input" and attr.get("type") not in ("file", "submit"):
            if attr.get("type") in ("radio", "checkbox") and "checked" not in attr:
                return
            self.pairs.append((attr["name"], attr.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = attr["name"], ""
        elif tag == "select":
            self._select = attr["name"]
        elif tag == "option" and self._select and "selected" in attr:
            self.pairs.append((self._select, attr.get("value", "")))

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea" and self._textarea is not None:
            self.pairs.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select":
            self._select = None


def post_of(html: str) -> QueryDict:
    parser = FormControls()
    parser.feed(html)
    post = QueryDict(mutable=True)
    for name, value in parser.pairs:
        post.appendlist(name, value)
    return post


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(answers=valid_steps())
def test_valid_answers_pass_and_round_trip(answers: tuple[dict[str, Any], ...]) -> None:
    data: dict[str, Any] = {}
    for step, raw in zip(["person", "details", "family"], answers, strict=True):
        cleaned, errors = engine.validate_step(SCHEMA, step, raw, data=data, today=TODAY)
        assert errors == {}, (step, raw, errors)
        # Idempotent, and unchanged by a trip through JSON (the database) ...
        stored = json.loads(json.dumps(cleaned))
        assert engine.validate_step(SCHEMA, step, stored, data=data, today=TODAY) == (cleaned, {})
        data = engine.merge_step(SCHEMA, step, data, cleaned)
        # ... and by a trip through the rendered HTML form and back, as a browser would post it.
        html = rendering.render_step(SCHEMA, SCHEMA.step(step), data, today=TODAY)
        assert engine.validate_step(SCHEMA, step, post_of(html), data=data, today=TODAY) == (cleaned, {})
    assert engine.validate_all(SCHEMA, data, today=TODAY) == {}
    rows = rendering.summary_rows(SCHEMA, data, today=TODAY)
    assert [r.label for r in rows][:2] == ["Vorname", "Familienname"]


@settings(max_examples=60, deadline=None)
@given(ids=st.lists(st.uuids(), min_size=1, max_size=2, unique=True))
def test_file_answers_round_trip_through_the_form(ids: list[uuid.UUID]) -> None:
    uploads = {str(i): "proof" for i in ids}
    data = {"purpose": "work", "employer_name": "ACME", "proof": [str(i) for i in ids]}
    cleaned, errors = engine.validate_step(SCHEMA, "employer", data, data=data, uploads=uploads, today=TODAY)
    assert errors == {}
    html = rendering.render_step(SCHEMA, SCHEMA.step("employer"), data, today=TODAY)
    assert engine.validate_step(
        SCHEMA, "employer", post_of(html), data=data, uploads=uploads, today=TODAY
    ) == (
        cleaned,
        {},
    )
