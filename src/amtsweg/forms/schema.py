"""The form definition language: what a versioned form (Formular) may contain.

A form version stores its definition as JSON; this module is the typed contract for that JSON,
used by the editor/importers (which write it), the engine (which validates answers against it) and
the renderers (HTML, summaries, PDFs). Texts are German, optionally with an English translation.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal

from django.utils.translation import get_language
from pydantic import BaseModel, ConfigDict, Field, model_validator

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"  # field/step keys: stable, used in stored answers and the API


class Text(BaseModel):
    """A text in German with an optional English translation."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    de: str = Field(min_length=1, max_length=4000)
    en: str = Field(default="", max_length=4000)

    def __str__(self) -> str:
        return self.en if self.en and (get_language() or "de").startswith("en") else self.de


def text(de: str, en: str = "") -> Text:
    return Text(de=de, en=en)


class FieldType(StrEnum):
    TEXT = "text"  # one line
    TEXTAREA = "textarea"  # several lines
    NUMBER = "number"  # integer or decimal (see ``decimals``)
    MONEY = "money"  # euro amount, two decimals, stored as a string like "12.50"
    DATE = "date"  # ISO date "2026-11-24"
    CHOICE = "choice"  # one value from ``options`` (a code list)
    MULTICHOICE = "multichoice"  # several values from ``options``
    YESNO = "yesno"  # stored as true/false
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"  # {"street", "house_number", "postcode", "city"}
    FILE = "file"  # one or more uploaded documents; stored as a list of document ids
    GROUP = "group"  # a (repeatable) group of sub-fields; stored as a list of objects
    INFO = "info"  # static text, no value (Hinweis)


class Comparison(StrEnum):
    EQ = "eq"
    NE = "ne"
    LT = "lt"
    LE = "le"
    GT = "gt"
    GE = "ge"


class Condition(BaseModel):
    """A condition on answers, for visibility, requiredness and cross-field rules.

    Exactly one form: a comparison (``field`` with ``equals``/``not_equals``/``in_``/``filled``, or
    ``field`` ``op`` ``other``/``value``), or a combination (``all``/``any``/``not_``).
    Field references are keys; inside a repeating group, a sibling key refers to the same row.
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: str | None = Field(default=None, pattern=KEY_PATTERN)
    equals: Any = None
    not_equals: Any = None
    in_: list[Any] | None = Field(default=None, alias="in")
    filled: bool | None = None
    op: Comparison | None = None
    other: str | None = Field(default=None, pattern=KEY_PATTERN)  # compare with another field …
    value: Any = None  # … or with a constant
    all: list[Condition] | None = None
    any: list[Condition] | None = None
    not_: Condition | None = Field(default=None, alias="not")

    @model_validator(mode="after")
    def _one_form(self) -> Condition:
        combinators = [c for c in (self.all, self.any, self.not_) if c is not None]
        if combinators:
            if len(combinators) > 1 or self.field is not None:
                raise ValueError("a condition is either a comparison or one of all/any/not")
            return self
        if self.field is None:
            raise ValueError("a condition needs 'field' or one of all/any/not")
        tests = [
            self.equals is not None,
            self.not_equals is not None,
            self.in_ is not None,
            self.filled is not None,
            self.op is not None,
        ]
        if sum(tests) != 1:
            raise ValueError("a comparison needs exactly one of equals, not_equals, in, filled, op")
        if self.op is not None and (self.other is None) == (self.value is None):
            raise ValueError("'op' needs exactly one of 'other' or 'value'")
        return self

    def referenced_keys(self) -> set[str]:
        keys = {k for k in (self.field, self.other) if k}
        for child in (self.all or []) + (self.any or []) + ([self.not_] if self.not_ else []):
            keys |= child.referenced_keys()
        return keys


class Option(BaseModel):
    """One entry of a code list: the stored ``value`` (the code) and its label."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    value: str = Field(min_length=1, max_length=200)
    label: Text


