"""``amtsweg import_catalog --ozg FILE --leika FILE``: import the OZG/LeiKa catalogue from CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.catalog.importers import CatalogImportError, CatalogImportResult, EntityCounts, catalog_import


class Command(BaseCommand):
    help = "Importiert den OZG-/LeiKa-Leistungskatalog aus CSV-Dateien (wiederholbar, alles oder nichts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ozg", type=Path, help="ozg_leistungen.csv (ozg_id,name,themenfeld,lage)")
        parser.add_argument(
            "--leika", type=Path, help="leika_leistungen.csv (leika_key,name,leika_typ,ozg_id)"
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="gültige Zeilen importieren und fehlerhafte nur melden, statt abzubrechen",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        ozg_file: Path | None = options["ozg"]
        leika_file: Path | None = options["leika"]
        if ozg_file is None and leika_file is None:
            raise CommandError("Bitte --ozg und/oder --leika angeben.")
        try:
            result = catalog_import(
                ozg_file=ozg_file, leika_file=leika_file, skip_invalid=options["skip_invalid"]
            )
        except CatalogImportError as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"Import abgebrochen, nichts geschrieben: {len(exc.errors)} Fehler.") from exc
        for error in result.errors:
            self.stderr.write(str(error))
        self.stdout.write(self._summary(result))

    @staticmethod
    def _summary(result: CatalogImportResult) -> str:
        def line(label: str, counts: EntityCounts) -> str:
            return f"{label}: {counts.created} neu, {counts.updated} geändert, {counts.unchanged} unverändert"

        lines = [
            line("Themenfelder", result.themenfelder),
            line("Lebenslagen", result.lebenslagen),
            line("OZG-Leistungen", result.ozg_services),
            line("LeiKa-Leistungen", result.services),
        ]
        if result.errors:
            lines.append(f"{len(result.errors)} fehlerhafte Zeilen übersprungen.")
        return "\n".join(lines)
