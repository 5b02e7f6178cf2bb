"""``amtsweg import_xdatenfelder FILE... --service LEIKA [--authority AGS] [--publish]``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.forms.models import FormVersion
from amtsweg.forms.services import form_import_xdatenfelder
from amtsweg.forms.xdatenfelder import MAX_FILE_BYTES, SourceError, XDatenfelderError
from amtsweg.tenancy.models import Authority


class Command(BaseCommand):
    help = (
        "Importiert FIM-XDatenfelder-Dateien (2.0 und 3.0.0: Stammdatenschema, Datenfeldgruppe) als neue "
        "Version des Formulars einer Leistung – des Verbunds oder, mit --authority, als Variante einer "
        "Behörde. Jede Datei ganz oder gar nicht; eine unveränderte Datei legt keine neue Version an."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="XDatenfelder-Datei(en)")
        parser.add_argument("--service", required=True, help="LeiKa-Schlüssel der Leistung (14 Ziffern)")
        parser.add_argument(
            "--authority", help="AGS der Behörde: als deren Formularvariante statt als Formular des Verbunds"
        )
        parser.add_argument(
            "--publish", action="store_true", help="die importierte Version sofort veröffentlichen"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        service = Service.objects.filter(leika_key=options["service"]).first()
        if service is None:
            raise CommandError(f"Keine Leistung mit dem LeiKa-Schlüssel {options['service']!r}.")
        authority = None
        if options["authority"]:
            authority = Authority.objects.filter(ags=options["authority"]).first()
            if authority is None:
                raise CommandError(f"Keine Behörde mit dem AGS {options['authority']!r}.")
        failed = 0
        for path in options["files"]:
            try:
                self._import(path, service=service, authority=authority, publish=options["publish"])
            except XDatenfelderError as exc:
                failed += 1
                for error in exc.errors:
                    self.stderr.write(error.de())
                self.stderr.write(f"{path.name}: nicht importiert, nichts geschrieben.")
            except Problem as problem:
                failed += 1
                self.stderr.write(f"{path.name}: {problem.detail_de}")
        if failed:
            raise CommandError(f"{failed} von {len(options['files'])} Dateien nicht importiert.")

    def _import(self, path: Path, *, service: Service, authority: Authority | None, publish: bool) -> None:
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                limit = MAX_FILE_BYTES // (1024 * 1024)
                raise XDatenfelderError(
                    [
                        SourceError(
                            path.name,
                            0,
                            "",
                            f"Die Datei ist größer als {limit} MB.",
                            f"larger than {limit} MB",
                        )
                    ]
                )
            data = path.read_bytes()
        except OSError as exc:
            raise XDatenfelderError(
                [
                    SourceError(
                        path.name, 0, "", f"Datei nicht lesbar: {exc.strerror}", f"unreadable: {exc.strerror}"
                    )
                ]
            ) from exc
        result = form_import_xdatenfelder(
            service=service, authority=authority, data=data, filename=path.name, actor=None, publish=publish
        )
        version, imported = result.version, result.imported
        form = version.definition.name
        status = version.get_status_display()
        if result.created:
            self.stdout.write(
                f"{path.name}: {imported.source} → „{form}“ Version {version.number} ({status}): "
                f"Schritte: {len(imported.schema.steps)}, Eingabefelder: {imported.field_count}."
            )
        else:
            self.stdout.write(
                f"{path.name}: unverändert, gleich Version {version.number} von „{form}“ ({status}); "
                "keine neue Version."
            )
        unsupported = imported.schema.unsupported
        if unsupported:
            self.stdout.write(f"  Nicht unterstützt ({len(unsupported)}), bitte prüfen:")
            for item in unsupported:
                self.stdout.write(f"  - {item.element}: {item.reason}")
        if version.status == FormVersion.Status.DRAFT:
            self.stdout.write(
                "  Die Version ist ein Entwurf; veröffentlichen mit --publish oder im Backoffice."
            )
