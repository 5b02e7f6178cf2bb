"""``amtsweg import_bpmn FILE [CALLED …] --service <LeiKa key> [--authority <AGS>] [--publish]``."""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from amtsweg.catalog.models import Service
from amtsweg.core.problems import Problem
from amtsweg.tenancy.models import Authority

from ...services import MAX_BPMN_BYTES, process_version_import, process_version_publish


class Command(BaseCommand):
    help = "Import a BPMN 2.0 process model (with diagram) as a new version of a service's process."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("file", type=Path, help="the BPMN file")
        parser.add_argument("called", type=Path, nargs="*", help="BPMN files of processes it calls")
        parser.add_argument("--service", required=True, help="LeiKa key of the service")
        parser.add_argument(
            "--authority", default="", help="AGS of the authority (its variant); default: reference model"
        )
        parser.add_argument("--publish", action="store_true", help="publish the new version if it can run")

    def handle(self, *args: Any, **options: Any) -> None:
        service = Service.objects.filter(leika_key=options["service"]).first()
        if service is None:
            raise CommandError(f"unknown service {options['service']!r} (import the catalogue first)")
        authority = None
        if options["authority"]:
            authority = Authority.objects.filter(ags=options["authority"]).first()
            if authority is None:
                raise CommandError(f"unknown authority {options['authority']!r}")
        files = [options["file"], *options["called"]]
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            if path.stat().st_size > MAX_BPMN_BYTES:
                raise CommandError(f"{path}: larger than {MAX_BPMN_BYTES // 1024 // 1024} MB")
        try:
            version = process_version_import(
                service=service,
                authority=authority,
                xml=files[0].read_bytes(),
                filename=files[0].name,
                actor=None,
                supporting=[(p.name, p.read_bytes()) for p in files[1:]],
                channel="cli",
            )
        except Problem as problem:
            raise CommandError(problem.detail_en) from problem
        self.stdout.write(f"{version}: version {version.number} stored ({version.parsed.process_id})")
        for reason in version.execution_problems:
            self.stdout.write(f"  not executable: {reason['element'] or '-'}: {reason['en']}")
        if options["publish"]:
            if not version.executable:
                raise CommandError("the version cannot run, so it was not published")
            process_version_publish(version=version, actor=None)
            self.stdout.write("published")
