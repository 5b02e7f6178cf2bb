"""The Flurstückskennzeichen: property-based round trips, layout and rejection of invalid input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ..flurstueck import LAENDER, InvalidKennzeichen, build, display, parse, parse_number

lands = st.sampled_from(sorted(LAENDER))
gemarkungen = st.integers(1, 9999)


def optional(low: int, high: int) -> st.SearchStrategy[int | None]:
    return st.none() | st.integers(low, high)


parts = st.fixed_dictionaries(
    {
        "land": lands,
        "gemarkung": gemarkungen.map(str),
        "flur": optional(1, 999),
        "zaehler": st.integers(1, 99_999),
        "nenner": optional(1, 9_999),
        "folge": optional(0, 99),
    }
)
FIELDS = {"flur": (6, 9), "nenner": (14, 18), "folge": (18, 20)}


@given(parts)
def test_round_trip_parts_key_parts(values: dict) -> None:  # type: ignore[type-arg]
    built = build(**values)
    key = built.kennzeichen
    assert len(key) == 20
    again = parse(key)
    assert again == built
    assert (again.flur, again.zaehler, again.nenner, again.folge) == (
        values["flur"],
        values["zaehler"],
        values["nenner"],
        values["folge"],
    )
    assert again.gemarkung_key == values["land"] + values["gemarkung"].zfill(4)
    # Underscores only in the optional fields, and then over the whole field.
    for name, (start, end) in FIELDS.items():
        field = key[start:end]
        assert field == "_" * (end - start) if values[name] is None else field.isdigit()
    assert key[:6].isdigit() and key[9:14].isdigit()


@given(parts)
def test_display(values: dict) -> None:  # type: ignore[type-arg]
    built = build(**values)
    shown = display(built.kennzeichen, gemarkung_name="Neuss")
    assert shown.startswith("Gemarkung Neuss, ")
    assert ("Flur " in shown) == (values["flur"] is not None)
    number = f"{values['zaehler']}/{values['nenner']}" if values["nenner"] else str(values["zaehler"])
    assert shown.endswith(f"Flurstück {number}")
    assert parse_number(built.number) == (values["zaehler"], values["nenner"])


def test_known_examples() -> None:
    assert (
        display("053359003001190002__", gemarkung_name="Neuss") == "Gemarkung Neuss, Flur 3, Flurstück 119/2"
    )
    assert display("05329001100085______") == "Gemarkung 3290, Flur 11, Flurstück 85"
    assert parse(" 152450008007460284__ ").nenner == 284


@given(st.text(max_size=30).filter(lambda t: len(t.strip()) != 20))
def test_wrong_length_is_rejected(text: str) -> None:
    with pytest.raises(InvalidKennzeichen) as exc:
        parse(text)
    assert exc.value.extra["part"] == "kennzeichen" and exc.value.status_code == 422


@given(
    parts,
    st.sampled_from(["land", "gemarkung", "flur", "zaehler", "nenner", "folge"]),
    st.sampled_from("A_-x ?"),
)
def test_a_bad_character_names_its_part(values: dict, part: str, bad: str) -> None:  # type: ignore[type-arg]
    key = build(**values).kennzeichen
    spans = {"land": (0, 2), "gemarkung": (2, 6), "zaehler": (9, 14), **FIELDS}
    start, end = spans[part]
    broken = key[:start] + bad + key[start + 1 :]
    if bad == "_" and broken[start:end] == "_" * (end - start):
        return  # a one-character optional field fully underscored is valid
    if broken.strip() != broken or broken == key:
        return
    with pytest.raises(InvalidKennzeichen) as exc:
        parse(broken)
    assert exc.value.extra["part"] == part


@pytest.mark.parametrize(
    ("values", "part"),
    [
        ({"land": "17", "gemarkung": "3359", "flur": 1, "zaehler": 1}, "land"),
        ({"land": "05", "gemarkung": "0", "flur": 1, "zaehler": 1}, "gemarkung"),
        ({"land": "05", "gemarkung": "33591", "flur": 1, "zaehler": 1}, "gemarkung"),
        ({"land": "05", "gemarkung": "3359", "flur": 1000, "zaehler": 1}, "flur"),
        ({"land": "05", "gemarkung": "3359", "flur": 0, "zaehler": 1}, "flur"),
        ({"land": "05", "gemarkung": "3359", "flur": 1, "zaehler": 0}, "zaehler"),
        ({"land": "05", "gemarkung": "3359", "flur": 1, "zaehler": 100_000}, "zaehler"),
        ({"land": "05", "gemarkung": "3359", "flur": 1, "zaehler": 1, "nenner": 10_000}, "nenner"),
        ({"land": "05", "gemarkung": "3359", "flur": 1, "zaehler": 1, "folge": 100}, "folge"),
    ],
)
def test_out_of_range_parts_are_rejected(values: dict, part: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(InvalidKennzeichen) as exc:
        build(**values)
    assert exc.value.extra["part"] == part


def test_partly_underscored_field_is_rejected() -> None:
    with pytest.raises(InvalidKennzeichen) as exc:
        parse("05335900_001190002__")
    assert exc.value.extra["part"] == "flur"
    with pytest.raises(InvalidKennzeichen) as numbers:
        parse_number("119-2")
    assert numbers.value.extra["part"] == "zaehler"
