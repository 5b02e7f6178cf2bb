"""Seeds a large fictitious Baulastenverzeichnis for the benchmarks (bench/baulasten_search.py) and
for trying the register at scale: ``--entries`` entries with their parcels, texts, owners, deletions
and first versions, on the real Gemarkungen of the Rhein-Kreis Neuss.

The texts are drawn from a vocabulary close to real register entries (per kind: obligation phrases,
building types, distances, street names, Flurstück references, legal references; a few rare clauses
such as "Löschwasserzisterne"), so that the German full-text index has a realistic size and mix of
common and rare words. Per entry 1–2 parcels on average: one burdened parcel (15 % of them shared with
an earlier entry: parcels with several Baulasten), a benefiting neighbour parcel for a third of the
entries, two burdened parcels for a Vereinigungsbaulast. About 7 % of the entries are deleted.
``search_text`` is built as the register services build it (kind, text, parcels as shown).

Where: ``--authority AGS`` is the keeping authority (its register is created when it has none);
without it a synthetic keeper "Bench-Kreis" (AGS 09999000) is used, as the other benchmark seeds do.
The Gemarkungen are those in the database; when there are none they are loaded from the app's CSV
(``baulasten/data/gemarkungen_rhein_kreis_neuss.csv``) or ``--gemarkungen FILE``.

How: PostgreSQL: COPY in chunks of 100,000 entries with ids assigned here, the GIN indexes of the full
text and the owner names dropped before and rebuilt after a large seed (``--entries`` ≥ 50,000), then
the versions by ``INSERT … SELECT`` and ANALYZE. SQLite: ``bulk_create`` (for small seeds and tests).

Usage: ``amtsweg baulasten_seed --entries 1000000 [--authority 05162000] [--seed 9]``.
"""

from __future__ import annotations

import csv
import importlib
import random
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from amtsweg.tenancy.models import Alliance, Authority

from ...models import (
    Baulast,
    BaulastKind,
    BaulastParcel,
    BaulastVersion,
    Gemarkung,
    Parcel,
    Register,
)

BENCH_AGS = "09999000"
CHUNK = 100_000
LARGE = 50_000  # from this many entries the GIN indexes are rebuilt rather than maintained
DEFAULT_CSV = Path(__file__).resolve().parents[2] / "data" / "gemarkungen_rhein_kreis_neuss.csv"

