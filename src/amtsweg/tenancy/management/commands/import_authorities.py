"""``amtsweg import_authorities --ags FILE --rs FILE``: authorities from the Destatis AGS/RS code lists."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.tenancy.genericode import ImportFileError
from amtsweg.tenancy.importers import authorities_import


class Command(BaseCommand):
    help = (
        "Legt Behörden aus den Destatis-Codelisten AGS und Regionalschlüssel (genericode) an oder "
        "aktualisiert sie (wiederholbar, alles oder nichts)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--ags", type=Path, required=True, help="genericode-Codeliste der AGS (8 Ziffern)"
        )
        parser.add_argument(
            "--rs", type=Path, required=True, help="genericode-Codeliste der Regionalschlüssel (12 Ziffern)"
        )
        parser.add_argument(
            "--prefix", default="", help="nur AGS mit diesem Anfang, z. B. 05162 (Standard: alle)"
        )
        parser.add_argument(
            "--alliance", metavar="SLUG", help="Kurzname des Verbunds, dem die Behörden angehören"
        )
        parser.add_argument(
            "--kreis-name",
            help="legt den Kreis <prefix>000 mit diesem Namen als übergeordnete Behörde an "
            "(nur mit 5-stelligem --prefix)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        try:
            result = authorities_import(
                ags_path=options["ags"],
                rs_path=options["rs"],
                prefix=options["prefix"],
                alliance_slug=options["alliance"],
                kreis_name=options["kreis_name"],
            )
        except ImportFileError as exc:
            self.stderr.write(exc.detail_de)
            raise CommandError(f"Import abgebrochen, nichts geschrieben: {len(exc.errors)} Fehler.") from exc
        for warning in result.warnings:
            self.stderr.write(self.style.WARNING(f"Hinweis: {warning}"))
        if result.kreis is not None:
            self.stdout.write(f"Kreis: {result.kreis.name} ({result.kreis.ags})")
        self.stdout.write(
            f"Behörden: {result.created} neu, {result.updated} geändert, {result.unchanged} "
            f"unverändert; {result.skipped} Zeilen ohne Gemeinde übersprungen "
            f"({time.perf_counter() - started:.1f} s)."
        )
