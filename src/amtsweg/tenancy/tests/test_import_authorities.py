"""``import_authorities``: the Destatis AGS/RS code lists become authorities, idempotently, all or nothing."""

from __future__ import annotations

import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from amtsweg.core.text import german_slugify
from amtsweg.tenancy.genericode import ImportFileError
from amtsweg.tenancy.importers import authorities_import, is_town_name, name_clean
from amtsweg.tenancy.models import Alliance, Authority
from amtsweg.testing import World, shared_data

pytestmark = pytest.mark.django_db

RHEIN_KREIS_NEUSS = {
    "05162004": ("Dormagen", "dormagen", Authority.Kind.STADT),
    "05162008": ("Grevenbroich", "grevenbroich", Authority.Kind.STADT),
    "05162012": ("Jüchen", "juechen", Authority.Kind.STADT),
    "05162016": ("Kaarst", "kaarst", Authority.Kind.STADT),
    "05162020": ("Korschenbroich", "korschenbroich", Authority.Kind.STADT),
    "05162022": ("Meerbusch", "meerbusch", Authority.Kind.STADT),
    "05162024": ("Neuss", "neuss", Authority.Kind.STADT),
    "05162028": ("Rommerskirchen", "rommerskirchen", Authority.Kind.GEMEINDE),
}


@pytest.fixture
def ags_file() -> Path:
    return shared_data("codelists/destatis_ags_2026-06-30.xml")


@pytest.fixture
def rs_file() -> Path:
    return shared_data("codelists/destatis_rs_2026-06-30.xml")


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_authorities", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def genericode(
    rows: list[tuple[str, ...]],
    *,
    columns: tuple[str, ...] = ("SCHLUESSEL", "Bezeichnung"),
    root: str = "gc:CodeList",
    prolog: str = "",
) -> str:
    column_xml = "".join(
        f'<Column Id="{c}" Use="required"><ShortName>{c}</ShortName></Column>' for c in columns
    )
    row_xml = "\n".join(
        "<Row>"
        + "".join(
            f'<Value ColumnRef="{c}"><SimpleValue>{v}</SimpleValue></Value>'
            for c, v in zip(columns, row, strict=False)
        )
        + "</Row>"
        for row in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}'
        f'<{root} xmlns:gc="http://docs.oasis-open.org/codelist/ns/genericode/1.0/">\n'
        f"<Identification><ShortName>T</ShortName></Identification>\n"
        f"<ColumnSet>{column_xml}</ColumnSet>\n<SimpleCodeList>\n{row_xml}\n</SimpleCodeList>\n</{root}>\n"
    )


@pytest.fixture
def small_lists(tmp_path: Path) -> tuple[Path, Path]:
    ags, rs = tmp_path / "ags.xml", tmp_path / "rs.xml"
    ags.write_text(
        genericode([("05162024", "Neuss, Stadt"), ("05162028", "Rommerskirchen")]), encoding="utf-8"
    )
    rs.write_text(
        genericode([("051620024024", "Neuss, Stadt"), ("051620028028", "Rommerskirchen")]), encoding="utf-8"
    )
    return ags, rs


# --- the real code lists -------------------------------------------------------------------------


def test_rhein_kreis_neuss_with_kreis_and_alliance(ags_file: Path, rs_file: Path) -> None:
    alliance = Alliance.objects.create(name="Rhein-Kreis Neuss", slug="rkn")
    out, _err = run(
        "--ags",
        str(ags_file),
        "--rs",
        str(rs_file),
        "--prefix",
        "05162",
        "--alliance",
        "rkn",
        "--kreis-name",
        "Rhein-Kreis Neuss",
    )
    assert "9 neu" in out

    kreis = Authority.objects.get(ags="05162000")
    assert (kreis.kind, kreis.name, kreis.slug, kreis.regional_key) == (
        Authority.Kind.KREIS,
        "Rhein-Kreis Neuss",
        "rhein-kreis-neuss",
        "051620000000",
    )
    towns = {a.ags: a for a in Authority.objects.exclude(pk=kreis.pk)}
    assert set(towns) == set(RHEIN_KREIS_NEUSS)
    for ags, (name, slug, kind) in RHEIN_KREIS_NEUSS.items():
        town = towns[ags]
        assert (town.name, town.slug, town.kind) == (name, slug, kind)
        assert town.regional_key == f"{ags[:5]}0{ags[5:]}{ags[5:]}"
        assert town.parent_id == kreis.pk
        assert town.alliance_id == alliance.pk
    assert towns["05162024"].official_name == "Neuss, Stadt"
    assert towns["05162028"].official_name == "Rommerskirchen"