STREETS = [
    "Am Obertor", "Büchel", "Further Straße", "Kölner Straße", "Krefelder Straße", "Düsseldorfer Straße",
    "Bergheimer Straße", "Hauptstraße", "Kirchstraße", "Schulstraße", "Gartenstraße", "Lindenstraße",
    "Am Markt", "Bahnhofstraße", "Mühlenstraße", "Rheinstraße", "Jülicher Landstraße", "Venloer Straße",
    "Erftstraße", "Am Hagelkreuz", "Weidenweg", "Birkenweg", "Ahornweg", "Eichenallee", "Buchenweg",
    "Kastanienweg", "Rosenstraße", "Tulpenweg", "Nelkenstraße", "Dahlienweg", "Am Sportplatz",
    "Feldstraße", "Wiesenweg", "Bruchstraße", "Grabenstraße", "Wallstraße", "Friedhofstraße",
    "Kapellenstraße", "Klosterstraße", "Schloßstraße", "Burgstraße", "Mittelstraße", "Neustraße",
    "Römerstraße", "Kaiser-Friedrich-Straße", "Königstraße", "Breite Straße", "Glehner Weg",
    "Hülchrather Straße", "Nordkanalallee", "Stresemannallee", "Jakobusstraße", "Marienkirchplatz",
    "Drususallee", "Augustinusstraße", "Quirinusstraße", "Zollstraße", "Hafenstraße", "Industriestraße",
    "Gewerbering", "Am Bauhof", "Raiffeisenstraße", "Dorfstraße", "Lange Straße", "Kurze Straße",
    "Am Wasserturm", "Mühlenbusch", "An der Erft", "Gierather Straße", "Rommerskirchener Straße",
    "Grevenbroicher Straße", "Neusser Straße", "Dormagener Straße", "Kaarster Straße", "Meerbuscher Straße",
    "Korschenbroicher Straße", "Jüchener Straße", "Am Schützenplatz", "Lessingstraße", "Goethestraße",
    "Schillerstraße", "Uhlandstraße", "Beethovenstraße", "Mozartstraße", "Händelstraße",
]  # fmt: skip
FIRST = [
    "Anna", "Bernd", "Christa", "Dieter", "Elke", "Frank", "Gisela", "Hans", "Ingrid", "Jürgen",
    "Karin", "Lothar", "Monika", "Norbert", "Olga", "Peter", "Renate", "Stefan", "Tanja", "Uwe",
    "Vera", "Werner", "Yvonne", "Zeynep", "Ahmet", "Maria", "Josef", "Heinz", "Ursula", "Thomas",
    "Sabine", "Michael", "Petra", "Andreas", "Birgit", "Klaus", "Helga", "Wolfgang", "Gabriele", "Ralf",
]  # fmt: skip
LAST = [
    "Schmitz", "Müller", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann",
    "Braun", "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Krause", "Meier",
    "Lehmann", "Köhler", "Herrmann", "Kaiser", "Peters", "Jansen", "Hermes", "Büschgens", "Kleinjans",
    "Tillmanns", "Dahmen", "Heinen", "Lennartz", "Esser", "Kox", "Pesch", "Wirtz", "Jakobs", "Yılmaz",
    "Kowalski", "Nowak", "Gerdes", "Brockers",
]  # fmt: skip
BUILDINGS = [
    "Wohnhauses", "Einfamilienhauses", "Doppelhaushälfte", "Reihenhauses", "Mehrfamilienhauses",
    "Wohn- und Geschäftshauses", "Anbaus", "Wintergartens", "Garagengebäudes", "Carports",
    "Lagerhalle", "Werkstattgebäudes", "Bürogebäudes", "Gewerbebetriebs", "Stallgebäudes",
]  # fmt: skip
PURPOSES = [
    "Errichtung eines Einfamilienhauses", "Errichtung einer Doppelhaushälfte", "Aufstockung des Wohnhauses",
    "Nutzungsänderung in eine Gaststätte", "Erweiterung der Lagerhalle", "Neubau eines Mehrfamilienhauses",
    "Umbau zu einem Ärztehaus", "Errichtung eines Verbrauchermarktes", "Anbau eines Wintergartens",
    "Neubau einer Kindertagesstätte", "Errichtung von Büroräumen", "Umnutzung zu Wohnzwecken",
]  # fmt: skip
UTILITIES = [
    "Abwasserleitung", "Regenwasserleitung", "Trinkwasserleitung", "Gasleitung", "Stromleitung",
    "Fernwärmeleitung", "Telekommunikationsleitung", "Mischwasserkanal", "Hausanschlussleitung",
]  # fmt: skip
LEGAL = [
    "Die Baulast wird gemäß § 85 BauO NRW übernommen.",
    "Die Verpflichtung gilt auch für die Rechtsnachfolger.",
    "Die Baulast ist öffentlich-rechtlich und wirkt gegenüber Rechtsnachfolgern.",
    "Die Erklärung wurde vor der Bauaufsichtsbehörde abgegeben und unterschrieben.",
    "Ein Lageplan ist Bestandteil der Baulasterklärung.",
    "Die Unterschrift wurde öffentlich beglaubigt.",
    "Die Baulast kann nur mit Zustimmung der Bauaufsichtsbehörde gelöscht werden.",
    "Übernommen nach § 83 BauO NRW 2000.",
]
RARE = [
    "Auf der Fläche befindet sich eine Löschwasserzisterne, die jederzeit zugänglich bleibt.",
    "Die Trafostation des Versorgungsunternehmens darf nicht überbaut werden.",
    "Die Feuerwehrzufahrt ist dauerhaft freizuhalten und zu kennzeichnen.",
    "Die Grenzgarage darf nicht zu Wohnzwecken genutzt werden.",
    "Die Photovoltaikanlage auf dem Nebengebäude ist zu dulden.",
    "Der Kinderspielplatz wird gemeinsam mit dem Nachbargrundstück genutzt.",
    "Die Brandwand ist als Gebäudeabschlusswand auszuführen.",
    "Das Baudenkmal bleibt in seiner Ansicht von der Straße unverändert.",
    "Die Windenergieanlage hält den Abstand zur Wohnbebauung ein.",
    "Die Rettungswege des Obergeschosses führen über das Nachbargrundstück.",
]
DELETION_REASONS = [
    "Auf Antrag gelöscht: das begünstigte Vorhaben wurde nicht verwirklicht.",
    "Gelöscht, weil das öffentliche Interesse an der Baulast entfallen ist.",
    "Gelöscht nach Vereinigung der Grundstücke im Grundbuch.",
    "Gelöscht: die Stellplätze wurden abgelöst.",
]
KIND_WEIGHTS = [
    (BaulastKind.SETBACK, 38),
    (BaulastKind.PARKING, 22),
    (BaulastKind.ACCESS, 15),
    (BaulastKind.UNION, 12),
    (BaulastKind.UTILITY, 8),
    (BaulastKind.OTHER, 5),
]
KIND_LABELS = {
    "abstandsflaeche": "Abstandsflächenbaulast",
    "stellplatz": "Stellplatzbaulast",
    "zufahrt": "Zufahrts- und Zugangsbaulast",
    "vereinigung": "Vereinigungsbaulast",
    "leitung": "Leitungsbaulast",
    "sonstige": "Sonstige Baulast",
}


