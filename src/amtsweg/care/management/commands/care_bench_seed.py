"""Seeds a nationwide care-finder data set for the benchmarks (bench/care_search.py): facilities spread
over Germany with a population-like density, 1–3 care offers each, specialisations and languages, and a
history of daily vacancy reports (one year by default: about 10 million ``VacancyReport`` rows).

All facilities belong to ONE synthetic Kreis ("Bench-Kreis", AGS 09999000) with one care finder and one
operator: the search reads the finders' staleness limits per query and filters by the supervising
authority, so one finder is the cheapest case for that part of the query; the spatial part (what the
benchmark is about) is the same however the facilities are split between Kreise.

Coordinates are drawn from a seeded random generator: about 60 % in Gaussian clouds around the 80
largest German cities (spread and share growing with the population), the rest uniformly inside a
rough outline of Germany. Each offer's current state (``free_now``, ``reported_at``, ``expected``) is
its last report; the earlier reports are one a day before it. On PostgreSQL the rows are written with
COPY and the history with ``INSERT … SELECT generate_series`` (in chunks of offers, one transaction
each); on SQLite with ``executemany`` in large transactions.

Usage: ``amtsweg care_bench_seed [--facilities 16000] [--days 365] [--seed 7] [--no-history]``.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from amtsweg.identity.models import Organisation
from amtsweg.tenancy.models import Alliance, Authority

from ...models import CareFinder, CareOffer, CareType, Facility, Specialisation, VacancyReport

BENCH_AGS = "09999000"

# The 80 largest German cities: (name, latitude, longitude, population in thousands).
CITIES: list[tuple[str, float, float, int]] = [
    ("Berlin", 52.520, 13.405, 3645),
    ("Hamburg", 53.551, 9.994, 1841),
    ("München", 48.137, 11.575, 1472),
    ("Köln", 50.938, 6.960, 1084),
    ("Frankfurt am Main", 50.110, 8.682, 753),
    ("Stuttgart", 48.776, 9.183, 635),
    ("Düsseldorf", 51.227, 6.774, 619),
    ("Leipzig", 51.340, 12.375, 597),
    ("Dortmund", 51.514, 7.466, 588),
    ("Essen", 51.456, 7.012, 582),
    ("Bremen", 53.079, 8.802, 567),
    ("Dresden", 51.051, 13.738, 556),
    ("Hannover", 52.376, 9.732, 535),
    ("Nürnberg", 49.452, 11.077, 518),
    ("Duisburg", 51.435, 6.762, 498),
    ("Bochum", 51.482, 7.216, 365),
    ("Wuppertal", 51.256, 7.151, 355),
    ("Bielefeld", 52.030, 8.532, 334),
    ("Bonn", 50.737, 7.098, 330),
    ("Münster", 51.960, 7.626, 316),
    ("Mannheim", 49.487, 8.466, 310),
    ("Karlsruhe", 49.007, 8.404, 308),
    ("Augsburg", 48.370, 10.898, 296),
    ("Wiesbaden", 50.078, 8.240, 278),
    ("Mönchengladbach", 51.180, 6.442, 261),
    ("Gelsenkirchen", 51.518, 7.086, 260),
    ("Aachen", 50.775, 6.084, 249),
    ("Braunschweig", 52.269, 10.521, 249),
    ("Kiel", 54.323, 10.123, 247),
    ("Chemnitz", 50.828, 12.921, 243),
    ("Halle (Saale)", 51.483, 11.970, 238),
    ("Magdeburg", 52.120, 11.628, 237),
    ("Freiburg im Breisgau", 47.999, 7.842, 231),
    ("Krefeld", 51.339, 6.586, 227),
    ("Mainz", 49.993, 8.247, 218),
    ("Lübeck", 53.866, 10.686, 216),
    ("Erfurt", 50.978, 11.029, 214),
    ("Oberhausen", 51.470, 6.852, 209),
    ("Rostock", 54.092, 12.099, 209),
    ("Kassel", 51.312, 9.481, 201),
    ("Hagen", 51.367, 7.463, 189),
    ("Potsdam", 52.391, 13.064, 183),
    ("Saarbrücken", 49.240, 6.997, 180),
    ("Hamm", 51.681, 7.815, 179),
    ("Ludwigshafen am Rhein", 49.477, 8.445, 172),
    ("Mülheim an der Ruhr", 51.431, 6.881, 170),
    ("Oldenburg", 53.143, 8.214, 170),
    ("Osnabrück", 52.279, 8.047, 165),
    ("Leverkusen", 51.046, 6.984, 163),
    ("Darmstadt", 49.873, 8.651, 160),
    ("Heidelberg", 49.399, 8.672, 160),
    ("Solingen", 51.171, 7.083, 159),
    ("Herne", 51.538, 7.225, 156),
    ("Neuss", 51.198, 6.691, 153),
    ("Regensburg", 49.013, 12.102, 153),
    ("Paderborn", 51.718, 8.757, 152),
    ("Ingolstadt", 48.766, 11.426, 138),
    ("Offenbach am Main", 50.096, 8.776, 131),
    ("Fürth", 49.477, 10.989, 129),
    ("Würzburg", 49.792, 9.953, 127),
    ("Ulm", 48.401, 9.988, 126),
    ("Heilbronn", 49.142, 9.219, 126),
    ("Pforzheim", 48.892, 8.695, 125),
    ("Wolfsburg", 52.423, 10.787, 124),
    ("Göttingen", 51.541, 9.916, 118),
    ("Bottrop", 51.524, 6.929, 117),
    ("Reutlingen", 48.491, 9.204, 116),
    ("Koblenz", 50.356, 7.594, 114),
    ("Bremerhaven", 53.540, 8.581, 113),
    ("Recklinghausen", 51.614, 7.198, 110),
    ("Erlangen", 49.590, 11.004, 113),
    ("Bergisch Gladbach", 50.992, 7.136, 111),
    ("Jena", 50.927, 11.589, 110),
    ("Remscheid", 51.179, 7.189, 111),
    ("Trier", 49.750, 6.637, 110),
    ("Salzgitter", 52.150, 10.333, 104),
    ("Moers", 51.451, 6.627, 104),
    ("Siegen", 50.875, 8.024, 101),
    ("Hildesheim", 52.151, 9.951, 101),
    ("Cottbus", 51.757, 14.329, 99),
]

# A rough outline of Germany (latitude, longitude), clockwise from the Danish border; the rural spread
# is uniform inside it.
OUTLINE: list[tuple[float, float]] = [
    (54.91, 8.35),
    (54.80, 9.95),
    (54.45, 11.10),
    (54.10, 11.80),
    (54.45, 12.50),
    (54.70, 13.40),
    (54.15, 14.20),
    (53.40, 14.40),
    (52.60, 14.65),
    (51.85, 14.70),
    (51.05, 15.00),
    (50.85, 14.30),
    (50.65, 13.30),
    (50.20, 12.15),
    (49.95, 12.45),
    (49.30, 12.70),
    (48.75, 13.70),
    (48.30, 13.40),
    (47.60, 13.00),
    (47.50, 12.20),
    (47.30, 10.30),
    (47.55, 9.60),
    (47.60, 8.50),
    (47.55, 7.60),
    (48.10, 7.60),
    (48.95, 8.20),
    (49.20, 6.80),
    (49.45, 6.35),
    (49.90, 6.20),
    (50.35, 6.40),
    (50.75, 6.00),
    (51.40, 6.20),
    (51.85, 5.95),
    (52.20, 7.00),
    (52.65, 7.05),
    (53.30, 7.20),
    (53.65, 7.00),
    (53.80, 8.20),
    (53.90, 8.90),
    (54.40, 8.60),
]

# (care type, weight) — how often a facility offers it; drawn without replacement for 1–3 offers.
CARE_TYPE_WEIGHTS = [
    (CareType.FULL_TIME, 50),
    (CareType.HOME_CARE, 30),
    (CareType.SHORT_TERM, 25),
    (CareType.DAY_CARE, 22),
    (CareType.SHARED_HOUSING, 6),
    (CareType.NIGHT_CARE, 3),
]
CAPACITY = {
    CareType.FULL_TIME: (40, 160),
    CareType.SHORT_TERM: (4, 20),
    CareType.DAY_CARE: (10, 30),
    CareType.NIGHT_CARE: (4, 12),
    CareType.HOME_CARE: (20, 120),
    CareType.SHARED_HOUSING: (6, 12),
}
SPECIALISATION_SHARE = {
    Specialisation.DEMENTIA: 0.45,
    Specialisation.VENTILATION: 0.06,
    Specialisation.YOUNG_CARE: 0.08,
    Specialisation.PALLIATIVE: 0.15,
    Specialisation.PETS: 0.20,
    Specialisation.PROTECTED: 0.12,
    Specialisation.PERSISTENT_VEGETATIVE: 0.03,
    Specialisation.ADDICTION: 0.04,
    Specialisation.CULTURE: 0.07,
    Specialisation.BARRIER_FREE: 0.35,
}
LANGUAGE_SHARE = {"en": 0.35, "tr": 0.10, "ru": 0.08, "pl": 0.08, "ar": 0.04, "it": 0.03, "uk": 0.05}
NAME_PARTS = (
    ["Haus", "Seniorenzentrum", "Pflegeheim", "Residenz", "Pflegedienst", "Tagespflege", "Stift"],
    [
        "Sonnenhof",
        "Am Park",
        "Lindenhof",
        "Rosengarten",
        "Kastanienhof",
        "Am Rhein",
        "St. Anna",
        "Abendrot",
        "Waldblick",
        "Am Markt",
        "Eichenhain",
        "Mühlenbach",
    ],
)
CHUNK = 2000  # offers per history transaction


def _inside(lat: float, lon: float, polygon: list[tuple[float, float]]) -> bool:
    inside = False
    j = len(polygon) - 1
    for i, (lat_i, lon_i) in enumerate(polygon):
        lat_j, lon_j = polygon[j]
        if (lon_i > lon) != (lon_j > lon) and lat < (lat_j - lat_i) * (lon - lon_i) / (lon_j - lon_i) + lat_i:
            inside = not inside
        j = i
    return inside


def draw_point(rng: random.Random, city_weights: list[float]) -> tuple[float, float, str]:
    """A facility location: near a large city (60 %) or anywhere in Germany (40 %); with the city."""
    if rng.random() < 0.6:
        name, lat, lon, population = rng.choices(CITIES, weights=city_weights)[0]
        sigma_km = 2.0 + 1.2 * math.sqrt(population / 100)
        lat += rng.gauss(0, sigma_km) / 111.2
        lon += rng.gauss(0, sigma_km) / (111.2 * math.cos(math.radians(lat)))
        return lat, lon, name
    while True:
        lat, lon = rng.uniform(47.27, 55.06), rng.uniform(5.87, 15.04)
        if _inside(lat, lon, OUTLINE):
            return lat, lon, ""


class _Postcodes:
    """Nearest postcode of a point from the bundled table (a 0.1° grid), for realistic addresses."""

    def __init__(self) -> None:
        from ... import geocoding

        self.grid: dict[tuple[int, int], list[tuple[float, float, str, str]]] = {}
        try:
            table = geocoding._table()
        except Exception:
            return
        for code, pc in table.postcodes.items():
            key = (int(pc.latitude * 10), int(pc.longitude * 10))
            places = getattr(pc, "places", None) or (getattr(pc, "place", ""),)
            self.grid.setdefault(key, []).append((pc.latitude, pc.longitude, code, str(places[0])))

    def nearest(self, lat: float, lon: float) -> tuple[str, str]:
        base = (int(lat * 10), int(lon * 10))
        for ring in range(0, 6):
            found = [
                entry
                for dlat in range(-ring, ring + 1)
                for dlon in range(-ring, ring + 1)
                for entry in self.grid.get((base[0] + dlat, base[1] + dlon), ())
            ]
            if found:
                best = min(found, key=lambda e: (e[0] - lat) ** 2 + ((e[1] - lon) * 0.63) ** 2)
                return best[2], best[3]
        return "99999", "Landkreis"


class Command(BaseCommand):
    help = "Seeds the nationwide care-finder benchmark data set (facilities, offers, a year of reports)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--facilities", type=int, default=16000)
        parser.add_argument("--days", type=int, default=365, help="days of daily reports (incl. today)")
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--no-history", action="store_true", help="only the current state")

    def handle(self, *args: Any, **options: Any) -> None:
        facilities, days, seed = options["facilities"], options["days"], options["seed"]
        if facilities < 1 or days < 1:
            raise CommandError("--facilities and --days must be at least 1")
        history_days = 0 if options["no_history"] else days - 1
        started = time.perf_counter()
        now = timezone.now().replace(microsecond=0)
        authority, operator = self._bench_kreis()
        if Facility.objects.filter(authority=authority).exists():
            raise CommandError(
                f"the bench Kreis {BENCH_AGS} already has facilities: seed into a fresh database"
            )
        rng = random.Random(seed)
        facility_rows, offer_plans = self._draw(rng, facilities, now)
        drawn = time.perf_counter()
        self.stdout.write(
            f"drawn {facilities} facilities, {len(offer_plans)} offers: {drawn - started:.1f} s"
        )

        postgres = connection.vendor == "postgresql"
        with transaction.atomic():
            facility_ids = self._insert_facilities(authority, operator, facility_rows, postgres)
            offer_ids = self._insert_offers(facility_ids, offer_plans, postgres)
            self._insert_last_reports(offer_ids, offer_plans, postgres)
        current = time.perf_counter()
        self.stdout.write(f"facilities, offers and last reports: {current - drawn:.1f} s")

        if history_days:
            if postgres:
                rows = self._history_postgres(offer_ids, history_days, seed)
            else:
                rows = self._history_sqlite(offer_ids, offer_plans, history_days, seed)
            history = time.perf_counter()
            self.stdout.write(f"history: {rows} reports over {history_days} days: {history - current:.1f} s")
        # Fresh statistics: without them SQLite's planner walks the authority index (every facility of
        # the Kreis) instead of the latitude/longitude index, and PostgreSQL misjudges the new rows.
        analyzed = time.perf_counter()
        with connection.cursor() as cursor:
            for table in ("care_facility", "care_careoffer", "care_vacancyreport"):
                cursor.execute(f"ANALYZE {table}")
        self.stdout.write(f"analyze: {time.perf_counter() - analyzed:.1f} s")
        total = VacancyReport.objects.filter(offer__facility__authority=authority).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"seeded {facilities} facilities, {len(offer_ids)} offers, {total} reports "
                f"in {time.perf_counter() - started:.1f} s ({connection.vendor})"
            )
        )

    # --- setup --------------------------------------------------------------------------------------

    def _bench_kreis(self) -> tuple[Authority, Organisation]:
        alliance, _ = Alliance.objects.get_or_create(slug="bench-bund", defaults={"name": "Bench-Verbund"})
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
        CareFinder.objects.get_or_create(authority=authority)
        operator, _ = Organisation.objects.get_or_create(
            identifier="BENCH-1", defaults={"name": "Bench-Träger gGmbH"}
        )
        return authority, operator

    def _draw(
        self, rng: random.Random, count: int, now: datetime
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        city_weights = [float(population) for *_, population in CITIES]
        postcodes = _Postcodes()
        types, weights = zip(*CARE_TYPE_WEIGHTS, strict=True)
        facilities: list[dict[str, Any]] = []
        offers: list[dict[str, Any]] = []
        for index in range(count):
            lat, lon, city = draw_point(rng, city_weights)
            postcode, town = postcodes.nearest(lat, lon)
            bits = 0
            for bit, (_code, share) in enumerate(SPECIALISATION_SHARE.items()):
                if rng.random() < share:
                    bits |= 1 << bit
            languages = ["de"] + [code for code, share in LANGUAGE_SHARE.items() if rng.random() < share]
            facilities.append(
                {
                    "name": f"{rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {index + 1}",
                    "street": f"Benchstraße {rng.randint(1, 200)}",
                    "postcode": postcode,
                    "town": city or town,
                    "latitude": round(lat, 6),
                    "longitude": round(lon, 6),
                    "specialisation_bits": bits,
                    "languages": languages,
                }
            )
            # 1 offer (45 %), 2 (40 %) or 3 (15 %): 1.7 on average.
            wanted = rng.choices([1, 2, 3], weights=[45, 40, 15])[0]
            chosen: list[str] = []
            while len(chosen) < wanted:
                care_type = rng.choices(types, weights=weights)[0]
                if care_type not in chosen:
                    chosen.append(care_type)
            # Most facilities reported within the last day; some stopped a few days ago (stale).
            gap_days = 0 if rng.random() < 0.9 else rng.randint(1, 10)
            for care_type in sorted(chosen):
                low, high = CAPACITY[CareType(care_type)]
                capacity = rng.randint(low, high)
                free = _free_places(rng, capacity)
                reported_at = now - timedelta(days=gap_days, minutes=rng.randint(5, 20 * 60))
                expected: list[dict[str, Any]] = []
                if rng.random() < 0.2:
                    day = timezone.localdate(now)
                    for step in sorted(rng.sample(range(3, 60), rng.randint(1, 3))):
                        expected.append(
                            {"date": (day + timedelta(days=step)).isoformat(), "places": rng.randint(1, 5)}
                        )
                offers.append(
                    {
                        "facility": index,
                        "care_type": care_type,
                        "capacity": capacity,
                        "free_now": free,
                        "reported_at": reported_at,
                        "expected": expected,
                        "own_share": {"2": f"{Decimal(rng.randint(1800, 3200)):.2f}"}
                        if care_type in (CareType.FULL_TIME, CareType.SHORT_TERM)
                        else {},
                    }
                )
        return facilities, offers

    # --- writes -------------------------------------------------------------------------------------

    def _insert_facilities(
        self, authority: Authority, operator: Organisation, rows: list[dict[str, Any]], postgres: bool
    ) -> list[int]:
        now = timezone.now()
        if postgres:
            columns = (
                "authority_id, operator_id, name, street, postcode, town, latitude, longitude, "
                "geocoded_from, phone, email, report_email, website, description, specialisation_bits, "
                "languages, active, created_at, updated_at"
            )
            statement = f"COPY care_facility ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(
                        (
                            authority.pk,
                            operator.pk,
                            row["name"],
                            row["street"],
                            row["postcode"],
                            row["town"],
                            row["latitude"],
                            row["longitude"],
                            "address",
                            "",
                            "",
                            "",
                            "",
                            "",
                            row["specialisation_bits"],
                            json.dumps(row["languages"]),
                            True,
                            now,
                            now,
                        )
                    )
        else:
            Facility.objects.bulk_create(
                (Facility(authority=authority, operator=operator, **row) for row in rows), batch_size=2000
            )
        # COPY and bulk_create insert in order: the ids ascend with the rows.
        ids = list(Facility.objects.filter(authority=authority).order_by("id").values_list("id", flat=True))
        assert len(ids) == len(rows)
        return ids

    def _insert_offers(
        self, facility_ids: list[int], plans: list[dict[str, Any]], postgres: bool
    ) -> list[int]:
        if postgres:
            columns = "facility_id, care_type, capacity, free_now, reported_at, expected, own_share"
            statement = f"COPY care_careoffer ({columns}) FROM STDIN"
            with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
                for plan in plans:
                    copy.write_row(
                        (
                            facility_ids[plan["facility"]],
                            plan["care_type"],
                            plan["capacity"],
                            plan["free_now"],
                            plan["reported_at"],
                            json.dumps(plan["expected"]),
                            json.dumps(plan["own_share"]),
                        )
                    )
        else:
            CareOffer.objects.bulk_create(
                (
                    CareOffer(
                        facility_id=facility_ids[plan["facility"]],
                        **{key: value for key, value in plan.items() if key != "facility"},
                    )
                    for plan in plans
                ),
                batch_size=2000,
            )
        ids = list(
            CareOffer.objects.filter(facility_id__gte=facility_ids[0], facility_id__lte=facility_ids[-1])
            .order_by("id")
            .values_list("id", flat=True)
        )
        assert len(ids) == len(plans)
        return ids

    def _insert_last_reports(self, offer_ids: list[int], plans: list[dict[str, Any]], postgres: bool) -> None:
        """The report each offer's current state comes from."""
        if postgres:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO care_vacancyreport (offer_id, free_places, expected, reported_at, channel, "
                    "request_key) SELECT id, free_now, expected, reported_at, 'api', '' FROM care_careoffer "
                    "WHERE id BETWEEN %s AND %s",
                    [offer_ids[0], offer_ids[-1]],
                )
        else:
            VacancyReport.objects.bulk_create(
                (
                    VacancyReport(
                        offer_id=offer_id,
                        free_places=plan["free_now"],
                        expected=plan["expected"],
                        reported_at=plan["reported_at"],
                        channel=VacancyReport.Channel.API,
                    )
                    for offer_id, plan in zip(offer_ids, plans, strict=True)
                ),
                batch_size=5000,
            )

    def _history_postgres(self, offer_ids: list[int], days: int, seed: int) -> int:
        """Reports 1..days days before each offer's last one, in SQL: free places from a hash of the
        offer, day and seed (deterministic), the time of day varying by up to ± 2 hours."""
        rows = 0
        for low, high in _chunks(offer_ids, CHUNK):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    """
                    INSERT INTO care_vacancyreport
                        (offer_id, free_places, expected, reported_at, channel, request_key)
                    SELECT o.id,
                           LEAST(o.capacity, CASE WHEN h %% 10 < 6 THEN 0 ELSE (h / 10) %% 6 END),
                           '[]'::jsonb,
                           o.reported_at - make_interval(days => d)
                               + make_interval(mins => (h / 60) %% 240 - 120),
                           'api', ''
                    FROM care_careoffer o
                    CROSS JOIN generate_series(1, %s) AS d
                    CROSS JOIN LATERAL (SELECT abs(hashint8(o.id::bigint * 1000 + d + %s * 7919)) AS h) AS r
                    WHERE o.id BETWEEN %s AND %s
                    """,
                    [days, seed, low, high],
                )
                rows += cursor.rowcount
            self.stdout.write(f"  … {rows} reports", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        return rows

    def _history_sqlite(self, offer_ids: list[int], plans: list[dict[str, Any]], days: int, seed: int) -> int:
        rng = random.Random(seed + 1)
        rows = 0
        sql = (
            "INSERT INTO care_vacancyreport (offer_id, free_places, expected, reported_at, reported_by_id, "
            "channel, request_key) VALUES (%s, %s, '[]', %s, NULL, 'api', '')"
        )
        batch: list[tuple[Any, ...]] = []
        adapt = connection.ops.adapt_datetimefield_value

        def flush() -> None:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(sql, batch)
            batch.clear()

        for offer_id, plan in zip(offer_ids, plans, strict=True):
            last: datetime = plan["reported_at"]
            capacity = plan["capacity"]
            for day in range(1, days + 1):
                at = last - timedelta(days=day, minutes=rng.randint(-120, 120))
                batch.append((offer_id, _free_places(rng, capacity), adapt(at)))
            rows += days
            if len(batch) >= 200_000:
                flush()
                self.stdout.write(f"  … {rows} reports", ending="\r")
                self.stdout.flush()
        if batch:
            flush()
        self.stdout.write("")
        return rows


def _free_places(rng: random.Random, capacity: int) -> int:
    """Care places are scarce: mostly none free, sometimes one, rarely a few."""
    roll = rng.random()
    if roll < 0.55:
        return 0
    if roll < 0.75:
        return 1
    return min(capacity, rng.randint(2, 6))


def _chunks(ids: list[int], size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, len(ids), size):
        part = ids[start : start + size]
        yield part[0], part[-1]
