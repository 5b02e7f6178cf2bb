"""Import the Gemarkungen (cadastral districts) from a CSV: ``key,name[,town_ags]`` per line.

Idempotent: a known key is updated (name; town only when the line names one), a new one created;
reports what it did, every line it could not use (with its number) and every town AGS it does not
know (the Gemarkung is imported unassigned then)."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from amtsweg.baulasten.models import Gemarkung
from amtsweg.tenancy.models import Authority

DEFAULT = Path(__file__).resolve().parents[2] / "data" / "gemarkungen_rhein_kreis_neuss.csv"


class Command(BaseCommand):
    help = "Import Gemarkungen (key, name, town AGS) from a CSV file; default: the Rhein-Kreis Neuss list."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "csv", nargs="?", default=str(DEFAULT), help="CSV with the columns key,name[,town_ags]"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.is_file():
            raise CommandError(f"{path}: file not found")
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"key", "name"} - set(reader.fieldnames or [])
            if missing:
                raise CommandError(f"{path}: missing columns {', '.join(sorted(missing))}")
            rows = list(reader)
        towns = dict(Authority.objects.values_list("ags", "pk"))
        created = updated = unchanged = 0
        errors: list[str] = []
        warnings: list[str] = []
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):
                key = (row.get("key") or "").strip()
                name = (row.get("name") or "").strip()
                ags = (row.get("town_ags") or "").strip()
                if not (key.isascii() and key.isdigit() and len(key) == 6) or int(key[2:]) == 0:
                    errors.append(f"line {line}: key {key!r} is not Land + Gemarkungsnummer (6 digits)")
                    continue
                if not name:
                    errors.append(f"line {line}: key {key}: name missing")
                    continue
                if ags and ags not in towns:
                    # The Gemarkung is still known (parcels can be named); its town is assigned on a
                    # later run, once the authority exists.
                    warnings.append(
                        f"line {line}: key {key}: no authority with AGS {ags}; town left as it is"
                    )
                    ags = ""
                gemarkung = Gemarkung.objects.filter(key=key).first()
                if gemarkung is None:
                    Gemarkung.objects.create(key=key, name=name, town_id=towns.get(ags) if ags else None)
                    created += 1
                    continue
                changed = gemarkung.name != name or (bool(ags) and gemarkung.town_id != towns[ags])
                if changed:
                    gemarkung.name = name
                    if ags:
                        gemarkung.town_id = towns[ags]
                    gemarkung.save(update_fields=["name", "town"])
                    updated += 1
                else:
                    unchanged += 1
        for message in [*warnings, *errors]:
            self.stderr.write(message)
        self.stdout.write(
            f"Gemarkungen: {created} created, {updated} updated, {unchanged} unchanged, "
            f"{len(warnings)} without their town, {len(errors)} errors"
        )
        if errors:
            raise CommandError(f"{len(errors)} line(s) could not be imported")