def _ranges(text: str) -> list[int]:
    """ "1-12;24;26-31" → [1, …, 12, 24, 26, …, 31]."""
    numbers: list[int] = []
    for part in (text or "").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        low, _, high = part.partition("-")
        if low.isdigit() and (not high or high.isdigit()):
            numbers.extend(range(int(low), int(high or low) + 1))
    return numbers


def load_gemarkungen(path: Path) -> list[tuple[str, str, list[int]]]:
    """(key, name, fluren) from a Gemarkungen CSV: the app's (``key``/``name``/``town``…) or the
    research table (``gemarkung_nr``/``gemarkung_name``/``fluren_in_source``)."""
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(line for line in handle if not line.startswith("#")):
            lowered = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            key = lowered.get("key") or lowered.get("schluessel") or ""
            if not key:
                number = lowered.get("gemarkung_nr") or lowered.get("nummer") or lowered.get("number") or ""
                key = "05" + number.zfill(4) if number else ""
            name = lowered.get("name") or lowered.get("gemarkung_name") or lowered.get("gemarkung") or ""
            fluren = next((v for k, v in lowered.items() if k.startswith("fluren")), "")
            if len(key) == 6 and key.isdigit() and name:
                rows.append((key, name, _ranges(fluren)))
    return rows


class _Drawer:
    """Draws parcels and entries; kennzeichen are unique across the database."""

    def __init__(
        self, rng: random.Random, gemarkungen: list[tuple[int, str, str, list[int]]], taken: set[str]
    ):
        self.rng = rng
        self.gemarkungen = gemarkungen
        self.weights = [max(len(fluren), 3) for *_, fluren in gemarkungen]
        self.taken = taken
        self.recent: list[tuple[int, str]] = []  # (parcel id, display) for shared parcels

    def parcel_key(self, near: tuple[int, str, int | None, int, int | None] | None = None) -> tuple[Any, ...]:
        rng = self.rng
        while True:
            if near is not None and rng.random() < 0.8:
                index, _key, flur, zaehler, _n = near
                zaehler = max(1, zaehler + rng.choice((-2, -1, 1, 2)))
                nenner = rng.randint(1, 12) if rng.random() < 0.5 else None
                near = None
            else:
                index = rng.choices(range(len(self.gemarkungen)), weights=self.weights)[0]
                fluren = self.gemarkungen[index][3]
                flur = rng.choice(fluren) if fluren else rng.randint(1, 40)
                zaehler = rng.randint(1, 2500)
                nenner = rng.randint(1, 40) if rng.random() < 0.55 else None
            flur_value: int | None = flur if rng.random() < 0.98 else None
            key = (
                self.gemarkungen[index][1]
                + (f"{flur_value:03d}" if flur_value is not None else "___")
                + f"{zaehler:05d}"
                + (f"{nenner:04d}" if nenner is not None else "____")
                + "__"
            )
            if key not in self.taken:
                self.taken.add(key)
                return index, key, flur_value, zaehler, nenner