def test_reimport_changes_nothing_and_keeps_what_administrators_set(ags_file: Path, rs_file: Path) -> None:
    args = (
        "--ags",
        str(ags_file),
        "--rs",
        str(rs_file),
        "--prefix",
        "05162",
        "--kreis-name",
        "Rhein-Kreis Neuss",
    )
    run(*args)
    neuss = Authority.objects.get(ags="05162024")
    neuss.name, neuss.slug = "Stadt Neuss", "stadt-neuss"
    neuss.email, neuss.phone = "info@neuss.example", "02131 90-0"
    neuss.primary_colour, neuss.website, neuss.is_active = "#123456", "https://neuss.example", False
    neuss.save()

    out, _err = run(*args)

    assert "0 neu, 0 geändert, 9 unverändert" in out
    neuss.refresh_from_db()
    assert (neuss.name, neuss.slug, neuss.email, neuss.phone) == (
        "Stadt Neuss",
        "stadt-neuss",
        "info@neuss.example",
        "02131 90-0",
    )
    assert (neuss.primary_colour, neuss.website, neuss.is_active) == (
        "#123456",
        "https://neuss.example",
        False,
    )


def test_import_completes_existing_authorities(world: World, ags_file: Path, rs_file: Path) -> None:
    result = authorities_import(ags_path=ags_file, rs_path=rs_file, prefix="05162")

    assert (result.created, result.updated) == (6, 2)  # Neuss and Dormagen get their official names
    world.neuss.refresh_from_db()
    assert (world.neuss.official_name, world.neuss.slug, world.neuss.parent_id) == (
        "Neuss, Stadt",
        "neuss",
        world.kreis.pk,
    )
    # The Kreis is known in the database, so new towns are linked to it without --kreis-name.
    assert Authority.objects.get(ags="05162028").parent_id == world.kreis.pk


def test_full_list_imports_in_seconds_with_few_queries(ags_file: Path, rs_file: Path) -> None:
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = authorities_import(ags_path=ags_file, rs_path=rs_file)
    elapsed = time.perf_counter() - started

    assert elapsed < 30, f"full import took {elapsed:.1f} s"
    assert len(queries) < 300  # bulk writes in batches (SQLite allows ~60 rows per INSERT), not per row
    assert result.created == Authority.objects.count() == 10_908
    assert result.skipped == 11_227 - 10_908  # city-state sub-districts and unincorporated areas
    kinds = {
        a.ags: a.kind
        for a in Authority.objects.filter(
            ags__in=[
                "05111000",
                "02000000",
                "11000000",
                "04011000",
                "09162000",
                "03241001",
                "05334002",
                "05162024",
                "09678181",
                "02101101",
                "03151501",
            ]
        )
    }
    assert kinds == {
        "05111000": Authority.Kind.KREISFREIE_STADT,  # Düsseldorf
        "02000000": Authority.Kind.KREISFREIE_STADT,  # Hamburg
        "11000000": Authority.Kind.KREISFREIE_STADT,  # Berlin
        "04011000": Authority.Kind.KREISFREIE_STADT,  # Bremen, its Ortsteile do not count
        "09162000": Authority.Kind.KREISFREIE_STADT,  # München
        "03241001": Authority.Kind.STADT,  # Hannover belongs to the Region Hannover
        "05334002": Authority.Kind.STADT,  # Aachen belongs to the Städteregion Aachen
        "05162024": Authority.Kind.STADT,
        "09678181": Authority.Kind.GEMEINDE,  # "Stadtlauringen, M" is a Markt
    }
    assert Authority.objects.filter(slug="neuss").count() == 1
    assert Authority.objects.values("slug").distinct().count() == 10_908
    # The lists disagree on Uder (AGS 16061119, RS 160615051097); it is joined by name, with a warning.
    assert Authority.objects.get(ags="16061119").regional_key == "160615051097"
    assert any("16061119" in warning for warning in result.warnings)

    started = time.perf_counter()
    again = authorities_import(ags_path=ags_file, rs_path=rs_file)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10_908)
    assert time.perf_counter() - started < 30


# --- naming rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("official", "name", "town"),
    [
        ("Neuss, Stadt", "Neuss", True),
        ("Rommerskirchen", "Rommerskirchen", False),
        ("Bad Aibling, St", "Bad Aibling", True),
        ("Dachau, GKSt", "Dachau", True),
        ("Gelnhausen, Barbarossastadt, Kreisstadt", "Gelnhausen", True),
        ("Stadtlauringen, M", "Stadtlauringen", False),
        ("Lübeck, Hansestadt", "Lübeck", True),
        ("Bautzen / Budyšin, Stadt, Hochschulstadt / Wysokošulske město", "Bautzen / Budyšin", True),
    ],
)
def test_name_and_town_rule(official: str, name: str, town: bool) -> None:
    assert name_clean(official) == name
    assert is_town_name(official) is town


