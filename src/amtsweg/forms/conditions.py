"""Conditions on answers (visibility, requiredness, rules) and the value notations they compare.

A :class:`~amtsweg.forms.schema.Condition` is evaluated in a :class:`Scope`: the answers of the
current block (a group row) first, then those of the enclosing blocks and of the whole form. Numbers,
dates and yes/no are compared as what they mean (``"3"`` equals ``3.0``; ``today-18y`` is a date),
with three-valued logic where a value is missing.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from .schema import Comparison, Condition, FieldType, FormField, FormSchema, Step

MAX_DIGITS = 18  # integer digits of numbers and amounts
CANONICAL_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")  # how numbers are stored
_GERMAN_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9]{3})+")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RELATIVE_DATE = re.compile(r"today(?:\s*([+-])\s*([0-9]{1,4})\s*([dwmy]))?")
_TRUE = frozenset({"ja", "true", "1", "yes", "on"})
_FALSE = frozenset({"nein", "false", "0", "no", "off"})


# --- dates ------------------------------------------------------------------------------------


def today_local() -> dt.date:
    """Today in the platform's time zone (bounds like ``today-18y`` are about the citizen's calendar)."""
    return timezone.localdate()


def _add_months(day: dt.date, months: int) -> dt.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    year = min(max(year, dt.MINYEAR), dt.MAXYEAR)
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def resolve_date(expression: object, today: dt.date) -> dt.date | None:
    """A date bound: an ISO date, ``today``, or ``today`` ± N days/weeks/months/years (``today-18y``)."""
    if isinstance(expression, dt.date):
        return expression
    if not isinstance(expression, str):
        return None
    text = expression.strip().lower()
    match = _RELATIVE_DATE.fullmatch(text)
    if match is None:
        return parse_date_text(text)
    sign, amount, unit = match.groups()
    if sign is None:
        return today
    count = int(amount) * (1 if sign == "+" else -1)
    try:
        if unit == "d":
            return today + dt.timedelta(days=count)
        if unit == "w":
            return today + dt.timedelta(weeks=count)
        return _add_months(today, count * (12 if unit == "y" else 1))
    except OverflowError:
        return None


def parse_date_text(text: str) -> dt.date | None:
    try:
        if _ISO_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
        match = _GERMAN_DATE.fullmatch(text)
        if match:
            day, month, year = (int(part) for part in match.groups())
            return dt.date(year, month, day)
    except ValueError:
        return None
    return None


def format_date(day: dt.date) -> str:
    return day.strftime("%d.%m.%Y")


# --- numbers ----------------------------------------------------------------------------------


def _number_text(value: object) -> str | None:
    """The input as a plain decimal text (``"-1234.5"``), or None when it is not a number.

    Accepts German (``1.234,50``) and international (``1234.50``) writing, a euro sign, and JSON
    numbers; refuses exponents, NaN and more than :data:`MAX_DIGITS` integer digits.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        text = format(Decimal(repr(value)), "f")
    elif isinstance(value, Decimal):
        if not value.is_finite():
            return None
        text = format(value, "f")
    elif isinstance(value, str):
        text = value.strip().replace("€", "").replace("EUR", "").replace("\u00a0", "").replace(" ", "")
        text = text.replace("'", "")  # Swiss grouping
        if "," in text:
            text = text.replace(".", "").replace(",", ".")
        elif _GERMAN_GROUPED.fullmatch(text):
            text = text.replace(".", "")
    else:
        return None
    if not CANONICAL_NUMBER.fullmatch(text) or len(text.lstrip("+-").split(".")[0]) > MAX_DIGITS:
        return None
    return text


def parse_decimal(value: object) -> Decimal | None:
    text = _number_text(value)
    return Decimal(text) if text is not None else None


# --- conditions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Where a condition looks up field keys: the current block (a group row), then its parents."""

    values: Mapping[str, Any]
    fields: Mapping[str, FormField]
    parent: Scope | None = None
    today: dt.date | None = None

    def lookup(self, key: str) -> tuple[Any, FormField | None]:
        scope: Scope | None = self
        while scope is not None:
            if key in scope.fields:
                return scope.values.get(key), scope.fields[key]
            scope = scope.parent
        return None, None

    def child(self, values: Mapping[str, Any], fields: Iterable[FormField]) -> Scope:
        return Scope(values=values, fields={f.key: f for f in fields}, parent=self, today=self.today)

    @property
    def day(self) -> dt.date:
        scope: Scope | None = self
        while scope is not None:
            if scope.today is not None:
                return scope.today
            scope = scope.parent
        return today_local()


def form_scope(schema: FormSchema, data: Mapping[str, Any], *, today: dt.date | None = None) -> Scope:
    """The top-level scope: every field of the form, with ``data`` as values."""
    return Scope(values=data, fields={f.key: f for f in schema.all_fields()}, today=today)