class FormField(BaseModel):
    """One question of a form."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    type: FieldType
    label: Text
    help: Text | None = None
    required: bool = False
    required_if: Condition | None = None
    visible_if: Condition | None = None
    # text-like
    min_length: int | None = Field(default=None, ge=0)
    max_length: int | None = Field(default=None, ge=1, le=100_000)
    pattern: str | None = None  # full-match regular expression
    pattern_message: Text | None = None
    # number, money, date ("today" and "today+30d"/"today-18y" are allowed for dates)
    minimum: str | None = None
    maximum: str | None = None
    decimals: int = Field(default=0, ge=0, le=6)
    # choice / multichoice
    options: list[Option] | None = None
    codelist: str | None = None  # name of the code list the options came from (e.g. a FIM URN)
    # file
    accept: list[str] | None = None  # MIME types; default: PDF, JPEG, PNG
    max_files: int = Field(default=1, ge=1, le=20)
    max_size_mb: int | None = Field(default=None, ge=1, le=100)
    # group
    fields: list[FormField] | None = None
    min_items: int = Field(default=1, ge=0, le=100)
    max_items: int = Field(default=1, ge=1, le=100)
    # where the field came from, e.g. {"fim_id": "F60000000001", "fim_version": "1.2"}
    source: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> FormField:
        if self.type in (FieldType.CHOICE, FieldType.MULTICHOICE) and not self.options:
            raise ValueError(f"field {self.key!r}: a choice needs options")
        if self.type == FieldType.GROUP and not self.fields:
            raise ValueError(f"field {self.key!r}: a group needs fields")
        if self.type != FieldType.GROUP and self.fields:
            raise ValueError(f"field {self.key!r}: only groups have sub-fields")
        if self.min_items > self.max_items:
            raise ValueError(f"field {self.key!r}: min_items is larger than max_items")
        if self.pattern is not None:
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"field {self.key!r}: invalid pattern: {exc}") from exc
        for bound in (self.minimum, self.maximum):
            if bound is not None and self.type in (FieldType.NUMBER, FieldType.MONEY):
                try:
                    Decimal(bound)
                except ArithmeticError as exc:
                    raise ValueError(f"field {self.key!r}: bound {bound!r} is not a number") from exc
        return self

    @property
    def repeating(self) -> bool:
        return self.type == FieldType.GROUP and self.max_items > 1


class Rule(BaseModel):
    """A cross-field rule: when ``when`` holds (or always), ``check`` must hold, else ``message``.

    The message is shown at ``field`` (default: the first field the check refers to).
    """

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    when: Condition | None = None
    check: Condition
    message: Text
    field: str | None = Field(default=None, pattern=KEY_PATTERN)


class Step(BaseModel):
    """One page of the form."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(pattern=KEY_PATTERN)
    title: Text
    intro: Text | None = None
    fields: list[FormField] = Field(min_length=1)
    rules: list[Rule] = Field(default_factory=list)
    visible_if: Condition | None = None


class Unsupported(BaseModel):
    """A construct of an imported source that the engine does not execute, kept for review."""

    model_config = ConfigDict(extra="forbid")
    element: str  # e.g. "Regel R60000000037" or "Feldart 'locked' of F60000000227"
    reason: str
    source_text: str = ""


class FormSchema(BaseModel):
    """A whole form definition (one version)."""

    model_config = ConfigDict(extra="forbid")
    schema_version: Literal[1] = 1
    title: Text
    intro: Text | None = None
    steps: list[Step] = Field(min_length=1)
    # The form may need a stronger login than its service (e.g. a form that asks for account data);
    # the stricter of the two applies (identity.levels.highest).
    trust_level: Literal["none", "normal", "substantiell", "hoch"] | None = None
    unsupported: list[Unsupported] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_keys(self) -> FormSchema:
        seen_steps: set[str] = set()
        seen_fields: set[str] = set()
        for step in self.steps:
            if step.key in seen_steps:
                raise ValueError(f"duplicate step key {step.key!r}")
            seen_steps.add(step.key)
            for form_field in step.fields:
                if form_field.key in seen_fields:
                    raise ValueError(f"duplicate field key {form_field.key!r}")
                seen_fields.add(form_field.key)
                _check_subkeys(form_field)
        for step in self.steps:
            conditions = (
                [step.visible_if] + [f.visible_if for f in step.fields] + [f.required_if for f in step.fields]
            )
            conditions += [r.when for r in step.rules] + [r.check for r in step.rules]
            for condition in conditions:
                if condition is not None:
                    unknown = condition.referenced_keys() - seen_fields - _all_subkeys(step)
                    if unknown:
                        raise ValueError(f"step {step.key!r} refers to unknown fields {sorted(unknown)}")
        return self

    def step(self, key: str) -> Step:
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)

    def all_fields(self) -> list[FormField]:
        return [f for step in self.steps for f in step.fields]


def _check_subkeys(group: FormField) -> None:
    if group.fields:
        keys = [f.key for f in group.fields]
        if len(keys) != len(set(keys)):
            raise ValueError(f"group {group.key!r} has duplicate sub-field keys")
        for child in group.fields:
            _check_subkeys(child)


def _all_subkeys(step: Step) -> set[str]:
    keys: set[str] = set()

    def walk(fields: list[FormField]) -> None:
        for f in fields:
            keys.add(f.key)
            if f.fields:
                walk(f.fields)

    walk(step.fields)
    return keys


FormSchemaJSON = Annotated[
    dict[str, Any], "FormSchema.model_dump(mode='json', by_alias=True, exclude_none=True)"
]