def test_german_slugs() -> None:
    assert german_slugify("Jüchen") == "juechen"
    assert german_slugify("Weißenfels") == "weissenfels"
    assert german_slugify("Bautzen / Budyšin") == "bautzen-budysin"


def test_duplicate_names_get_distinct_slugs(tmp_path: Path) -> None:
    ags, rs = tmp_path / "ags.xml", tmp_path / "rs.xml"
    ags.write_text(genericode([("07137203", "Mülheim-Kärlich, Stadt"), ("07338020", "Mülheim-Kärlich")]))
    rs.write_text(genericode([("071375309203", "x"), ("073380000020", "y")]))
    authorities_import(ags_path=ags, rs_path=rs)
    assert set(Authority.objects.values_list("slug", flat=True)) == {
        "muelheim-kaerlich",
        "muelheim-kaerlich-07338020",
    }


# --- bad input: clear error with file and line, nothing written ---------------------------------


def assert_rejected(ags: Path, rs: Path, *expected: str, extra: tuple[str, ...] = ()) -> None:
    with pytest.raises(CommandError, match="nichts geschrieben"):
        run("--ags", str(ags), "--rs", str(rs), *extra)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_authorities", "--ags", str(ags), "--rs", str(rs), *extra, stderr=err, stdout=StringIO()
        )
    for text in expected:
        assert text in err.getvalue(), err.getvalue()
    assert not Authority.objects.exists()


def test_not_xml(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("AGS;Name\n05162024;Neuss\n")
    assert_rejected(broken, small_lists[1], "broken.xml, Zeile 1", "Kein wohlgeformtes XML")


def test_not_genericode(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text(genericode([("05162024", "Neuss")], root="gc:Something"))
    assert_rejected(other, small_lists[1], "other.xml, Zeile 2", "keine genericode-Codeliste")


def test_doctype_and_entities_are_refused(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    evil = tmp_path / "evil.xml"
    evil.write_text(
        genericode(
            [("05162024", "&lol;")], prolog='<!DOCTYPE gc:CodeList [<!ENTITY lol "lollollollollol">]>\n'
        )
    )
    assert_rejected(evil, small_lists[1], "evil.xml", "DTD")


def test_missing_column(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    no_name = tmp_path / "no_name.xml"
    no_name.write_text(genericode([("05162024",)], columns=("SCHLUESSEL",)))
    assert_rejected(no_name, small_lists[1], "no_name.xml", "Bezeichnung")


def test_malformed_and_duplicate_keys_are_all_reported(
    small_lists: tuple[Path, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text(genericode([("05162024", "Neuss, Stadt"), ("0516202X", "Kaputt"), ("05162024", "Neuss")]))
    assert_rejected(
        bad,
        small_lists[1],
        "bad.xml, Zeile 7: AGS „0516202X“",
        "bad.xml, Zeile 8: AGS 05162024 steht schon in Zeile 6",
    )


def test_swapped_files(small_lists: tuple[Path, Path]) -> None:
    ags, rs = small_lists
    assert_rejected(rs, ags, "vertauscht")


def test_ags_without_rs_partner(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    rs = tmp_path / "rs_short.xml"
    rs.write_text(genericode([("051620024024", "Neuss, Stadt")]))
    assert_rejected(small_lists[0], rs, "ags.xml, Zeile 7: AGS 05162028 (Rommerskirchen) hat keinen Partner")


def test_unknown_prefix(small_lists: tuple[Path, Path]) -> None:
    assert_rejected(*small_lists, "„05999“", extra=("--prefix", "05999"))


def test_kreis_name_needs_a_kreis_key(small_lists: tuple[Path, Path]) -> None:
    assert_rejected(*small_lists, "5-stelligen", extra=("--kreis-name", "Irgendwo"))


def test_unknown_alliance(small_lists: tuple[Path, Path]) -> None:
    assert_rejected(*small_lists, "Verbund „nirgendwo“", extra=("--alliance", "nirgendwo"))


def test_kreisfreie_stadt_has_no_kreis(tmp_path: Path) -> None:
    ags, rs = tmp_path / "ags.xml", tmp_path / "rs.xml"
    ags.write_text(genericode([("05111000", "Düsseldorf, Stadt")]))
    rs.write_text(genericode([("051110000000", "Düsseldorf, Stadt")]))
    assert_rejected(ags, rs, "kreisfreie Stadt", extra=("--prefix", "05111", "--kreis-name", "Düsseldorf"))


def test_missing_file(small_lists: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match=r"nowhere\.xml"):
        authorities_import(ags_path=tmp_path / "nowhere.xml", rs_path=small_lists[1])
