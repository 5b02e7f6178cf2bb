"""Suggestions for indexing a scan, read from its OCR text: parcels (Gemarkung, Flur, Flurstück),
the register sheet and entry number, and the kind of Baulast.

Pure functions, no database: :func:`suggestions` gets the text and the known Gemarkungen as
``(key, name)`` pairs; the capture service adds the existing entries on the suggested parcels.
The patterns are tolerant of what Tesseract and typists produce: commas or none, line breaks,
"Flurstück"/"Flurst."/"Flst."/"Nr.", "119/2" or "119 / 2", a misread "ü" ("Flurstiick"). A parcel
without a Gemarkung in the same phrase takes the nearest "Gemarkung …" named before it. A name
that several Gemarkungen share gives a candidate for each, not checked in advance.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from typing import Any

from .flurstueck import InvalidKennzeichen, build

_NAME_WORD = r"[^\W\d_][\w\-.]*"
_NUMBER = r"(?P<zaehler>\d{1,5})(?:\s*/\s*(?P<nenner>\d{1,4}))?(?![\d/])"
_PARCEL_WORD = r"(?:Flurst\w{0,5}\.?|Flst\.?|Nr\.?)"
_FLUR = r"\bFlur\s*(?P<flur>\d{1,3})\b\s*[,;]?\s*"
# "Gemarkung Neuss, Flur 3, Flurstück 119/2" / "Gemarkung Neuss Flur 3 Nr. 119/2" (line breaks allowed).
FULL = re.compile(
    r"\b(?:Gemarkung|Gmkg\.?)\s+(?P<name>"
    + _NAME_WORD
    + r"(?:\s+"
    + _NAME_WORD
    + r"){0,3}?)\s*[,;]?\s*"
    + _FLUR
    + _PARCEL_WORD
    + r"\s*"
    + _NUMBER,
    re.IGNORECASE,
)
# "Flur 3, Flurstück 120" (the Gemarkung comes from the text before it).
SHORT = re.compile(_FLUR + _PARCEL_WORD + r"\s*" + _NUMBER, re.IGNORECASE)
GEMARKUNG = re.compile(
    r"\b(?:Gemarkung|Gmkg\.?)\s+(?P<name>" + _NAME_WORD + r"(?:[ \t]+" + _NAME_WORD + r"){0,3})",
    re.IGNORECASE,
)
SHEET = re.compile(r"\bBaulastenblatt\s*(?:Nr\.?|Nummer)?\s*(?P<sheet>\d{1,6})\b", re.IGNORECASE)
ENTRY_NUMBER = re.compile(r"\blfd\.?\s*Nr\.?\s*(?P<number>\d{1,5})\b", re.IGNORECASE)
KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("abstandsflaeche", re.compile(r"abstand\w*fl(?:ä|a|ae)ch", re.IGNORECASE)),
    ("stellplatz", re.compile(r"stellpl(?:ä|a|ae)tz", re.IGNORECASE)),
    ("zufahrt", re.compile(r"zufahrt|zuwegung", re.IGNORECASE)),
    ("vereinigung", re.compile(r"vereinigung", re.IGNORECASE)),
    # "Abwasserleitung", "Leitungsbaulast", not "Einleitung" or "Bauleitung".
    (
        "leitung",
        re.compile(r"\b(?:abwasser|wasser|gas|strom|versorgungs|kanal|fernwärme)?leitung", re.IGNORECASE),
    ),
)


def fold(name: str) -> str:
    """A Gemarkung name for comparison: case, umlauts and hyphens do not matter."""
    text = name.casefold().replace("ß", "ss").replace("-", " ")
    for umlaut, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, plain)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.replace(".", " ").split())


def _index(gemarkungen: Iterable[tuple[str, str]]) -> dict[str, list[tuple[str, str]]]:
    names: dict[str, list[tuple[str, str]]] = {}
    for key, name in gemarkungen:
        names.setdefault(fold(name), []).append((key, name))
    return names


def _resolve(words: str, names: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The Gemarkungen whose name is the longest leading run of ``words`` ("Neuss Flur" → Neuss)."""
    parts = fold(words).split()
    for length in range(len(parts), 0, -1):
        found = names.get(" ".join(parts[:length]))
        if found:
            return found
    return []


def _parcel(key: str, flur: str, match: re.Match[str]) -> str | None:
    nenner = match.group("nenner")
    try:
        return build(
            land=key[:2],
            gemarkung=key[2:],
            flur=int(flur),
            zaehler=int(match.group("zaehler")),
            nenner=int(nenner) if nenner else None,
        ).kennzeichen
    except InvalidKennzeichen:
        return None


def suggestions(text: str, gemarkungen: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """Suggestions from ``text``, most useful first: parcels (in order of first mention), the
    sheet and entry number, then kinds (most mentioned first). Each is a dict with ``type``
    (``parcel``/``sheet``/``number``/``kind``), the value, a ``label``, ``count`` and ``checked``
    (whether the form ticks it in advance)."""
    names = _index(gemarkungen)
    parcels: dict[str, dict[str, Any]] = {}
    covered: list[tuple[int, int]] = []

    def add(key: str, name: str, flur: str, match: re.Match[str], *, ambiguous: bool) -> None:
        kennzeichen = _parcel(key, flur, match)
        if kennzeichen is None:
            return
        if kennzeichen in parcels:
            parcels[kennzeichen]["count"] += 1
            return
        number = match.group("zaehler") + (f"/{match.group('nenner')}" if match.group("nenner") else "")
        parcels[kennzeichen] = {
            "type": "parcel",
            "kennzeichen": kennzeichen,
            "gemarkung": key,
            "label": f"Gemarkung {name} ({key[2:]}), Flur {int(flur)}, Flurstück {number}",
            "count": 1,
            "checked": not ambiguous,
            "ambiguous": ambiguous,
        }

    for match in FULL.finditer(text):
        candidates = _resolve(match.group("name"), names)
        covered.append(match.span())
        for key, name in candidates:
            add(key, name, match.group("flur"), match, ambiguous=len(candidates) > 1)
    mentions = [(m.start(), _resolve(m.group("name"), names)) for m in GEMARKUNG.finditer(text)]
    for match in SHORT.finditer(text):
        if any(start <= match.start() < end for start, end in covered):
            continue
        before = [found for position, found in mentions if position < match.start() and found]
        if not before:
            continue  # no Gemarkung named before it: nothing sensible to suggest
        candidates = before[-1]
        for key, name in candidates:
            add(key, name, match.group("flur"), match, ambiguous=len(candidates) > 1)

    result: list[dict[str, Any]] = list(parcels.values())
    sheets = [int(m.group("sheet")) for m in SHEET.finditer(text)]
    if sheets:
        sheet = max(set(sheets), key=sheets.count)
        result.append(
            {
                "type": "sheet",
                "sheet": sheet,
                "label": f"Baulastenblatt {sheet}",
                "count": sheets.count(sheet),
                "checked": True,
            }
        )
    numbers = [int(m.group("number")) for m in ENTRY_NUMBER.finditer(text)]
    for number in sorted(set(numbers), key=numbers.index):
        result.append(
            {
                "type": "number",
                "number": number,
                "label": f"lfd. Nr. {number}",
                "count": numbers.count(number),
                "checked": True,
            }
        )
    kinds = [(kind, len(pattern.findall(text))) for kind, pattern in KINDS]
    for kind, count in sorted((k for k in kinds if k[1]), key=lambda k: -k[1]):
        result.append({"type": "kind", "kind": kind, "label": kind, "count": count, "checked": False})
    return result
