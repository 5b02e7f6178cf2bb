"""``amtsweg build_viewer``: copy bpmn.io's viewer and Leaflet (the care finder's map) from node_modules
into their apps' static files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.processes import static_build


class Command(BaseCommand):
    help = (
        "Kopiert den BPMN-Viewer (bpmn-js) und Leaflet (Karte des Pflegefinders) aus node_modules "
        "(installiert mit `npm ci`) in die statischen Dateien (…/vendor/, nicht im Repository)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--node-modules",
            type=Path,
            default=None,
            help="Ordner node_modules (Standard: der des Repositorys).",
        )

    def handle(self, *args: Any, node_modules: Path | None, **options: Any) -> None:
        for package in static_build.PACKAGES:
            try:
                built = static_build.build_package(package, source=node_modules)
            except static_build.ViewerBuildError as exc:
                raise CommandError(str(exc)) from exc
            if int(options.get("verbosity", 1)) >= 1:
                self.stdout.write(f"{package.name} {built.version} → {built.target}")
