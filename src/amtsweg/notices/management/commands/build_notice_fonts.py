"""``amtsweg build_notice_fonts``: rebuild the font subsets embedded in notices and receipts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.notices import fonts


class Command(BaseCommand):
    help = "Schneidet die Schriften für Bescheide (Amtsweg Sans) aus DejaVu Sans Condensed zu."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--source",
            type=Path,
            default=fonts.DEFAULT_SOURCE_DIR,
            help="Ordner mit DejaVuSansCondensed(-Bold).ttf (Debian: fonts-dejavu-extra).",
        )
        parser.add_argument(
            "--target", type=Path, default=fonts.FONT_DIR, help="Zielordner (Standard: die mitgelieferten)."
        )

    def handle(self, *args: Any, source: Path, target: Path, **options: Any) -> None:
        missing = [face.source for face in fonts.FACES if not (source / face.source).is_file()]
        if missing:
            raise CommandError(f"{source}: missing {', '.join(missing)} (apt-get install fonts-dejavu-extra)")
        for path in fonts.build_all(source_dir=source, target_dir=target):
            self.stdout.write(f"{path} ({path.stat().st_size:,} bytes)")