def _display(gemarkung_name: str, flur: int | None, zaehler: int, nenner: int | None) -> str:
    number = f"{zaehler}/{nenner}" if nenner is not None else str(zaehler)
    if flur is None:
        return f"Gemarkung {gemarkung_name}, Flurstück {number}"
    return f"Gemarkung {gemarkung_name}, Flur {flur}, Flurstück {number}"


def _number(zaehler: int, nenner: int | None) -> str:
    return f"{zaehler}/{nenner}" if nenner is not None else str(zaehler)


def entry_text(rng: random.Random, kind: str, burdened: str, benefiting: str, address: str) -> str:
    """A plausible register text for an entry of ``kind`` (Flurstück numbers as written)."""
    other = benefiting or str(rng.randint(1, 2500))
    metres = f"{rng.choice((1, 2, 2.5, 3, 3.5, 4, 5, 6, 8)):.2f}".replace(".", ",")
    if kind == BaulastKind.SETBACK:
        text = rng.choice(
            (
                f"Der jeweilige Eigentümer des Flurstücks {burdened} verpflichtet sich, die Abstandsfläche "
                f"des {rng.choice(BUILDINGS)} auf dem Flurstück {other} in einer Tiefe von {metres} m "
                "von Bebauung freizuhalten.",
                f"Übernahme der Abstandsfläche für das Vorhaben {address} auf das Flurstück {burdened}; "
                f"die Fläche von {rng.randint(8, 90)} m² ist im Lageplan rot schraffiert.",
                f"Die auf dem Flurstück {burdened} liegende Abstandsfläche des {rng.choice(BUILDINGS)} "
                f"{address} ist von baulichen Anlagen freizuhalten.",
            )
        )
    elif kind == BaulastKind.PARKING:
        count = rng.randint(1, 12)
        text = rng.choice(
            (
                f"{count} Stellplätze für das Vorhaben {address} werden auf dem Flurstück {burdened} "
                "hergestellt und dauerhaft zur Verfügung gestellt.",
                f"Der Eigentümer des Flurstücks {burdened} stellt {count} notwendige Stellplätze für die "
                f"{rng.choice(PURPOSES)} auf dem Flurstück {other} bereit.",
                f"Verpflichtung zur Duldung von {count} Einstellplätzen in der Tiefgarage zugunsten "
                f"des Grundstücks {address}.",
            )
        )
    elif kind == BaulastKind.ACCESS:
        text = rng.choice(
            (
                f"Zufahrt zum Hinterliegergrundstück (Flurstück {other}) über einen {metres} m breiten "
                f"Streifen des Flurstücks {burdened}.",
                f"Der Eigentümer des Flurstücks {burdened} duldet die Zu- und Abfahrt zum Grundstück "
                f"{address} und hält den Weg für Rettungsfahrzeuge frei.",
                f"Geh-, Fahr- und Leitungsrecht über das Flurstück {burdened} zugunsten des "
                f"Flurstücks {other}.",
            )
        )
    elif kind == BaulastKind.UNION:
        text = rng.choice(
            (
                f"Die Flurstücke {burdened} und {other} gelten für die {rng.choice(PURPOSES)} als ein "
                "Grundstück im Sinne des Bauordnungsrechts.",
                f"Vereinigungsbaulast: das Vorhaben {address} wird auf den Flurstücken {burdened} und "
                f"{other} so errichtet, als ob sie ein Grundstück wären.",
            )
        )
    elif kind == BaulastKind.UTILITY:
        text = rng.choice(
            (
                f"Duldung einer {rng.choice(UTILITIES)} auf dem Flurstück {burdened} zugunsten des "
                f"Flurstücks {other}; ein Schutzstreifen von {metres} m ist freizuhalten.",
                f"Der Eigentümer des Flurstücks {burdened} duldet die Verlegung, Unterhaltung und "
                f"Erneuerung der {rng.choice(UTILITIES)} für das Grundstück {address}.",
            )
        )
    else:
        text = rng.choice(
            (
                f"Der Eigentümer des Flurstücks {burdened} verpflichtet sich, die Fläche als "
                f"Kinderspielfläche für das Vorhaben {address} bereitzuhalten.",
                f"Anbauverpflichtung: auf dem Flurstück {burdened} ist an die Grenze zum Flurstück {other} "
                "anzubauen.",
                f"Der Eigentümer des Flurstücks {burdened} verpflichtet sich, die Fläche von "
                f"{rng.randint(20, 400)} m² als Grünfläche zu erhalten.",
            )
        )
    extra = [rng.choice(LEGAL)] if rng.random() < 0.6 else []
    if rng.random() < 0.04:
        extra.append(rng.choice(RARE))
    return " ".join([text, *extra])


