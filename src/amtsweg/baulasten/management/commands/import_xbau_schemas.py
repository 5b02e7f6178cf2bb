"""``amtsweg import_xbau_schemas <dir>``: install the XBau 2.6 schemas the Baulasten messages need.

Copies the message schemas (``xbau-nachrichten-baulastenverzeichnis.xsd`` for 0710/0713,
``xbau-nachrichten-baulasten.xsd`` for 0703) and every schema they import or include, transitively,
from ``<dir>`` into ``settings.XBAU_SCHEMA_DIR``; then compiles them to prove they work. Files already
there with the same content are left alone, so running it again changes nothing. A missing file is
named and nothing is copied.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from lxml import etree

from amtsweg.baulasten import xbau


class Command(BaseCommand):
    help = "Copy the XBau 2.6 schemas of the Baulasten messages into XBAU_SCHEMA_DIR; check they compile."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", help="folder with the XBau 2.6 XSDs (e.g. the XLeitstelle release)")

    def handle(self, *args: Any, **options: Any) -> None:
        source = Path(options["source"])
        if not source.is_dir():
            raise CommandError(f"{source} is not a folder")
        present, missing = xbau.required_files(source)
        if missing:
            raise CommandError(f"missing in {source}: {', '.join(missing)} (nothing copied)")
        target = xbau.schema_dir()
        copied: list[str] = []
        unchanged: list[str] = []
        if target.resolve() == source.resolve():
            unchanged = present
        else:
            target.mkdir(parents=True, exist_ok=True)
            for name in present:
                destination = target / name
                if destination.is_file() and filecmp.cmp(source / name, destination, shallow=False):
                    unchanged.append(name)
                    continue
                temporary = destination.with_name(f".{name}.tmp")
                shutil.copyfile(source / name, temporary)
                temporary.replace(destination)  # atomic: a running process never reads half a file
                copied.append(name)
        xbau.clear_schema_cache()
        for name in xbau.MESSAGE_SCHEMAS:
            try:
                xbau.schema(name)
            except etree.XMLSchemaParseError as exc:
                raise CommandError(f"{name} does not compile: {exc}") from exc
        self.stdout.write(
            f"XBau schemas in {target}: {len(copied)} copied, {len(unchanged)} unchanged; "
            f"{', '.join(xbau.MESSAGE_SCHEMAS)} compile."
        )
