"""``care_import_postcodes``: regenerates the postcode table from a GeoNames dump (DE.txt or DE.zip)
or from the two packages it was built from; a bad source writes nothing."""

from __future__ import annotations

import json
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from pytest_django.fixtures import Settings as SettingsWrapper

from .. import geocoding

# GeoNames format: country, postal code, place name, admin name1, admin code1, admin name2, admin code2,
# admin name3, admin code3, latitude, longitude, accuracy. Two rows for 41460 Neuss (averaged).
GEONAMES = (
    "DE\t41460\tNeuss\tNordrhein-Westfalen\tNW\tRegierungsbezirk Düsseldorf\t051\tRhein-Kreis Neuss\t05162\t"
    "51.2000\t6.6900\t4\n"
    "DE\t41460\tNeuss\tNordrhein-Westfalen\tNW\tRegierungsbezirk Düsseldorf\t051\tRhein-Kreis Neuss\t05162\t"
    "51.2100\t6.7000\t4\n"
    "DE\t41539\tDormagen\tNordrhein-Westfalen\tNW\tRegierungsbezirk Düsseldorf\t051\t"
    "Rhein-Kreis Neuss\t05162\t51.0951\t6.8403\t4\n"
    "DE\t01561\tEbersbach\tSachsen\tSN\t\t00\tLandkreis Meißen\t14627\t51.2962\t13.6339\t4\n"
    "DE\t01561\tGroßenhain\tSachsen\tSN\t\t00\tLandkreis Meißen\t14627\t51.2900\t13.5500\t4\n"
    "DE\t99084\tErfurt\tThuringen\tTH\t\t00\tKreisfreie Stadt Erfurt\t16051\t50.9787\t11.0328\t4\n"
)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("care_import_postcodes", *args, "--min-rows", "1", stdout=out)
    return out.getvalue()


def test_a_geonames_dump_becomes_the_table(tmp_path: Path) -> None:
    source = tmp_path / "DE.txt"
    source.write_text(GEONAMES, encoding="utf-8")
    output = tmp_path / "postcodes.csv"
    message = _run(str(source), "--output", str(output))
    assert "5 Zeilen, 4 Postleitzahlen" in message
    assert output.read_text(encoding="utf-8").splitlines() == [
        "postcode,place,state,latitude,longitude",
        "01561,Ebersbach,Sachsen,51.29620,13.63390",
        "01561,Großenhain,Sachsen,51.29000,13.55000",
        "41460,Neuss,Nordrhein-Westfalen,51.20500,6.69500",
        "41539,Dormagen,Nordrhein-Westfalen,51.09510,6.84030",
        "99084,Erfurt,Thüringen,50.97870,11.03280",
    ]
    table = geocoding.read_table(output)
    # Two places in 01561 with their own coordinates: the postcode lies at their mean.
    assert table.postcodes["01561"].latitude == pytest.approx((51.2962 + 51.29) / 2)
    assert table.towns["neuss"][0].postcodes == ("41460",)


def test_the_zip_from_geonames_is_read_as_is(tmp_path: Path) -> None:
    archive = tmp_path / "DE.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.txt", "GeoNames postal codes, CC BY 4.0")
        z.writestr("DE.txt", GEONAMES)
    output = tmp_path / "postcodes.csv"
    _run(str(archive), "--output", str(output))
    assert len(output.read_text(encoding="utf-8").splitlines()) == 6


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("AT\t1010\tWien\tWien\t09\t\t\t\t\t48.2\t16.37\t4\n", "Land 'AT'"),
        ("DE\t4146\tNeuss\tNordrhein-Westfalen\tNW\t\t\t\t\t51.2\t6.69\t4\n", "fünfstellige"),
        ("DE\t41460\tNeuss\tNordrhein-Westfalen\tNW\t\t\t\t\t40.7\t-74.0\t4\n", "außerhalb"),
        ("DE\t41460\tNeuss\tNordrhein-Westfalen\tNW\t\t\t\t\tx\t6.69\t4\n", "keine Zahlen"),
        ("DE\t41460\t\tNordrhein-Westfalen\tNW\t\t\t\t\t51.2\t6.69\t4\n", "Ort fehlt"),
        ("41460;Neuss;51.2;6.69\n", "Spalten"),
    ],
)
def test_a_bad_row_writes_nothing(tmp_path: Path, line: str, error: str) -> None:
    source = tmp_path / "DE.txt"
    source.write_text(GEONAMES + line, encoding="utf-8")
    output = tmp_path / "postcodes.csv"
    output.write_text("the old table\n", encoding="utf-8")
    with pytest.raises(CommandError, match=error) as raised:
        _run(str(source), "--output", str(output))
    assert "Zeile 7" in str(raised.value)
    assert output.read_text(encoding="utf-8") == "the old table\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".postcodes-")]


