"""``amtsweg payments_check``: compare every open payment with its provider's status now.

The worker runs the same check every night (``payments.check``); this command is for running it by
hand, e.g. after an outage of the provider's notifications.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from amtsweg.payments.check import payments_provider_check


class Command(BaseCommand):
    help = "Ask the payment providers for the status of every open payment and apply differences."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--older-than-minutes",
            type=int,
            default=0,
            help="Only payments not checked within this many minutes (default 0: all open payments).",
        )
        parser.add_argument("--limit", type=int, default=None, help="At most this many payments.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["older_than_minutes"] < 0:
            raise CommandError("--older-than-minutes must not be negative")
        report = payments_provider_check(
            older_than=timedelta(minutes=options["older_than_minutes"]), limit=options["limit"]
        )
        self.stdout.write(json.dumps(report.as_dict(), sort_keys=True))
        if report.unavailable:
            self.stderr.write(f"providers skipped: {', '.join(sorted(report.unavailable))}")
