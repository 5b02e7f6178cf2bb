"""Catalogue search: text analysis (with properties), query validation and the cached index."""

from __future__ import annotations

import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from amtsweg.catalog.models import OzgService, Service, Themenfeld
from amtsweg.catalog.search import (
    clear_search_index,
    derive_compound_parts,
    fold,
    parse_synonyms,
    search_index,
    split_compound,
    stem,
    tokenize,
)
from amtsweg.catalog.selectors import service_search
from amtsweg.core.problems import Problem

# --- text analysis ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spellings", "folded"),
    [
        (("Führerschein", "Fuehrerschein", "Fuhrerschein", "FÜHRERSCHEIN"), "fuhrerschein"),
        (("Straße", "Strasse", "STRASSE"), "strasse"),
        (("Sperrmüll", "Sperrmuell", "sperrmull"), "sperrmull"),
        (("Gebäude", "Gebaeude"), "gebaude"),
        (("Café",), "cafe"),
    ],
)
def test_fold_makes_spellings_equal(spellings: tuple[str, ...], folded: str) -> None:
    assert {fold(spelling) for spelling in spellings} == {folded}


@pytest.mark.parametrize("word", ["Steuer", "Feuer", "Bauer", "Quelle", "neue"])
def test_fold_keeps_ue_that_is_no_umlaut(word: str) -> None:
    assert fold(word) == word.lower()


def test_tokenize_splits_on_punctuation_and_hyphens() -> None:
    assert tokenize("Kfz-Zulassung (Neuss), 100km/h!") == ["kfz", "zulassung", "neuss", "100km", "h"]


def test_stem_joins_verb_and_noun() -> None:
    assert stem("verlangern") == stem("verlangerung")
    assert stem("anmelden") == stem("anmeldung")
    assert stem("ummelden") == stem("ummeldung")
    assert stem("befreien") == stem("befreiung")


@pytest.mark.parametrize(
    ("word", "parts"),
    [
        ("hundesteuer", ["hund", "steuer"]),
        ("wohnsitzanmeldung", ["wohnsitz", "anmeldung"]),
        ("geburtsurkunde", ["geburt", "urkunde"]),
        ("bewohnerparkausweis", ["bewohner", "parkausweis"]),
        ("hund", None),
        ("verlust", None),
    ],
)
def test_split_compound_with_linking_morphemes(word: str, parts: list[str] | None) -> None:
    vocabulary = {
        "hund",
        "steuer",
        "wohnsitz",
        "anmeldung",
        "geburt",
        "urkunde",
        "bewohner",
        "parkausweis",
        "park",
        "ausweis",
        "ver",
        "lust",
    }
    assert split_compound(word, vocabulary) == parts


def test_derive_compound_parts_finds_words_that_never_stand_alone() -> None:
    assert "steuer" in derive_compound_parts({"hund", "hundesteuer", "grund", "grundsteuer"})
    assert "steuer" not in derive_compound_parts({"hund", "hundesteuer"})


def test_parse_synonyms() -> None:
    synonyms = parse_synonyms(
        [
            "# Kommentar",
            "auto, PKW => Kraftfahrzeug, Fahrzeug  # Alltagswörter",
            "heirat, Eheschließung",
            "gewerbe anmelden => gewerbe anmeldung",
            "",
        ]
    )
    assert synonyms.expansions([stem("Auto".lower())]) == (("kraftfahrzeug",), ("fahrzeug",))
    assert synonyms.expansions([stem("pkw")]) == (("kraftfahrzeug",), ("fahrzeug",))
    assert synonyms.expansions([stem("kraftfahrzeug")]) == ()  # one way only
    assert synonyms.expansions([stem("eheschliessung")]) == (("heirat",),)
    assert synonyms.expansions([stem("gewerbe"), stem("anmelden")]) == (("gewerbe", "anmeldung"),)
    assert synonyms.longest == 2


@given(st.text())
def test_fold_never_crashes_and_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once


@given(st.text())
def test_tokens_are_folded_and_stable(text: str) -> None:
    tokens = tokenize(text)
    for token in tokens:
        assert token
        assert fold(token) == token
        assert tokenize(token) == [token]
        stem(token)


@given(st.text(alphabet=st.sampled_from("aeiouäöüßqsnhrtk"), max_size=30))
def test_split_compound_parts_come_from_the_vocabulary(word: str) -> None:
    vocabulary = {"haus", "steuer", "hund", "auto", "sen", "ess", "tee"}
    parts = split_compound(word, vocabulary)
    if parts is not None:
        assert len(parts) >= 2
        assert all(part in vocabulary for part in parts)
        assert "".join(parts) in word or len("".join(parts)) < len(word)


# --- service_search --------------------------------------------------------------------------