def test_a_truncated_source_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "DE.txt"
    source.write_text(GEONAMES, encoding="utf-8")
    output = tmp_path / "postcodes.csv"
    with pytest.raises(CommandError, match="unvollständig"):
        call_command("care_import_postcodes", str(source), "--output", str(output), stdout=StringIO())
    assert not output.exists()


def test_the_bundled_table_is_rebuilt_from_the_two_packages(tmp_path: Path) -> None:
    names = tmp_path / "postcodes.json"
    names.write_text(
        json.dumps(
            [
                {"code": "41460", "countryCode": "DE", "stateCode": "NW", "localityName": "Neuss"},
                {"code": "01561", "countryCode": "DE", "stateCode": "SN", "localityName": "Ebersbach"},
                {"code": "01561", "countryCode": "DE", "stateCode": "SN", "localityName": "Großenhain"},
                {"code": "81248", "countryCode": "DE", "stateCode": "BY", "localityName": "München"},
            ]
        ),
        encoding="utf-8",
    )
    centroids = tmp_path / "de.py"
    centroids.write_text(
        "coordinates = {'41460': (51.2071028, 6.7067412), '01561': (51.29623, 13.63386), "
        "'33333': (51.9, 8.4)}\n",
        encoding="utf-8",
    )
    output = tmp_path / "postcodes.csv"
    _run("--countrystatecity", str(names), "--coordinates", str(centroids), "--output", str(output))
    # 81248 has no centroid and 33333 no name: both left out, nothing invented.
    assert output.read_text(encoding="utf-8").splitlines()[1:] == [
        "01561,Ebersbach,Sachsen,51.29623,13.63386",
        "01561,Großenhain,Sachsen,51.29623,13.63386",
        "41460,Neuss,Nordrhein-Westfalen,51.20710,6.70674",
    ]


def test_the_coordinates_module_is_read_never_executed(tmp_path: Path) -> None:
    names = tmp_path / "postcodes.json"
    names.write_text("[]", encoding="utf-8")
    evil = tmp_path / "de.py"
    marker = tmp_path / "executed"
    evil.write_text(f"coordinates = open({str(marker)!r}, 'w')\n", encoding="utf-8")
    with pytest.raises(CommandError, match="Literal"):
        _run(
            "--countrystatecity", str(names), "--coordinates", str(evil), "--output", str(tmp_path / "o.csv")
        )
    assert not marker.exists()


def test_source_arguments_are_checked() -> None:
    with pytest.raises(CommandError, match="Entweder"):
        call_command("care_import_postcodes", stdout=StringIO())
    with pytest.raises(CommandError, match="Entweder"):
        call_command("care_import_postcodes", "--countrystatecity", "x.json", stdout=StringIO())


def test_an_operators_table_outside_the_package_is_written_and_used(
    tmp_path: Path, settings: SettingsWrapper
) -> None:
    source = tmp_path / "DE.txt"
    source.write_text(GEONAMES, encoding="utf-8")
    settings.CARE_POSTCODE_TABLE = str(tmp_path / "postcodes_de.csv")
    try:
        message = _run(str(source))  # no --output: the configured table
        assert "GeoNames (geonames.org), CC BY 4.0" in message
        assert geocoding.table_path() == tmp_path / "postcodes_de.csv"
        place = geocoding.geocode("41460")
        assert place is not None and (place.latitude, place.longitude) == pytest.approx((51.205, 6.695))
        assert geocoding.geocode("41462") is None  # not in the small test table
    finally:
        settings.CARE_POSTCODE_TABLE = ""
        geocoding.reload_table()
    assert geocoding.geocode("41462") is not None  # the bundled table again
