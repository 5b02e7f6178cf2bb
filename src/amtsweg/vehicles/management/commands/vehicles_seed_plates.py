"""``amtsweg vehicles_seed_plates N``: N issued plates in the local register, deterministically.

For the benchmark of the availability check and for demo districts: the same N (and offset) give
the same plates on every run, spread evenly over the plate space of the prefixes (every letter
group, numbers 1 to 9999), with every 20th an electric (``E``) and every 97th a historic (``H``)
plate. Plates that exist already are skipped (``bulk_create(ignore_conflicts=True)``), so running
it twice adds nothing.
"""

from __future__ import annotations

from argparse import ArgumentParser
from collections.abc import Iterator
from datetime import date
from math import gcd
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from amtsweg.vehicles.models import RegisteredVehicle
from amtsweg.vehicles.plates import LETTER_ALPHABET, Plate, PlateInvalid

LETTER_GROUPS = [*LETTER_ALPHABET, *(a + b for a in LETTER_ALPHABET for b in LETTER_ALPHABET)]
NUMBERS = 9999
MAKES = [("VW", "Golf"), ("Opel", "Corsa"), ("Ford", "Focus"), ("BMW", "3er"), ("Renault", "Zoe")]
FAMILY_NAMES = ["Schmitz", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker"]


def _step(total: int) -> int:
    """A stride coprime to ``total`` near the golden ratio of it: consecutive indexes land far apart."""
    step = int(total * 0.6180339887) | 1
    while gcd(step, total) != 1:
        step += 2
    return step


def seeded_plates(count: int, *, prefixes: tuple[str, ...], offset: int = 0) -> Iterator[tuple[int, Plate]]:
    """The plates number ``offset`` to ``offset + count - 1`` of the deterministic sequence, each
    with its index in the plate space (used for the vehicle identification number)."""
    per_prefix = len(LETTER_GROUPS) * NUMBERS
    total = len(prefixes) * per_prefix
    if count + offset > total:
        raise CommandError(f"only {total} plates exist for {', '.join(prefixes)}")
    step = _step(total)
    produced = 0
    position = 0
    while produced < offset + count:
        index = (position * step) % total
        position += 1
        prefix = prefixes[index // per_prefix]
        letters = LETTER_GROUPS[(index % per_prefix) // NUMBERS]
        number = index % NUMBERS + 1
        suffix = "E" if position % 20 == 0 else "H" if position % 97 == 0 else ""
        try:
            plate = Plate(prefix, letters, str(number), suffix)
        except PlateInvalid:  # too long for a three-letter prefix, or a forbidden combination
            continue
        produced += 1
        if produced > offset:
            yield index, plate


class Command(BaseCommand):
    help = "Put N deterministic issued plates into the local vehicle register (RegisteredVehicle)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("count", type=int, help="how many plates")
        parser.add_argument("--offset", type=int, default=0, help="start further in the sequence")
        parser.add_argument(
            "--prefixes", default="", help="comma-separated prefixes (default: VEHICLES_PREFIXES)"
        )
        parser.add_argument("--batch", type=int, default=5000, help="rows per INSERT")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["count"]
        if count < 0:
            raise CommandError("count must not be negative")
        prefixes = tuple(
            p.strip().upper()
            for p in (options["prefixes"] or ",".join(settings.VEHICLES_PREFIXES)).split(",")
        )
        before = RegisteredVehicle.objects.count()
        batch: list[RegisteredVehicle] = []
        for index, plate in seeded_plates(count, prefixes=prefixes, offset=options["offset"]):
            make, model = MAKES[index % len(MAKES)]
            batch.append(
                RegisteredVehicle(
                    plate=plate.text,
                    vin=f"WAMTS{index:012d}",
                    make=make,
                    model=model,
                    district_prefix=plate.prefix,
                    holder_family_name=FAMILY_NAMES[index % len(FAMILY_NAMES)],
                    holder_given_names="",
                    holder_birth_date=date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
                    holder_street=f"Musterstraße {1 + index % 200}",
                    holder_postcode="41460",
                    holder_city="Neuss",
                )
            )
            if len(batch) >= options["batch"]:
                RegisteredVehicle.objects.bulk_create(batch, ignore_conflicts=True)
                batch = []
        if batch:
            RegisteredVehicle.objects.bulk_create(batch, ignore_conflicts=True)
        added = RegisteredVehicle.objects.count() - before
        self.stdout.write(f"{added} plates added to the register ({before + added} in total).")