@pytest.fixture
def catalogue(db: None) -> None:
    clear_search_index()
    themenfeld = Themenfeld.objects.create(name="Mobilität & Reisen", slug="mobilitaet-reisen")
    ozg = OzgService.objects.create(ozg_id="10439", name="Fahrzeugzulassung", themenfeld=themenfeld)
    for key, name, ozg_service in [
        ("99036008071000", "Kraftfahrzeug Ummeldung", ozg),
        ("99036008007000", "Kraftfahrzeug Zulassung", ozg),
        ("99102013000000", "Hundesteuer", None),
        ("99102013002000", "Hundesteuer Festsetzung", None),
        ("99115005104000", "Wohnsitz Anmeldung", None),
        ("99042001000000", "Fischereischein", None),
        ("99008001014002", "Personalausweis Meldung wegen Verlust", None),
        ("99001009000000", "Sperrmüll", None),
    ]:
        Service.objects.create(leika_key=key, name=name, ozg_service=ozg_service)


def keys(query: str, **kwargs: int) -> list[str]:
    return [service.leika_key for service in service_search(query=query, **kwargs).services]


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("Auto ummelden", "99036008071000"),
        ("Angelschein", "99042001000000"),
        ("Perso verloren", "99008001014002"),
        ("Hund Steuer", "99102013000000"),
        ("Wohnsitzanmeldung", "99115005104000"),
        ("Sperrmuell", "99001009000000"),
        ("SPERRMÜLL ", "99001009000000"),
        ("Fischer", "99042001000000"),  # the last word is still being typed
    ],
)
def test_finds_what_citizens_mean(query: str, first: str) -> None:
    assert keys(query)[0] == first


@pytest.mark.usefixtures("catalogue")
def test_main_entry_before_sub_entry_and_paging() -> None:
    assert keys("Hundesteuer") == ["99102013000000", "99102013002000"]
    page = service_search(query="Hundesteuer", limit=1, offset=1)
    assert page.total == 2
    assert [service.leika_key for service in page.services] == ["99102013002000"]


@pytest.mark.usefixtures("catalogue")
def test_keywords_are_searched_and_index_follows_changes() -> None:
    assert keys("Zweitwagen ") == []
    Service.objects.filter(leika_key="99036008007000").update(keywords="Zweitwagen")
    # update() leaves updated_at alone; the curation UI saves through the model, as here:
    service = Service.objects.get(leika_key="99036008007000")
    service.save()
    assert keys("Zweitwagen ") == ["99036008007000"]
    Service.objects.create(leika_key="99036008070000", name="Kraftfahrzeug Abmeldung")
    assert "99036008070000" in keys("Kraftfahrzeug ")


@pytest.mark.usefixtures("catalogue")
def test_index_is_cached_between_calls(django_assert_num_queries: object) -> None:
    service_search(query="Hundesteuer")
    index = search_index()
    with django_assert_num_queries(2):  # type: ignore[operator]
        service_search(query="Hundesteuer")  # version stamp + the page of services
    assert search_index() is index


@pytest.mark.usefixtures("catalogue")
@override_settings(SEARCH_INDEX_CHECK_SECONDS=60)
def test_version_check_can_be_throttled(django_assert_num_queries: object) -> None:
    service_search(query="Hundesteuer")
    with django_assert_num_queries(1):  # type: ignore[operator]
        service_search(query="Hundesteuer")


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("query", ["", "   ", "\u3000", "und der die", "!!!"])
def test_empty_query_gives_empty_page(query: str) -> None:
    page = service_search(query=query)
    assert page.total == 0
    assert page.services == []


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize("query", ["x" * 201, "Hund\x00steuer", "Hund\nsteuer", "\x1b[31mHund", "Hund\ud800"])
def test_invalid_query_is_a_problem(query: str) -> None:
    with pytest.raises(Problem) as info:
        service_search(query=query)
    assert info.value.code == "invalid-query"
    assert info.value.status_code == 400
    assert info.value.detail_de.startswith("Der Suchbegriff")
    assert info.value.detail_en.startswith("The search query")


@pytest.mark.usefixtures("catalogue")
def test_query_of_maximum_length_is_accepted() -> None:
    assert service_search(query="Hund " * 40).query == ("Hund " * 40).strip()


@pytest.mark.usefixtures("catalogue")
@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (101, 0), (10, -1)])
def test_invalid_paging_is_a_problem(limit: int, offset: int) -> None:
    with pytest.raises(Problem):
        service_search(query="Hund", limit=limit, offset=offset)


@pytest.mark.usefixtures("catalogue")
@given(
    st.text(max_size=200).filter(
        lambda text: (
            not any(ord(char) < 32 or 0xD800 <= ord(char) < 0xE000 or 127 <= ord(char) < 160 for char in text)
        )
    )
)
def test_search_never_crashes(query: str) -> None:
    page = service_search(query=query)
    assert page.total >= len(page.services)
