"""The catalogue import through the command line: real files, re-import, and broken input."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amtsweg.catalog.importers import CatalogImportError, catalog_import
from amtsweg.catalog.models import Lebenslage, OzgService, Service, Themenfeld
from amtsweg.core.text import german_slugify
from amtsweg.identity.levels import TrustLevel
from amtsweg.testing import shared_data

pytestmark = pytest.mark.django_db

OZG_HEADER = "ozg_id,name,themenfeld,lage\n"
LEIKA_HEADER = "leika_key,name,leika_typ,ozg_id\n"
OZG_OK = (
    OZG_HEADER
    + "10160,Hundesteuer,Steuern & Abgaben,Steuern\n10110,Abfallentsorgung,Umwelt,Abfall & Umweltschutz\n"
)
LEIKA_OK = LEIKA_HEADER + "99102013000000,Hundesteuer,4,10160\n99001009000000,Sperrmüll,5,10110\n"


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_catalog", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_real() -> tuple[str, str]:
    return run(
        "--ozg",
        str(shared_data("ozg/ozg_leistungen.csv")),
        "--leika",
        str(shared_data("ozg/leika_leistungen.csv")),
    )


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.fixture_data
def test_imports_the_whole_catalogue() -> None:
    out, err = run_real()

    assert err == ""
    assert "LeiKa-Leistungen: 4813 neu" in out
    assert Service.objects.count() == 4813
    assert OzgService.objects.count() == 557
    assert Themenfeld.objects.count() == 14
    assert Lebenslage.objects.count() == 55
    dog_tax = Service.objects.select_related("ozg_service__themenfeld").get(leika_key="99102013000000")
    assert dog_tax.name == "Hundesteuer"
    assert dog_tax.leika_type == "4"
    assert dog_tax.ozg_service is not None
    assert dog_tax.ozg_service.ozg_id == "10160"
    assert Service.objects.filter(ozg_service__isnull=True).count() == 16
    assert Themenfeld.objects.get(name="Mobilität & Reisen").slug == "mobilitaet-reisen"


@pytest.mark.fixture_data
def test_reimport_is_idempotent_and_keeps_curated_fields() -> None:
    run_real()
    Service.objects.filter(leika_key="99102013000000").update(
        summary="Steuer für das Halten eines Hundes.",
        keywords="Hund Steuer",
        eligibility="Hundehalter",
        required_trust_level=TrustLevel.SUBSTANTIAL,
        responsible_level=Service.Level.KREIS,
    )
    Service.objects.filter(leika_key="99001009000000").update(name="Alter Name")
    counts = (
        Service.objects.count(),
        OzgService.objects.count(),
        Themenfeld.objects.count(),
        Lebenslage.objects.count(),
    )

    out, _ = run_real()

    assert (
        Service.objects.count(),
        OzgService.objects.count(),
        Themenfeld.objects.count(),
        Lebenslage.objects.count(),
    ) == counts
    assert "LeiKa-Leistungen: 0 neu, 1 geändert, 4812 unverändert" in out
    assert Service.objects.get(leika_key="99001009000000").name == "Sperrmüll"
    dog_tax = Service.objects.get(leika_key="99102013000000")
    assert dog_tax.summary == "Steuer für das Halten eines Hundes."
    assert dog_tax.keywords == "Hund Steuer"
    assert dog_tax.eligibility == "Hundehalter"
    assert dog_tax.required_trust_level == TrustLevel.SUBSTANTIAL
    assert dog_tax.responsible_level == Service.Level.KREIS


def test_import_takes_a_bounded_number_of_queries(
    tmp_path: Path, django_assert_max_num_queries: object
) -> None:
    leika = LEIKA_HEADER + "".join(f"99102013{n:06d},Leistung {n},4,10160\n" for n in range(300))
    ozg, leika_file = write(tmp_path, "o.csv", OZG_OK), write(tmp_path, "l.csv", leika)
    with django_assert_max_num_queries(30):  # type: ignore[operator]
        result = catalog_import(ozg_file=ozg, leika_file=leika_file)
    assert result.services.created == 300


def test_renaming_an_ozg_service_updates_it(tmp_path: Path) -> None:
    run("--ozg", str(write(tmp_path, "o.csv", OZG_OK)), "--leika", str(write(tmp_path, "l.csv", LEIKA_OK)))
    renamed = OZG_OK.replace("10160,Hundesteuer,", "10160,Hundesteuer (neu),")

    result = catalog_import(ozg_file=write(tmp_path, "o2.csv", renamed), leika_file=None)

    assert result.ozg_services.updated == 1
    assert OzgService.objects.get(ozg_id="10160").name == "Hundesteuer (neu)"


BROKEN_LEIKA = {
    "missing column": (LEIKA_HEADER.replace(",ozg_id", "") + "99102013000000,Hundesteuer,4\n", 1),
    "wrong header": ("schluessel,name,typ,ozg\n99102013000000,Hundesteuer,4,10160\n", 1),
    "13-digit key": (LEIKA_HEADER + "99102013000000,Hundesteuer,4,10160\n9910201300000,Kaputt,4,10160\n", 3),
    "letters in key": (LEIKA_HEADER + "99102013ABC000,Kaputt,4,10160\n", 2),
    "unknown ozg_id": (
        LEIKA_HEADER + "99102013000000,Hundesteuer,4,10160\n99102013002000,Festsetzung,4,99999\n",
        3,
    ),
    "duplicate key": (
        LEIKA_HEADER + "99102013000000,Hundesteuer,4,10160\n99102013000000,Nochmal,4,10160\n",
        3,
    ),
    "empty name": (LEIKA_HEADER + "99102013000000,,4,10160\n", 2),
    "too few fields": (LEIKA_HEADER + "99102013000000,Hundesteuer\n", 2),
    "empty file": ("", 1),
    "only whitespace": ("\n\n", 1),
}


@pytest.mark.parametrize("case", BROKEN_LEIKA)
def test_broken_leika_file_aborts_without_writing(tmp_path: Path, case: str) -> None:
    content, line = BROKEN_LEIKA[case]
    ozg, leika = write(tmp_path, "ozg.csv", OZG_OK), write(tmp_path, "leika_kaputt.csv", content)

    with pytest.raises(CommandError, match="nichts geschrieben"):
        run("--ozg", str(ozg), "--leika", str(leika))

    assert Service.objects.count() == 0
    assert OzgService.objects.count() == 0
    assert Themenfeld.objects.count() == 0
    with pytest.raises(CatalogImportError) as info:
        catalog_import(ozg_file=ozg, leika_file=leika)
    assert f"leika_kaputt.csv, Zeile {line}:" in [
        f"{error.file}, Zeile {error.line}:" for error in info.value.errors
    ]


def test_undecodable_bytes_are_reported_with_their_line(tmp_path: Path) -> None:
    content = (
        LEIKA_HEADER + "99102013000000,Hundesteuer,4,10160\n"
    ).encode() + b"99001009000000,Sperrm\xfcll,5,\n"
    ozg, leika = write(tmp_path, "ozg.csv", OZG_OK), write(tmp_path, "latin1.csv", content)
    err = StringIO()

    with pytest.raises(CommandError):
        call_command("import_catalog", "--ozg", str(ozg), "--leika", str(leika), stderr=err)

    assert "latin1.csv, Zeile 3: Die Datei ist nicht UTF-8-kodiert" in err.getvalue()
    assert Service.objects.count() == 0


def test_broken_ozg_file_lists_every_error(tmp_path: Path) -> None:
    content = (
        OZG_HEADER + "10160,Hundesteuer,Steuern,Steuern\n1234567,Zu lang,Umwelt,\n10160,Doppelt,Umwelt,\n"
    )
    ozg, leika = write(tmp_path, "ozg_kaputt.csv", content), write(tmp_path, "leika.csv", LEIKA_OK)
    err = StringIO()

    with pytest.raises(CommandError, match="3 Fehler"):
        call_command("import_catalog", "--ozg", str(ozg), "--leika", str(leika), stderr=err)

    lines = err.getvalue().splitlines()
    assert lines[0].startswith("ozg_kaputt.csv, Zeile 3: Ungültige OZG-ID")
    assert lines[1].startswith("ozg_kaputt.csv, Zeile 4: Die OZG-ID 10160 steht schon in Zeile 2")
    # Sperrmüll refers to 10110, which this OZG file lacks.
    assert lines[2].startswith("leika.csv, Zeile 3: Unbekannte OZG-ID 10110")
    assert OzgService.objects.count() == 0


def test_skip_invalid_imports_valid_rows_and_lists_bad_ones(tmp_path: Path) -> None:
    content = LEIKA_OK + "123,Kaputt,4,10160\n99102013002000,Hundesteuer Festsetzung,4,10160\n"
    ozg, leika = write(tmp_path, "ozg.csv", OZG_OK), write(tmp_path, "leika.csv", content)

    out, err = run("--ozg", str(ozg), "--leika", str(leika), "--skip-invalid")

    assert "leika.csv, Zeile 4: Ungültiger LeiKa-Schlüssel „123“" in err
    assert "1 fehlerhafte Zeilen übersprungen" in out
    assert set(Service.objects.values_list("leika_key", flat=True)) == {
        "99102013000000",
        "99001009000000",
        "99102013002000",
    }


def test_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        run("--ozg", str(tmp_path / "gibt-es-nicht.csv"))


def test_needs_at_least_one_file() -> None:
    with pytest.raises(CommandError, match="--ozg"):
        run()


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Mobilität & Reisen", "mobilitaet-reisen"),
        ("Straße & Verkehr", "strasse-verkehr"),
        ("Über uns", "ueber-uns"),
        ("!!!", ""),
    ],
)
def test_german_slugify(name: str, slug: str) -> None:
    assert german_slugify(name, max_length=100) == slug
