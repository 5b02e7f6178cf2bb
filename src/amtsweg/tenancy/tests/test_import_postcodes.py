"""``import_postcodes``: the curated CSV of postcode areas, all or nothing, replacing what it mentions."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from amtsweg.catalog.models import Service
from amtsweg.tenancy.importers import authorities_import
from amtsweg.tenancy.models import Authority, PostcodeArea
from amtsweg.tenancy.responsibility import responsibility_resolve
from amtsweg.testing import World, shared_data

pytestmark = pytest.mark.django_db

DEMO_FILE = Path(__file__).resolve().parent.parent / "data" / "postcodes_rhein_kreis_neuss.csv"


def run(path: Path) -> str:
    out = StringIO()
    call_command("import_postcodes", str(path), stdout=out, stderr=StringIO())
    return out.getvalue()


def rejected(path: Path) -> str:
    err = StringIO()
    with pytest.raises(CommandError, match="nichts geschrieben"):
        call_command("import_postcodes", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue()


def test_demo_table_covers_the_eight_towns() -> None:
    authorities_import(
        ags_path=shared_data("codelists/destatis_ags_2026-06-30.xml"),
        rs_path=shared_data("codelists/destatis_rs_2026-06-30.xml"),
        prefix="05162",
        kreis_name="Rhein-Kreis Neuss",
    )

    assert "22 neu, 0 entfernt, 0 unverändert" in run(DEMO_FILE)
    assert "0 neu, 0 entfernt, 22 unverändert" in run(DEMO_FILE)

    towns = Authority.objects.exclude(kind=Authority.Kind.KREIS)
    assert set(PostcodeArea.objects.values_list("authority__ags", flat=True).distinct()) == set(
        towns.values_list("ags", flat=True)
    )
    for postcode, town in [
        ("41564", "Kaarst"),
        ("40670", "Meerbusch"),
        ("41363", "Jüchen"),
        ("41569", "Rommerskirchen"),
        ("41472", "Neuss"),
    ]:
        assert responsibility_resolve(service=_service(), postcode=postcode).area.name == town


def _service() -> Service:
    service, _created = Service.objects.get_or_create(
        leika_key="99115005000000", defaults={"name": "Meldebescheinigung"}
    )
    return service


def test_file_replaces_the_postcodes_it_mentions(world: World, tmp_path: Path) -> None:
    PostcodeArea.objects.create(postcode="41460", street="Kölner Straße", authority=world.dormagen)
    csv_file = tmp_path / "plz.csv"
    csv_file.write_text(
        "postcode,street,ags,note\n41460,,05162024,Neuss\n41462,,05162024,\n", encoding="utf-8"
    )

    assert "1 neu, 1 entfernt, 1 unverändert" in run(csv_file)

    assert set(PostcodeArea.objects.values_list("postcode", "street", "authority__ags")) == {
        ("41460", "", "05162024"),
        ("41462", "", "05162024"),
        ("41539", "", "05162004"),
    }  # 41539 untouched


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("plz,strasse,ags\n41460,,05162024\n", "Zeile 1: Spalten fehlen: postcode, street"),
        (
            "postcode,street,ags,note\n41460,,05162024,\n4146,,05162024,\n",
            "plz.csv, Zeile 3: Postleitzahl „4146“",
        ),
        ("# comment\npostcode,street,ags\n41460,,5162024\n", "plz.csv, Zeile 3: AGS „5162024“"),
        ("postcode,street,ags\n41460,,05111000\n", "Zeile 2: Eine Behörde mit AGS 05111000 gibt es nicht"),
        ("postcode,street,ags\n41460,,05162000\n", "Zeile 2: AGS 05162000 ist ein Kreis"),
        (
            "postcode,street,ags\n41460,Kölner Str.,05162024\n41460,kölner straße,05162024\n",
            "Zeile 3: Doppelt: dieselbe Zuordnung steht schon in Zeile 2",
        ),
        ("postcode,street,ags\n41460,,05162024,x,y\n", "Zeile 2: Mehr Werte als Spalten"),
        ("postcode,street,ags\n", "keine Zeilen"),
    ],
)
def test_bad_file_is_rejected_and_nothing_written(
    world: World, tmp_path: Path, content: str, expected: str
) -> None:
    csv_file = tmp_path / "plz.csv"
    csv_file.write_text(content, encoding="utf-8")
    before = set(PostcodeArea.objects.values_list("pk", "postcode"))

    assert expected in rejected(csv_file)

    assert set(PostcodeArea.objects.values_list("pk", "postcode")) == before


def test_not_utf8(world: World, tmp_path: Path) -> None:
    csv_file = tmp_path / "plz.csv"
    csv_file.write_bytes("postcode,street,ags\n41460,Kölner Straße,05162024\n".encode("cp1252"))
    assert "UTF-8" in rejected(csv_file)