class Command(BaseCommand):
    help = "Seeds a large fictitious Baulastenverzeichnis (entries, parcels, versions) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entries", type=int, default=1_000_000)
        parser.add_argument(
            "--authority", default="", help="AGS of the keeping authority (default: Bench-Kreis)"
        )
        parser.add_argument("--seed", type=int, default=9)
        parser.add_argument("--gemarkungen", default="", help="CSV of Gemarkungen when the database has none")

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["entries"]
        if count < 1:
            raise CommandError("--entries must be at least 1")
        started = time.perf_counter()
        register = self._register(options["authority"])
        gemarkungen = self._gemarkungen(options["gemarkungen"])
        postgres = connection.vendor == "postgresql"
        rng = random.Random(options["seed"])
        taken = set(Parcel.objects.values_list("kennzeichen", flat=True))
        drawer = _Drawer(rng, gemarkungen, taken)
        next_parcel = (Parcel.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        next_entry = (Baulast.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        first_entry = next_entry
        sheet = (Baulast.objects.filter(register=register).aggregate(m=Max("sheet"))["m"] or 0) + 1
        rebuild = postgres and count >= LARGE
        if rebuild:
            self._drop_gin()
        links_total = parcels_total = 0
        done = 0
        while done < count:
            size = min(CHUNK, count - done)
            chunk_started = time.perf_counter()
            parcels, entries, links, sheet = self._draw_chunk(
                drawer, register, size, next_parcel, next_entry, sheet
            )
            with transaction.atomic():
                if postgres:
                    self._copy_postgres(register, parcels, entries, links)
                else:
                    self._bulk_sqlite(register, parcels, entries, links)
            next_parcel += len(parcels)
            next_entry += len(entries)
            parcels_total += len(parcels)
            links_total += len(links)
            done += size
            self.stdout.write(
                f"  {done:>9} entries, {parcels_total} parcels, {links_total} links "
                f"({time.perf_counter() - chunk_started:.1f} s for this chunk)",
            )
        self._versions(first_entry, next_entry - 1, postgres)
        if postgres:
            self._reset_sequences()
        if rebuild:
            indexed = time.perf_counter()
            self._create_gin()
            self.stdout.write(f"full-text and owner indexes: {time.perf_counter() - indexed:.1f} s")
        with connection.cursor() as cursor:
            for table in (
                "baulasten_parcel",
                "baulasten_baulast",
                "baulasten_baulastparcel",
                "baulasten_baulastversion",
            ):
                cursor.execute(f"ANALYZE {table}")
        self.stdout.write(
            self.style.SUCCESS(
                f"seeded {count} entries, {parcels_total} parcels, {links_total} parcel links into "
                f"{register} in {time.perf_counter() - started:.1f} s ({connection.vendor})"
            )
        )

    # --- setup --------------------------------------------------------------------------------------

    def _register(self, ags: str) -> Register:
        if ags:
            try:
                authority = Authority.objects.get(ags=ags)
            except Authority.DoesNotExist:
                raise CommandError(f"no authority with AGS {ags}") from None
        else:
            alliance, _ = Alliance.objects.get_or_create(
                slug="bench-bund", defaults={"name": "Bench-Verbund"}
            )
            authority, _ = Authority.objects.get_or_create(
                ags=BENCH_AGS,
                defaults={
                    "alliance": alliance,
                    "kind": Authority.Kind.KREIS,
                    "name": "Bench-Kreis",
                    "official_name": "Bench-Kreis (synthetisch)",
                    "slug": "bench-kreis",
                    "regional_key": BENCH_AGS[:5] + "0000000",
                },
            )
        register, _ = Register.objects.get_or_create(
            authority=authority, defaults={"name": f"Baulastenverzeichnis {authority.name}"}
        )
        return register

    def _gemarkungen(self, path: str) -> list[tuple[int, str, str, list[int]]]:
        source = Path(path) if path else DEFAULT_CSV
        fluren: dict[str, list[int]] = {}
        if source.exists():
            for key, name, numbers in load_gemarkungen(source):
                fluren[key] = numbers
                if not Gemarkung.objects.filter(key=key).exists():
                    Gemarkung.objects.create(key=key, name=name)
        rows = [
            (pk, key, name, fluren.get(key, []))
            for pk, key, name in Gemarkung.objects.order_by("key").values_list("id", "key", "name")
        ]
        if not rows:
            raise CommandError(
                f"no Gemarkungen in the database and no CSV at {source}: run "
                "`amtsweg baulasten_import_gemarkungen` or pass --gemarkungen FILE"
            )
        return rows

    # --- drawing ------------------------------------------------------------------------------------

    def _draw_chunk(
        self, drawer: _Drawer, register: Register, size: int, next_parcel: int, next_entry: int, sheet: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, int, str]], int]:
        rng = drawer.rng
        kinds, weights = zip(*KIND_WEIGHTS, strict=True)
        parcels: list[tuple[Any, ...]] = []
        entries: list[tuple[Any, ...]] = []
        links: list[tuple[int, int, str]] = []
        today = timezone.localdate()
        on_sheet = 0
        per_sheet = rng.choice((1, 1, 1, 2, 2, 3))

        def new_parcel(near: tuple[Any, ...] | None = None) -> tuple[int, str, tuple[Any, ...]]:
            """A new parcel: (id, "display\nlocation" as the search text shows it, its parts)."""
            nonlocal next_parcel
            index, key, flur, zaehler, nenner = drawer.parcel_key(near)
            gemarkung_id, _gkey, gname, _f = drawer.gemarkungen[index]
            location = f"{rng.choice(STREETS)} {rng.randint(1, 180)}" if rng.random() < 0.9 else ""
            pid = next_parcel
            next_parcel += 1
            parcels.append((pid, key, gemarkung_id, flur, zaehler, nenner, None, location))
            display = _display(gname, flur, zaehler, nenner)
            if location:
                display += "\n" + location
            drawer.recent.append((pid, display))
            if len(drawer.recent) > 5000:
                del drawer.recent[: len(drawer.recent) - 5000]
            return pid, display, (index, key, flur, zaehler, nenner)

        for _ in range(size):
            if on_sheet >= per_sheet:
                sheet += 1
                on_sheet = 0
                per_sheet = rng.choice((1, 1, 1, 2, 2, 3))
            on_sheet += 1
            kind = rng.choices(kinds, weights=weights)[0]
            entry_id = next_entry + len(entries)
            displays: list[str] = []
            if drawer.recent and rng.random() < 0.15:
                pid, display = rng.choice(drawer.recent)
                burdened_number = display.split("\n", 1)[0].rsplit(" ", 1)[-1]
                near = None
            else:
                pid, display, near = new_parcel()
                burdened_number = _number(near[3], near[4])
            links.append((entry_id, pid, "belastet"))
            displays.append(display)
            benefiting_number = ""
            if kind == BaulastKind.UNION or rng.random() < 0.33:
                other, other_display, other_near = new_parcel(near)
                role = "belastet" if kind == BaulastKind.UNION else "beguenstigt"
                links.append((entry_id, other, role))
                displays.append(other_display)
                benefiting_number = _number(other_near[3], other_near[4])
            address = f"{rng.choice(STREETS)} {rng.randint(1, 180)}"
            text = entry_text(rng, kind, burdened_number, benefiting_number, address)
            entered = date(1962, 1, 1) + timedelta(days=rng.randint(0, (today - date(1962, 1, 1)).days))
            deleted_on: date | None = None
            reason = ""
            if rng.random() < 0.07:
                deleted_on = min(today, entered + timedelta(days=rng.randint(200, 12000)))
                reason = rng.choice(DELETION_REASONS)
            obligors = " und ".join(
                f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.choice((1, 1, 1, 2)))
            )
            reference = f"63-{entered.year}-{entry_id % 100000:05d}"
            # As services_register._search_text builds it: kind, text, the parcels (benefiting first,
            # as the role sorts) with their Lage, the file reference.
            if len(displays) == 2 and links[-1][2] == "beguenstigt":
                displays.reverse()
            search_text = "\n".join([KIND_LABELS[kind], text, *displays, reference])
            entries.append(
                (
                    entry_id,
                    sheet,
                    on_sheet,
                    kind,
                    text,
                    obligors,
                    entered,
                    deleted_on,
                    reason,
                    reference,
                    search_text,
                    2 if deleted_on else 1,
                )
            )
        return parcels, entries, links, sheet + 1  # the next free sheet

    # --- writing ------------------------------------------------------------------------------------

    def _copy_postgres(
        self,
        register: Register,
        parcels: list[tuple[Any, ...]],
        entries: list[tuple[Any, ...]],
        links: list[tuple[int, int, str]],
    ) -> None:
        now = timezone.now()
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(
                "COPY baulasten_parcel (id, kennzeichen, gemarkung_id, flur, zaehler, nenner, folge, "
                "location) FROM STDIN"
            ) as copy:
                for row in parcels:
                    copy.write_row(row)
            with raw.copy(
                "COPY baulasten_baulast (id, register_id, authority_id, sheet, number, kind, text, obligors, "
                "entered_on, deleted_on, deletion_reason, file_reference, search_text, version, created_at, "
                "updated_at) FROM STDIN"
            ) as copy:
                for (
                    eid,
                    sheet,
                    number,
                    kind,
                    text,
                    obligors,
                    entered,
                    deleted,
                    reason,
                    ref,
                    search,
                    ver,
                ) in entries:
                    copy.write_row(
                        (eid, register.pk, register.authority_id, sheet, number, kind, text, obligors,
                         entered, deleted, reason, ref, search, ver, now, now)
                    )  # fmt: skip
            with raw.copy("COPY baulasten_baulastparcel (baulast_id, parcel_id, role) FROM STDIN") as copy:
                for link in links:
                    copy.write_row(link)

    def _bulk_sqlite(
        self,
        register: Register,
        parcels: list[tuple[Any, ...]],
        entries: list[tuple[Any, ...]],
        links: list[tuple[int, int, str]],
    ) -> None:
        Parcel.objects.bulk_create(
            (
                Parcel(
                    id=pid,
                    kennzeichen=key,
                    gemarkung_id=g,
                    flur=flur,
                    zaehler=z,
                    nenner=n,
                    folge=f,
                    location=loc,
                )
                for pid, key, g, flur, z, n, f, loc in parcels
            ),
            batch_size=2000,
        )
        Baulast.objects.bulk_create(
            (
                Baulast(
                    id=eid, register=register, authority_id=register.authority_id, sheet=sheet, number=number,
                    kind=kind, text=text, obligors=obligors, entered_on=entered, deleted_on=deleted,
                    deletion_reason=reason, file_reference=ref, search_text=search, version=ver,
                )
                for eid, sheet, number, kind, text, obligors, entered, deleted, reason, ref, search, ver
                in entries
            ),
            batch_size=1000,
        )  # fmt: skip
        BaulastParcel.objects.bulk_create(
            (BaulastParcel(baulast_id=e, parcel_id=p, role=r) for e, p, r in links), batch_size=2000
        )

    def _versions(self, first: int, last: int, postgres: bool) -> None:
        """Version 1 (created) for every seeded entry, version 2 (deleted) for the deleted ones."""
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO baulasten_baulastversion "
                    "(baulast_id, number, change, channel, at, snapshot) "
                    "SELECT id, 1, 'created', 'seed', "
                    "(entered_on + time '09:00') AT TIME ZONE 'Europe/Berlin', "
                    "jsonb_build_object('sheet', sheet, 'number', number, 'kind', kind, 'text', text, "
                    "'entered_on', entered_on) FROM baulasten_baulast WHERE id BETWEEN %s AND %s",
                    [first, last],
                )
                cursor.execute(
                    "INSERT INTO baulasten_baulastversion "
                    "(baulast_id, number, change, channel, at, snapshot) "
                    "SELECT id, 2, 'deleted', 'seed', "
                    "(deleted_on + time '09:00') AT TIME ZONE 'Europe/Berlin', "
                    "jsonb_build_object('deleted_on', deleted_on, 'deletion_reason', deletion_reason) "
                    "FROM baulasten_baulast WHERE id BETWEEN %s AND %s AND deleted_on IS NOT NULL",
                    [first, last],
                )
            return
        now = timezone.now()

        def versions() -> Iterator[BaulastVersion]:
            fields = ("id", "sheet", "number", "kind", "text", "entered_on", "deleted_on", "deletion_reason")
            for eid, sheet, number, kind, text, entered, deleted, reason in Baulast.objects.filter(
                id__gte=first, id__lte=last
            ).values_list(*fields):
                snapshot = {
                    "sheet": sheet,
                    "number": number,
                    "kind": kind,
                    "text": text,
                    "entered_on": str(entered),
                }
                yield BaulastVersion(
                    baulast_id=eid, number=1, change="created", channel="seed", at=now, snapshot=snapshot
                )
                if deleted:
                    yield BaulastVersion(
                        baulast_id=eid, number=2, change="deleted", channel="seed", at=now,
                        snapshot={"deleted_on": str(deleted), "deletion_reason": reason},
                    )  # fmt: skip

        BaulastVersion.objects.bulk_create(versions(), batch_size=2000)

    def _reset_sequences(self) -> None:
        with connection.cursor() as cursor:
            for table in ("baulasten_parcel", "baulasten_baulast"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608 - constant names
                )

    def _index_migration(self) -> Any:
        return importlib.import_module("amtsweg.baulasten.migrations.0002_fulltext_indexes")

    def _drop_gin(self) -> None:
        migration = self._index_migration()
        with connection.cursor() as cursor:
            for name in [*migration.FULLTEXT, *migration.TRIGRAM]:
                if name.startswith("baulasten_entry"):
                    cursor.execute(f'DROP INDEX IF EXISTS "{name}"')

    def _create_gin(self) -> None:
        """The entries' indexes exactly as migration 0002 defines them (same names and definitions)."""
        migration = self._index_migration()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '1GB'")
            for name, (table, *_) in migration.FULLTEXT.items():
                if table == "baulasten_baulast":
                    cursor.execute(migration.index_sql(name))
            cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
            if cursor.fetchone():
                for name in migration.TRIGRAM:
                    cursor.execute(migration.trigram_sql(name))
