"""The message a town hands to the Zulassungsbehörde when a citizen with vehicles moves
(``kfz-adressaenderung``, version 1): the person, the new address, the plates, and ``origin``, the
town's confirmation of the registration (Meldebestätigung) that proves the new address.

The message is the hand-over's ``data`` (``processes.Handover.data``), a JSON object with exactly
these keys: nothing else of the registration case leaves the town, and a message with other keys is
refused (data minimisation, Art. 5 (1) c GDPR). The process action ``vehicles.check`` validates it
with :func:`parse_message`; an invalid message declines the hand-over with the error as the reply.

The JSON Schema, ``docs/schemas/kfz-adressaenderung.v1.json``, is generated from
:class:`AddressChangeMessage` (``python -m amtsweg.vehicles.messages > docs/schemas/…``); a test
checks that the file is current. The mapping to XMeld/XKfz is in ``docs/vehicles.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

SCHEMA_ID = "https://amtsweg.de/schemas/kfz-adressaenderung.v1.json"
SCHEMA_PATH = "docs/schemas/kfz-adressaenderung.v1.json"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OptionalText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Postcode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{5}$")]
OptionalPostcode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^([0-9]{5})?$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Origin(_Strict):
    """The sending town's confirmation: its case and decision (the proof of registration)."""

    authority_ags: Annotated[str, StringConstraints(pattern=r"^[0-9]{8}$")] = Field(
        description="Amtlicher Gemeindeschlüssel der Meldebehörde"
    )
    authority_name: Text = Field(description="Name der Meldebehörde")
    reference: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="Aktenzeichen des Vorgangs bei der Meldebehörde"
    )
    decision: Literal["granted", "partially"] = Field(
        description="Entscheidung der Meldebehörde: die Anmeldung ist eingetragen"
    )
    decided_at: dt.datetime = Field(description="Zeitpunkt der Eintragung im Melderegister")


class Vehicle(_Strict):
    """One vehicle of the person, by its plate."""

    kennzeichen: Annotated[str, StringConstraints(min_length=1, max_length=20)] = Field(
        description="Amtliches Kennzeichen; jede übliche Schreibweise, wird in die kanonische Form "
        "„NE-AB 123“ gebracht (FZV Anlage 2)",
        examples=["NE-AB 123", "D-XY 42E"],
    )

    @field_validator("kennzeichen")
    @classmethod
    def _plate(cls, value: str) -> str:
        from amtsweg.core.problems import Problem

        from .plates import parse

        try:
            return parse(value).text
        except Problem as exc:
            raise ValueError(f"{value!r}: {exc.detail_de}") from None


class AddressChangeMessage(_Strict):
    """Adressänderung in der Zulassungsbescheinigung nach einem Umzug (Meldebehörde → Zulassungsbehörde)."""

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        title="Kfz-Adressänderung nach Umzug (Version 1)",
        json_schema_extra={"$id": SCHEMA_ID, "$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    familienname: Text
    vornamen: OptionalText = ""
    geburtsdatum: dt.date
    einzugsdatum: dt.date = Field(description="Tag des Einzugs in die neue Wohnung")
    neue_strasse: Text
    neue_hausnummer: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=12)]
    neue_plz: Postcode
    neuer_ort: Text
    bisherige_plz: OptionalPostcode = ""
    bisheriger_ort: OptionalText = ""
    fahrzeuge: list[Vehicle] = Field(min_length=1, max_length=20)
    aufkleber_zustellung: Literal["post", "buergerbuero"] = Field(
        "post",
        description="Wie der Adressaufkleber für die Zulassungsbescheinigung Teil I zugestellt wird: "
        "per Post oder zur Abholung im Bürgerbüro der Meldebehörde",
    )
    origin: Origin

    @field_validator("fahrzeuge")
    @classmethod
    def _distinct(cls, value: list[Vehicle]) -> list[Vehicle]:
        plates = [v.kennzeichen for v in value]
        twice = sorted({p for p in plates if plates.count(p) > 1})
        if twice:
            raise ValueError(f"Kennzeichen mehrfach angegeben: {', '.join(twice)}")
        return value

    @property
    def plates(self) -> list[str]:
        return [v.kennzeichen for v in self.fahrzeuge]

    @property
    def street_line(self) -> str:
        return f"{self.neue_strasse} {self.neue_hausnummer}"


class InvalidMessage(Exception):
    """The message does not validate; ``errors`` are readable lines (field: what is wrong)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def parse_message(data: Mapping[str, Any]) -> AddressChangeMessage:
    """The validated message, or :class:`InvalidMessage` saying what is wrong, field by field."""
    try:
        return AddressChangeMessage.model_validate(dict(data))
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            where = ".".join(str(part) for part in error["loc"]) or "Nachricht"
            message = str(error["msg"]).removeprefix("Value error, ")
            errors.append(f"{where}: {message}")
        raise InvalidMessage(errors) from None


def json_schema() -> dict[str, Any]:
    """The message's JSON Schema (draft 2020-12), as published in ``docs/schemas``."""
    return AddressChangeMessage.model_json_schema(mode="validation")


def json_schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(json_schema_text())
