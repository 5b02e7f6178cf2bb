"""Suggestions from OCR text: tolerant parcel patterns, Gemarkung names, sheet, number, kinds."""

from __future__ import annotations

import pytest

from ..suggest import suggestions

GEMARKUNGEN = [
    ("053359", "Neuss"),
    ("053351", "Grimlinghausen"),
    ("053224", "Jüchen"),
    ("051111", "Hoisten"),
    ("052222", "Hoisten"),
]


def _parcels(text: str) -> list[tuple[str, bool]]:
    return [(s["kennzeichen"], s["checked"]) for s in suggestions(text, GEMARKUNGEN) if s["type"] == "parcel"]


@pytest.mark.parametrize(
    "text",
    [
        "Gemarkung Neuss, Flur 3, Flurstück 119/2",
        "Gemarkung Neuss Flur 3 Nr. 119/2",
        "Gemarkung Neuss,\nFlur 3,\nFlurstück 119 / 2",
        "GEMARKUNG NEUSS FLUR 3 FLURSTIICK 119/2",
        "Gmkg. Neuss, Flur 3, Flst. 119/2",
        "Gemarkung Neuss\nsonstiger Text\nFlur 3 Flurstück 119/2",
    ],
)
def test_parcel_patterns(text: str) -> None:
    assert _parcels(text) == [("053359003001190002__", True)]


def test_parcel_without_gemarkung_takes_the_one_named_before() -> None:
    text = "Grundstück: Gemarkung Neuss, Flur 3, Flurstück 119/2\nBegünstigt: Flur 3, Flurstück 120"
    assert _parcels(text) == [("053359003001190002__", True), ("05335900300120______", True)]
    assert _parcels("Flur 3 Flurstück 119/2") == []  # no Gemarkung anywhere: nothing to guess


def test_names_fold_umlauts_and_ambiguous_names_give_candidates() -> None:
    assert _parcels("Gemarkung Juechen, Flur 4, Flurstück 8/1") == [("053224004000080001__", True)]
    assert _parcels("Gemarkung Hoisten Flur 1 Flurstück 5") == [
        ("05111100100005______", False),
        ("05222200100005______", False),
    ]
    assert _parcels("Gemarkung Atlantis, Flur 1, Flurstück 5") == []
    assert _parcels("Gemarkung Neuss, Flur 0, Flurstück 5") == []  # Flur 0 is not a valid key part


def test_repeated_parcels_are_counted_once() -> None:
    found = suggestions(
        "Gemarkung Neuss, Flur 3, Flurstück 119/2 ... Gemarkung Neuss Flur 3 Nr. 119/2", GEMARKUNGEN
    )
    assert [(s["type"], s["count"]) for s in found] == [("parcel", 2)]


def test_sheet_number_and_kinds() -> None:
    text = (
        "Baulastenblatt Nr. 12  Seite 1\nlfd. Nr. 3\nAbstandsflächenbaulast; die Abstandsfläche ...\n"
        "Stellplätze: 2. Duldung einer Abwasserleitung. Einleitung ist keine Leitung?"
    )
    found = suggestions(text, GEMARKUNGEN)
    assert {"type": "sheet", "sheet": 12}.items() <= found[0].items()
    assert {"type": "number", "number": 3}.items() <= found[1].items()
    kinds = [(s["kind"], s["count"]) for s in found if s["type"] == "kind"]
    assert kinds == [("abstandsflaeche", 2), ("leitung", 2), ("stellplatz", 1)]
    assert suggestions("", GEMARKUNGEN) == []
