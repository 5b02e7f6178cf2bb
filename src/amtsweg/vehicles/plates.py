"""German vehicle plates (amtliche Kennzeichen): parsing, normalising and the allocation rules.

A plate is the district prefix (Unterscheidungszeichen) and the Erkennungsnummer, optionally
followed by the marker letter of an electric (``E``) or historic (``H``) vehicle. The canonical
text, stored everywhere (``RegisteredVehicle.plate``, ``VehicleChange.plate``,
``PlateReservation.plate``), is ``"NE-AB 123"``, ``"GV-X 7E"``, ``"DÜW-AB 123H"``: prefix, hyphen,
letters, space, digits, marker.

Rules implemented, with their source (Fahrzeug-Zulassungsverordnung, FZV, in the version of
20 July 2023, BGBl. 2023 I Nr. 199; the numbers of the 2011 version in brackets):

1. § 9 Abs. 1 Satz 2 Nr. 1 FZV (§ 8 Abs. 1 a.F.): the Unterscheidungszeichen has one to three
   letters. The list of prefixes (Anlage 1 a.F., today kept by the KBA) contains umlauts
   (``BÜS``, ``DÜW``, ``LÖB``), so Ä, Ö and Ü are accepted there. Whether a prefix is one's own
   district is not a format rule: :mod:`amtsweg.vehicles.reservations` checks ``VEHICLES_PREFIXES``.
2. Anlage 1 Nr. 1 FZV (Anlage 2 Nr. 1 a.F.): the Erkennungsnummer has one or two letters; *all
   letters except the umlauts Ä, Ö, Ü* may be allotted. The FZV does not exclude I, O or Q (some
   districts do not hand them out, which is allocation practice, not validity); this module follows
   the text of the FZV.
3. Anlage 1 Nr. 2 FZV (Anlage 2 Nr. 2 a.F.): the number group runs from 1 to 9999, i.e. one to four
   digits, never with a leading zero (there is no "A 01").
4. Anlage 4 FZV a.F. (Ausgestaltung der Kennzeichen, Abschnitt 1 Nr. 2; now the corresponding
   Anlage on the design of plates): prefix, letters and digits together have at most **eight**
   characters; with the marker ``H`` (Oldtimer, § 9 Abs. 1 FZV a.F.) or ``E`` (electric vehicle,
   § 9a FZV a.F., § 4 EmoG) at most **nine**, the marker included. So the marker never lengthens
   the part before it beyond eight.
5. § 9 Abs. 1 Satz 3 FZV (§ 8 Abs. 1a a.F.): the Erkennungsnummer, and prefix and Erkennungsnummer
   together, must not offend good morals. Which combinations that excludes is not in the FZV; the
   tables below (:data:`FORBIDDEN_LETTERS`, :data:`FORBIDDEN_LETTERS_NUMBERS`,
   :data:`FORBIDDEN_JOINED`) list the recommendation of the federal and Länder ministries followed
   by the Zulassungsbehörden in North Rhine-Westphalia (National Socialist abbreviations and codes).
   They are data: a district extends them here, with the source in a comment.

Two-digit and three-digit short plates ("NE-A 1") are valid plates; Anlage 1 Nr. 2 FZV allows them
only for vehicles that cannot carry a longer plate, which the Zulassungsstelle decides at the
counter, so they are valid here and :attr:`Plate.short` tells.

Accepted spellings: any case, and any of space, hyphen, colon or dot between the parts:
``"ne ab 123"``, ``"NE-AB-123"``, ``"NE AB 123"``, ``"NE:AB123"``, ``"NE-AB123E"``, ``"ne-ab 123 e"``.
The prefix must be separated from the letters: ``"NEAB123"`` could be ``NE-AB 123``, ``N-EA 123``
or ``NEA-B 123``, so it is refused as ambiguous instead of guessed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from amtsweg.core.problems import Problem

MAX_CHARACTERS = 8  # prefix + letters + digits (Anlage 4 FZV a.F.)
MAX_CHARACTERS_WITH_MARKER = 9  # the same with the marker E or H
SUFFIXES = ("E", "H")
PREFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÜ"
LETTER_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Letter groups never allotted (recommendation of the Bundesministerium für Digitales und Verkehr,
# followed in NRW): Hitlerjugend, Konzentrationslager, Nationalsozialismus, Sturmabteilung,
# Sicherheitsdienst, Schutzstaffel.
FORBIDDEN_LETTERS: frozenset[str] = frozenset({"HJ", "KZ", "NS", "SA", "SD", "SS"})
# Letter groups with numbers that are codes of the extreme right (18 = A.H. = Adolf Hitler,
# 88 = H.H. = "Heil Hitler", and their combinations), not allotted in NRW practice.
FORBIDDEN_LETTERS_NUMBERS: frozenset[tuple[str, str]] = frozenset(
    (letters, number) for letters in ("AH", "HH") for number in ("18", "88", "1888", "8818")
)
# A one-letter prefix and one letter that read as a forbidden group across the hyphen ("S-S 1",
# "N-S 1"): districts with one-letter prefixes (B, D, K, M, N, S …) do not allot them.
FORBIDDEN_JOINED: frozenset[str] = FORBIDDEN_LETTERS

_SEPARATORS = re.compile(r"[\s\-:.]+")
_PREFIX = re.compile(r"[A-ZÄÖÜ]{1,3}")
_REST = re.compile(r"(?P<letters>[A-ZÄÖÜ]{1,2})(?P<digits>[0-9]{1,4})(?P<suffix>[A-ZÄÖÜ]?)")


class PlateInvalid(Problem):
    """The text is not a plate that may be allotted; the message says what is wrong."""

    status_code = 400
    code = "plate-invalid"


@dataclass(frozen=True, order=True)
class Plate:
    """A valid German plate in its parts; :attr:`text` is the canonical form (``"NE-AB 123"``)."""

    prefix: str
    letters: str
    digits: str
    suffix: str = ""

    def __post_init__(self) -> None:
        _check(self.prefix, self.letters, self.digits, self.suffix)

    @property
    def text(self) -> str:
        return f"{self.prefix}-{self.letters} {self.digits}{self.suffix}"

    @property
    def base(self) -> Plate:
        """The plate without the marker: ``NE-AB 123E`` and ``NE-AB 123`` are one Erkennungsnummer."""
        return Plate(self.prefix, self.letters, self.digits) if self.suffix else self

    @property
    def short(self) -> bool:
        """Letters and digits together two or three characters (Anlage 1 Nr. 2 FZV: only for
        vehicles that cannot carry a longer plate)."""
        return len(self.letters) + len(self.digits) <= 3

    @property
    def variants(self) -> tuple[Plate, ...]:
        """The plate without marker and with each marker: all texts one Erkennungsnummer can have."""
        base = self.base
        return (base, *(Plate(base.prefix, base.letters, base.digits, s) for s in SUFFIXES))

    def __str__(self) -> str:
        return self.text


def _invalid(text_de: str, text_en: str, reason: str) -> PlateInvalid:
    return PlateInvalid(text_de, text_en, extra={"reason": reason})


def _check(prefix: str, letters: str, digits: str, suffix: str) -> None:
    if not _PREFIX.fullmatch(prefix):
        raise _invalid(
            f"Das Unterscheidungszeichen „{prefix}“ muss aus ein bis drei Buchstaben bestehen.",
            f"The district prefix {prefix!r} must have one to three letters.",
            "prefix",
        )
    if not re.fullmatch(r"[A-ZÄÖÜ]{1,2}", letters):
        raise _invalid(
            f"Nach dem Unterscheidungszeichen müssen ein oder zwei Buchstaben stehen, nicht „{letters}“.",
            f"One or two letters must follow the district prefix, not {letters!r}.",
            "letters",
        )
    if any(c in "ÄÖÜ" for c in letters):
        raise _invalid(
            "Umlaute (Ä, Ö, Ü) gibt es nur im Unterscheidungszeichen, nicht in den Buchstaben danach.",
            "Umlauts (Ä, Ö, Ü) occur only in the district prefix, not in the letters after it.",
            "letters-umlaut",
        )
    if not re.fullmatch(r"[0-9]{1,4}", digits):
        raise _invalid(
            f"Die Zahl muss aus einer bis vier Ziffern bestehen, nicht „{digits}“.",
            f"The number must have one to four digits, not {digits!r}.",
            "digits",
        )
    if digits.startswith("0"):
        raise _invalid(
            "Die Zahl darf nicht mit einer Null beginnen.",
            "The number must not start with a zero.",
            "leading-zero",
        )
    if suffix and suffix not in SUFFIXES:
        raise _invalid(
            f"Am Ende ist nur „E“ (Elektrofahrzeug) oder „H“ (Oldtimer) erlaubt, nicht „{suffix}“.",
            f"Only 'E' (electric vehicle) or 'H' (historic vehicle) may follow the number, not {suffix!r}.",
            "suffix",
        )
    length = len(prefix) + len(letters) + len(digits)
    if length > MAX_CHARACTERS:
        raise _invalid(
            f"Unterscheidungszeichen, Buchstaben und Zahl haben zusammen {length} Zeichen; erlaubt sind "
            f"höchstens {MAX_CHARACTERS}"
            + (f" (mit „{suffix}“ höchstens {MAX_CHARACTERS_WITH_MARKER})." if suffix else "."),
            f"District prefix, letters and number have {length} characters together; at most "
            f"{MAX_CHARACTERS} are allowed"
            + (f" ({MAX_CHARACTERS_WITH_MARKER} with {suffix!r})." if suffix else "."),
            "too-long",
        )
    if letters in FORBIDDEN_LETTERS or (letters, digits) in FORBIDDEN_LETTERS_NUMBERS:
        raise _invalid(
            f"Die Kombination „{letters} {digits}“ wird nicht vergeben (verstößt gegen die guten Sitten).",
            f"The combination '{letters} {digits}' is not allotted (it offends good morals).",
            "forbidden",
        )
    if len(prefix) == 1 and len(letters) == 1 and prefix + letters in FORBIDDEN_JOINED:
        raise _invalid(
            f"Die Kombination „{prefix}-{letters}“ wird nicht vergeben (verstößt gegen die guten Sitten).",
            f"The combination '{prefix}-{letters}' is not allotted (it offends good morals).",
            "forbidden",
        )


def parse(text: str) -> Plate:
    """The plate written in ``text`` (any case, space/hyphen/colon/dot between the parts).

    Raises :class:`PlateInvalid` saying what is wrong; its ``extra["reason"]`` is a stable code
    (``empty``, ``ambiguous``, ``prefix``, ``letters``, ``letters-umlaut``, ``digits``,
    ``leading-zero``, ``suffix``, ``too-long``, ``forbidden``, ``characters``).
    """
    written = unicodedata.normalize("NFC", text or "").strip()
    if not _SEPARATORS.sub("", written):
        raise _invalid("Bitte geben Sie ein Kennzeichen ein.", "Please enter a plate.", "empty")
    # Before upper-casing: "ß".upper() is "SS", which would smuggle letters in.
    stray = sorted(
        {c for c in _SEPARATORS.sub("", written) if not (c.isascii() and c.isalnum()) and c not in "äöüÄÖÜ"}
    )
    if stray:
        raise _invalid(
            f"Das Kennzeichen enthält unzulässige Zeichen: {' '.join(stray)}",
            f"The plate contains characters that are not allowed: {' '.join(stray)}",
            "characters",
        )
    cleaned = written.upper()
    parts = [p for p in _SEPARATORS.split(cleaned) if p]
    if len(parts) == 1:
        raise _invalid(
            "Bitte trennen Sie das Unterscheidungszeichen mit einem Bindestrich oder Leerzeichen ab "
            f"(z. B. „NE-AB 123“): „{cleaned}“ ist nicht eindeutig.",
            f"Please separate the district prefix with a hyphen or space (e.g. 'NE-AB 123'): "
            f"{cleaned!r} is ambiguous.",
            "ambiguous",
        )
    prefix, rest = parts[0], "".join(parts[1:])
    if not _PREFIX.fullmatch(prefix):
        _check(prefix, "A", "1", "")  # raises with the prefix message
    match = _REST.fullmatch(rest)
    if match is None:
        letters = re.match(r"[A-ZÄÖÜ]*", rest)
        head = letters.group(0) if letters else ""
        if not head:
            raise _invalid(
                "Nach dem Unterscheidungszeichen müssen ein oder zwei Buchstaben stehen.",
                "One or two letters must follow the district prefix.",
                "letters",
            )
        if len(head) > 2 and not rest[len(head) :]:
            raise _invalid(
                "Nach den Buchstaben fehlt die Zahl.", "The number after the letters is missing.", "digits"
            )
        if len(head) > 2:
            _check(prefix, head, "1", "")  # raises with the letters message
        digits = re.match(r"[0-9]*", rest[len(head) :])
        number = digits.group(0) if digits else ""
        tail = rest[len(head) + len(number) :]
        if not number:
            raise _invalid(
                "Nach den Buchstaben fehlt die Zahl.", "The number after the letters is missing.", "digits"
            )
        if len(number) > 4:
            _check(prefix, head, number, "")
        raise _invalid(
            f"Nach der Zahl ist nur „E“ oder „H“ erlaubt, nicht „{tail}“.",
            f"Only 'E' or 'H' may follow the number, not {tail!r}.",
            "suffix",
        )
    return Plate(prefix, match["letters"], match["digits"], match["suffix"])


def normalise(text: str) -> str:
    """The canonical text of the plate in ``text``; raises :class:`PlateInvalid`."""
    return parse(text).text


def is_valid(text: str) -> bool:
    try:
        parse(text)
    except PlateInvalid:
        return False
    return True
