"""``amtsweg import_postcodes FILE``: postcode areas (PLZ-Gebiete) from CSV (postcode,street,ags,note)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.tenancy.genericode import ImportFileError
from amtsweg.tenancy.importers import postcodes_import


class Command(BaseCommand):
    help = (
        "Lädt PLZ-Gebiete aus einer CSV-Datei (postcode,street,ags,note); die Datei ersetzt die "
        "Zuordnungen der Postleitzahlen, die sie nennt (wiederholbar, alles oder nichts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file",
            type=Path,
            help="CSV-Datei, z. B. src/amtsweg/tenancy/data/postcodes_rhein_kreis_neuss.csv",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = postcodes_import(path=options["file"])
        except ImportFileError as exc:
            self.stderr.write(exc.detail_de)
            raise CommandError(f"Import abgebrochen, nichts geschrieben: {len(exc.errors)} Fehler.") from exc
        self.stdout.write(
            f"PLZ-Gebiete für {result.postcodes} Postleitzahlen: {result.created} neu, "
            f"{result.deleted} entfernt, {result.unchanged} unverändert."
        )
