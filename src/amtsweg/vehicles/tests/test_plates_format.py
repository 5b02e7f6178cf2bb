"""The plate format (FZV): property tests of parsing and normalising, and each rule's message."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from amtsweg.vehicles.plates import (
    FORBIDDEN_LETTERS,
    FORBIDDEN_LETTERS_NUMBERS,
    LETTER_ALPHABET,
    PREFIX_ALPHABET,
    Plate,
    PlateInvalid,
    normalise,
    parse,
)

prefixes = st.text(alphabet=PREFIX_ALPHABET, min_size=1, max_size=3)
letter_groups = st.text(alphabet=LETTER_ALPHABET, min_size=1, max_size=2)
numbers = st.integers(min_value=1, max_value=9999).map(str)
suffixes = st.sampled_from(["", "E", "H"])


def _allowed(prefix: str, letters: str, digits: str) -> bool:
    return (
        len(prefix) + len(letters) + len(digits) <= 8
        and letters not in FORBIDDEN_LETTERS
        and (letters, digits) not in FORBIDDEN_LETTERS_NUMBERS
        and not (len(prefix) == 1 and len(letters) == 1 and prefix + letters in FORBIDDEN_LETTERS)
    )


@st.composite
def plates(draw: st.DrawFn) -> Plate:
    prefix, letters, digits = draw(prefixes), draw(letter_groups), draw(numbers)
    assume(_allowed(prefix, letters, digits))
    return Plate(prefix, letters, digits, draw(suffixes))


SPELLINGS: list[Callable[[Plate], str]] = [
    lambda p: p.text,
    lambda p: f"{p.prefix} {p.letters} {p.digits}{p.suffix}".lower(),
    lambda p: f"{p.prefix}-{p.letters}-{p.digits}{p.suffix}",
    lambda p: f"{p.prefix}:{p.letters}{p.digits}{p.suffix}",
    lambda p: f"  {p.prefix} - {p.letters}{p.digits} {p.suffix} ".lower(),
    lambda p: f"{p.prefix}.{p.letters}.{p.digits}{p.suffix}",
]


@given(plates())
def test_parse_of_text_is_the_plate(plate: Plate) -> None:
    assert parse(plate.text) == plate
    assert normalise(plate.text) == plate.text


@given(plates(), st.sampled_from(range(len(SPELLINGS))))
def test_every_spelling_normalises_to_the_canonical_text(plate: Plate, spelling: int) -> None:
    assert parse(SPELLINGS[spelling](plate)) == plate


@given(plates())
def test_canonical_text_shape_and_length(plate: Plate) -> None:
    head, tail = plate.text.split("-")
    assert head == plate.prefix
    assert tail == f"{plate.letters} {plate.digits}{plate.suffix}"
    assert len(plate.prefix + plate.letters + plate.digits) <= 8
    assert len(plate.prefix + plate.letters + plate.digits + plate.suffix) <= 9
    assert len(plate.text) <= 12  # fits the model's column
    assert plate.base.suffix == "" and plate.base in plate.variants


@given(plates())
def test_without_separator_after_the_prefix_is_ambiguous(plate: Plate) -> None:
    with pytest.raises(PlateInvalid) as error:
        parse(f"{plate.prefix}{plate.letters}{plate.digits}{plate.suffix}")
    assert error.value.extra["reason"] == "ambiguous"


# Only a three-letter prefix with two letters and four digits exceeds eight characters.
@given(
    st.text(alphabet=PREFIX_ALPHABET, min_size=3, max_size=3),
    st.text(alphabet=LETTER_ALPHABET, min_size=2, max_size=2),
    st.integers(min_value=1000, max_value=9999),
    suffixes,
)
def test_too_long_is_refused_with_the_count(prefix: str, letters: str, number: int, suffix: str) -> None:
    with pytest.raises(PlateInvalid) as error:
        parse(f"{prefix}-{letters} {number}{suffix}")
    assert error.value.extra["reason"] == "too-long"
    assert "9 Zeichen" in error.value.detail_de


@given(plates(), st.integers(min_value=0, max_value=999))
def test_leading_zero_is_refused(plate: Plate, number: int) -> None:
    digits = f"0{number}"[:4]
    assume(len(plate.prefix) + len(plate.letters) + len(digits) <= 8)
    with pytest.raises(PlateInvalid) as error:
        parse(f"{plate.prefix}-{plate.letters} {digits}")
    assert error.value.extra["reason"] == "leading-zero"


@given(plates(), st.sampled_from("ÄÖÜ"))
def test_umlaut_in_the_letters_is_refused(plate: Plate, umlaut: str) -> None:
    with pytest.raises(PlateInvalid) as error:
        parse(f"{plate.prefix}-{umlaut} {plate.digits}")
    assert error.value.extra["reason"] in {"letters-umlaut", "too-long", "forbidden"}


@given(plates(), st.sampled_from("ABCDFGIJKXYZ"))
def test_other_markers_than_e_and_h_are_refused(plate: Plate, marker: str) -> None:
    with pytest.raises(PlateInvalid) as error:
        parse(f"{plate.prefix}-{plate.letters} {plate.digits}{marker}")
    assert error.value.extra["reason"] == "suffix"


@given(st.one_of(st.text(max_size=15), st.text(alphabet="NEGVABXÄÜß0179EH -:.", max_size=14)))
def test_arbitrary_text_parses_or_says_why(text: str) -> None:
    problem: PlateInvalid | None = None
    try:
        plate = parse(text)
    except PlateInvalid as error:
        problem = error
    if problem is not None:
        assert problem.extra["reason"]
        assert problem.detail_de and problem.detail_en
    else:
        assert parse(plate.text) == plate


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("ne ab 123", "NE-AB 123"),
        ("NE-AB-123", "NE-AB 123"),
        ("NE AB 123", "NE-AB 123"),
        ("NE:AB123", "NE-AB 123"),
        ("NE-AB123E", "NE-AB 123E"),
        ("gv-x 7e", "GV-X 7E"),
        ("D-AB 1234H", "D-AB 1234H"),
        ("düw ab 123h", "DÜW-AB 123H"),
        ("DU\u0308W AB 12", "DÜW-AB 12"),  # a decomposed umlaut, as some keyboards send it
        ("NE-Q 1", "NE-Q 1"),  # the FZV allows every letter but the umlauts
    ],
)
def test_examples(text: str, canonical: str) -> None:
    assert normalise(text) == canonical


@pytest.mark.parametrize(
    ("text", "reason", "says"),
    [
        ("", "empty", "Bitte geben Sie ein Kennzeichen ein"),
        (" - . ", "empty", "Bitte geben Sie ein Kennzeichen ein"),
        ("NEAB123", "ambiguous", "nicht eindeutig"),
        ("NEUS-AB 1", "prefix", "ein bis drei Buchstaben"),
        ("NE-ABC 1", "letters", "ein oder zwei Buchstaben"),
        ("NE-12", "letters", "ein oder zwei Buchstaben"),
        ("NE-AB", "digits", "fehlt die Zahl"),
        ("NE-AB 12345", "digits", "bis vier Ziffern"),
        ("NE-AB 0123", "leading-zero", "Null"),
        ("NE-AB 123X", "suffix", "„E“"),
        ("NE-AB 123EH", "suffix", "„E“"),
        ("ABC-AB 1234", "too-long", "9 Zeichen"),
        ("NE-SS 1", "forbidden", "guten Sitten"),
        ("NE-AH 88", "forbidden", "guten Sitten"),
        ("S-S 12", "forbidden", "guten Sitten"),
        ("NE-AB 1ß", "characters", "ß"),
        ("NE-AB 1_", "characters", "_"),
    ],
)
def test_invalid_plates_say_what_is_wrong(text: str, reason: str, says: str) -> None:
    with pytest.raises(PlateInvalid) as error:
        parse(text)
    assert error.value.extra["reason"] == reason
    assert says in error.value.detail_de
    assert error.value.status_code == 400 and error.value.code == "plate-invalid"


def test_short_plates_are_marked() -> None:
    assert parse("NE-A 1").short and parse("NE-AB 1").short and not parse("NE-AB 12").short
