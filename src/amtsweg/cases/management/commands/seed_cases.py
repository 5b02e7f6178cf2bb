"""``amtsweg seed_cases --count 1000000 [--authority AGS]``: synthetic cases for benchmarks."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from amtsweg.cases.seeding import cases_seed
from amtsweg.tenancy.models import Authority


class Command(BaseCommand):
    help = (
        "Create synthetic cases (Vorgänge) over the authorities, their services, teams and staff, for "
        "benchmarks and load tests. Use a separate database: seeded cases are not meant to be removed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, default=10_000, help="how many cases (default 10000)")
        parser.add_argument(
            "--authority",
            action="append",
            default=[],
            metavar="AGS",
            help="only this authority (repeatable); default: every authority that offers a service",
        )
        parser.add_argument("--years", type=int, default=6, help="spread over this many years (default 6)")
        parser.add_argument("--seed", type=int, default=1, help="random seed, for repeatable data")

    def handle(
        self, *args: Any, count: int, authority: list[str], years: int, seed: int, **options: Any
    ) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1")
        if not 1 <= years <= 30:
            raise CommandError("--years must be between 1 and 30")
        authorities = None
        if authority:
            found = list(Authority.objects.filter(ags__in=authority).order_by("ags"))
            unknown = sorted(set(authority) - {a.ags for a in found})
            if unknown:
                raise CommandError(f"unknown authority (AGS): {', '.join(unknown)}")
            authorities = found
        started = time.perf_counter()
        verbose = int(options.get("verbosity", 1)) > 1
        try:
            summary = cases_seed(
                count=count,
                authorities=authorities,
                years=years,
                seed=seed,
                progress=self.stdout.write if verbose else None,
            )
        except RuntimeError as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"{summary.created} Vorgänge in {seconds:.1f} s angelegt "
                f"({summary.created / max(seconds, 1e-9):.0f}/s): "
                + ", ".join(f"{ags}: {n}" for ags, n in sorted(summary.per_authority.items()))
            )
        )