def is_filled(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return any(is_filled(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(is_filled(v) for v in value)
    return True


def _comparable(value: Any, form_field: FormField | None, today: dt.date) -> Any:
    """``value`` in the type the field compares in (Decimal, date, bool, str), None when empty."""
    if not is_filled(value):
        return None
    kind = form_field.type if form_field is not None else None
    if kind in (FieldType.NUMBER, FieldType.MONEY):
        return parse_decimal(value)
    if kind == FieldType.DATE:
        return resolve_date(value, today)
    if kind == FieldType.YESNO:
        return parse_bool(value)
    if isinstance(value, bool | int | float | Decimal):
        return value
    if isinstance(value, str):
        return value.strip()
    return value


def _equal(left: Any, right: Any, form_field: FormField | None, today: dt.date) -> bool:
    if isinstance(left, list | tuple):  # several values (multichoice, files): membership
        return any(_equal(item, right, None, today) for item in left)
    a, b = _comparable(left, form_field, today), _comparable(right, form_field, today)
    if a is None or b is None:
        return a is None and b is None
    if type(a) is not type(b) and not (isinstance(a, Decimal | int) and isinstance(b, Decimal | int)):
        return str(a) == str(b)
    return bool(a == b)


_ORDER = {
    Comparison.EQ: lambda a, b: a == b,
    Comparison.NE: lambda a, b: a != b,
    Comparison.LT: lambda a, b: a < b,
    Comparison.LE: lambda a, b: a <= b,
    Comparison.GT: lambda a, b: a > b,
    Comparison.GE: lambda a, b: a >= b,
}


def evaluate(condition: Condition, scope: Scope) -> bool | None:
    """Three-valued: True, False, or None when a comparison lacks a value to compare.

    ``all``/``any``/``not`` follow Kleene's logic. Visibility and requiredness treat None as False;
    a rule's check treats None as passing (an empty field is the job of ``required``, not of rules).
    """
    if condition.all is not None:
        results = [evaluate(c, scope) for c in condition.all]
        if any(r is False for r in results):
            return False
        return None if any(r is None for r in results) else True
    if condition.any is not None:
        results = [evaluate(c, scope) for c in condition.any]
        if any(r is True for r in results):
            return True
        return None if any(r is None for r in results) else False
    if condition.not_ is not None:
        result = evaluate(condition.not_, scope)
        return None if result is None else not result
    assert condition.field is not None  # guaranteed by Condition's validator
    value, form_field = scope.lookup(condition.field)
    today = scope.day
    if condition.filled is not None:
        return is_filled(value) == condition.filled
    if condition.equals is not None:
        return _equal(value, condition.equals, form_field, today)
    if condition.not_equals is not None:
        return not _equal(value, condition.not_equals, form_field, today)
    if condition.in_ is not None:
        return any(_equal(value, option, form_field, today) for option in condition.in_)
    if condition.op is not None:
        left = _comparable(value, form_field, today)
        if condition.other is not None:
            other_value, other_field = scope.lookup(condition.other)
            right = _comparable(other_value, other_field or form_field, today)
        else:
            right = _comparable(condition.value, form_field, today)
        if left is None or right is None:
            return None
        try:
            return bool(_ORDER[condition.op](left, right))
        except TypeError:
            return None
    return None


def holds(condition: Condition | None, scope: Scope, *, default: bool = True) -> bool:
    """Whether ``condition`` holds; an absent condition gives ``default``, an undecidable one False."""
    if condition is None:
        return default
    return evaluate(condition, scope) is True


def field_visible(form_field: FormField, scope: Scope) -> bool:
    return holds(form_field.visible_if, scope)


def field_required(form_field: FormField, scope: Scope) -> bool:
    if form_field.required:
        return True
    return form_field.required_if is not None and holds(form_field.required_if, scope)


def visible_steps(schema: FormSchema, data: Mapping[str, Any], *, today: dt.date | None = None) -> list[Step]:
    """The steps the applicant goes through with these answers, in order."""
    scope = form_scope(schema, data, today=today)
    return [step for step in schema.steps if holds(step.visible_if, scope)]


def step_visible(
    schema: FormSchema, step_key: str, data: Mapping[str, Any], *, today: dt.date | None = None
) -> bool:
    return any(step.key == step_key for step in visible_steps(schema, data, today=today))


def step_for_path(schema: FormSchema, path: str) -> Step | None:
    """The step that asks for the field at ``path`` (``children.1.birth_date`` → the children's step)."""
    key = path.split(".", 1)[0]
    for step in schema.steps:
        if any(f.key == key for f in step.fields):
            return step
    return None


def parse_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in _FALSE:
        return False
    return None
