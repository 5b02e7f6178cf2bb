"""The ALKIS Flurstückskennzeichen: 20 characters, parsed, validated, built and shown.

Layout (AdV AAA model, ``AX_Flurstueck_Kerndaten.flurstueckskennzeichen``): Land (2), Gemarkungsnummer
(4), Flurnummer (3), Zähler (5), Nenner (4), Flurstücksfolge (2); every part right-aligned with
leading zeros; Flur, Nenner and Folge are optional and then filled with underscores over their whole
width. Example: ``053359003001190002__`` is Gemarkung 3359 (Neuss) in NRW (05), Flur 3, Flurstück
119/2, and shows as "Gemarkung Neuss, Flur 3, Flurstück 119/2".

Pure functions, no database: the register, the Auskunft form, XBau and the OCR suggestions all use them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from amtsweg.core.problems import Problem

LENGTH = 20
# The Länder keys of the Statistische Bundesamt (01 Schleswig-Holstein … 16 Thüringen).
LAENDER = frozenset(f"{n:02d}" for n in range(1, 17))
_NUMBER = re.compile(r"\s*(\d{1,5})\s*(?:/\s*(\d{1,4})\s*)?")


class InvalidKennzeichen(Problem):
    """A Flurstückskennzeichen or one of its parts is not valid (422, field at fault in ``extra``)."""

    status_code = 422
    code = "flurstueck-invalid"

    def __init__(self, detail_de: str, detail_en: str, *, part: str = "kennzeichen") -> None:
        super().__init__(
            detail_de, detail_en, status_code=422, code="flurstueck-invalid", extra={"part": part}
        )


@dataclass(frozen=True)
class Flurstueck:
    """The parts of one Flurstückskennzeichen; build it with :func:`build` or :func:`parse`."""

    land: str  # "05"
    gemarkung: str  # "3359", four digits
    flur: int | None
    zaehler: int
    nenner: int | None = None
    folge: int | None = None

    @property
    def gemarkung_key(self) -> str:
        """Land + Gemarkungsnummer, the key of ``models.Gemarkung``."""
        return self.land + self.gemarkung

    @property
    def kennzeichen(self) -> str:
        return (
            self.land
            + self.gemarkung
            + _field(self.flur, 3)
            + f"{self.zaehler:05d}"
            + _field(self.nenner, 4)
            + _field(self.folge, 2)
        )

    @property
    def number(self) -> str:
        """The Flurstücksnummer as written: ``119/2`` or ``85``."""
        return f"{self.zaehler}/{self.nenner}" if self.nenner is not None else str(self.zaehler)

    def display(self, gemarkung_name: str | None = None) -> str:
        """ "Gemarkung Neuss, Flur 3, Flurstück 119/2" (the Gemarkungsnummer without a name)."""
        parts = [f"Gemarkung {gemarkung_name or self.gemarkung}"]
        if self.flur is not None:
            parts.append(f"Flur {self.flur}")
        parts.append(f"Flurstück {self.number}")
        return ", ".join(parts)


def _field(value: int | None, width: int) -> str:
    return "_" * width if value is None else f"{value:0{width}d}"


def _optional(text: str, name_de: str, name_en: str, part: str) -> int | None:
    if text == "_" * len(text):
        return None
    if not text.isdigit() or not text.isascii():
        raise InvalidKennzeichen(
            f"{name_de}: nur Ziffern oder, wenn nicht belegt, nur Unterstriche ({text!r}).",
            f"{name_en}: digits only, or underscores only when not set ({text!r}).",
            part=part,
        )
    return int(text)


def parse(kennzeichen: str) -> Flurstueck:
    """The parts of a 20-character Flurstückskennzeichen; :class:`InvalidKennzeichen` when it is not one.

    Surrounding white space is ignored; nothing else is repaired (no guessing of missing zeros)."""
    text = kennzeichen.strip()
    if len(text) != LENGTH:
        raise InvalidKennzeichen(
            f"Ein Flurstückskennzeichen hat genau 20 Zeichen (hier {len(text)}).",
            f"A Flurstückskennzeichen has exactly 20 characters (this one has {len(text)}).",
        )
    land, gemarkung, flur, zaehler = text[0:2], text[2:6], text[6:9], text[9:14]
    nenner, folge = text[14:18], text[18:20]
    for value, de, en, part in (
        (land, "Land", "Land", "land"),
        (gemarkung, "Gemarkungsnummer", "Gemarkung number", "gemarkung"),
        (zaehler, "Zähler", "Numerator", "zaehler"),
    ):
        if not (value.isascii() and value.isdigit()):
            raise InvalidKennzeichen(
                f"{de}: nur Ziffern ({value!r}).", f"{en}: digits only ({value!r}).", part=part
            )
    return build(
        land=land,
        gemarkung=gemarkung,
        flur=_optional(flur, "Flur", "Flur", "flur"),
        zaehler=int(zaehler),
        nenner=_optional(nenner, "Nenner", "Denominator", "nenner"),
        folge=_optional(folge, "Folge", "Sequence", "folge"),
    )


def build(
    *,
    land: str,
    gemarkung: str | int,
    flur: int | None,
    zaehler: int,
    nenner: int | None = None,
    folge: int | None = None,
) -> Flurstueck:
    """A validated :class:`Flurstueck` from its parts (as the form, XBau and the OCR give them).

    ``gemarkung`` may be given without leading zeros (``"33"`` → ``"0033"``); numbers must fit their
    width: Flur 1–999, Zähler 1–99999, Nenner 1–9999, Folge 0–99."""
    land = str(land).strip()
    if land not in LAENDER:
        raise InvalidKennzeichen(
            f"Unbekannter Länderschlüssel {land!r} (01 bis 16).",
            f"Unknown Land key {land!r} (01 to 16).",
            part="land",
        )
    gemarkung_text = str(gemarkung).strip()
    if not (gemarkung_text.isascii() and gemarkung_text.isdigit()) or not 1 <= len(gemarkung_text) <= 4:
        raise InvalidKennzeichen(
            f"Die Gemarkungsnummer hat höchstens vier Ziffern ({gemarkung_text!r}).",
            f"The Gemarkung number has at most four digits ({gemarkung_text!r}).",
            part="gemarkung",
        )
    if int(gemarkung_text) == 0:
        raise InvalidKennzeichen(
            "Die Gemarkungsnummer 0000 gibt es nicht.", "There is no Gemarkung 0000.", part="gemarkung"
        )
    _range(flur, 1, 999, "Die Flur", "The Flur", "flur", optional=True)
    _range(zaehler, 1, 99_999, "Der Zähler", "The numerator", "zaehler", optional=False)
    _range(nenner, 1, 9_999, "Der Nenner", "The denominator", "nenner", optional=True)
    _range(folge, 0, 99, "Die Folge", "The sequence", "folge", optional=True)
    return Flurstueck(
        land=land, gemarkung=gemarkung_text.zfill(4), flur=flur, zaehler=zaehler, nenner=nenner, folge=folge
    )


def _range(value: int | None, low: int, high: int, de: str, en: str, part: str, *, optional: bool) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidKennzeichen(
            f"{de} muss eine Zahl von {low} bis {high} sein ({value!r}).",
            f"{en} must be a number from {low} to {high} ({value!r}).",
            part=part,
        )


def parse_number(text: str) -> tuple[int, int | None]:
    """``"119/2"`` → ``(119, 2)``, ``"85"`` → ``(85, None)``: a Flurstücksnummer as people write it."""
    match = _NUMBER.fullmatch(text or "")
    if match is None:
        raise InvalidKennzeichen(
            f"Die Flurstücksnummer „{text}“ ist nicht lesbar (z. B. 119 oder 119/2).",
            f"The parcel number {text!r} is not readable (e.g. 119 or 119/2).",
            part="zaehler",
        )
    zaehler = int(match.group(1))
    nenner = int(match.group(2)) if match.group(2) is not None else None
    _range(zaehler, 1, 99_999, "Der Zähler", "The numerator", "zaehler", optional=False)
    _range(nenner, 1, 9_999, "Der Nenner", "The denominator", "nenner", optional=True)
    return zaehler, nenner


def display(kennzeichen: str, *, gemarkung_name: str | None = None) -> str:
    """ "Gemarkung Neuss, Flur 3, Flurstück 119/2" for a valid key (the key itself for an invalid one)."""
    try:
        return parse(kennzeichen).display(gemarkung_name)
    except InvalidKennzeichen:
        return kennzeichen
