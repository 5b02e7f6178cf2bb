"""Synthetic cases in bulk, for benchmarks and load tests (``amtsweg seed_cases``).

The cases look like a real installation's history: spread over the authorities, their offered
services, teams and staff, over several years, mostly closed when old and in every open phase when
recent, with due dates (some overdue). Reference numbers continue each authority's number range
(``ReferenceCounter``) without gaps, under the counter's lock, so real submissions afterwards go on
from the right number. Rows are written with ``COPY`` on PostgreSQL and ``executemany`` elsewhere, in
one transaction per authority and year.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from amtsweg.cases.services import ensure_default_status_model
from amtsweg.catalog.models import ServiceOffering
from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority, Membership, Team

from .models import Case, Phase, ReferenceCounter, StatusDefinition

SEED_EMAIL_DOMAIN = "seed.amtsweg.invalid"
FIRST_NAMES = (  # noqa: SIM905  (a readable list of names)
    "Anna Ben Clara David Emma Felix Greta Hannah Ilias Jana Jonas Karl Lea Leon Lina Luca Marie Mia "
    "Noah Olga Paul Sofia Tim Ursula Valentin Wilma Yusuf Zeynep Ahmet Birgit Dieter Elif Frank Gisela"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch Bauer "
    "Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hofmann Hartmann Lange Schmitt "
    "Werner Krause Meier Lehmann Yilmaz Kaya Nowak Kowalski Esser Jansen Hermanns Lambertz"
).split()
# Rarer surnames, built from parts: with the common ones above about as skewed as real surnames
# (the commonest a few per mille), so a name search finds what it would find in a real town.
NAME_PARTS = (  # noqa: SIM905
    "Acker Adler Albrecht Baum Berg Bier Blum Brand Brück Busch Dahl Eich Eng Fels Feld Frei Fuchs Gold "
    "Grün Hage Hahn Hart Heil Hell Holz Horn Kamp Kirch Klee Kling Korn Kranz Kron Lang Lind Löw Mai Mohr "
    "Nagel Ost Pfeif Rein Ros Sand Schell Stein Sturm Tann Vogt Wald Wies Wind Winter Zell"
).split()
NAME_ENDINGS = (  # noqa: SIM905
    "mann er hardt hoff berg feld haus mayer bauer brink kamp meier rath hausen stedt dorf bach thal ner "
    "ler ling wald mund heim horst"
).split()
COMMON_SHARE = 0.15  # share of cases whose applicant has one of the common surnames
COLUMNS = (
    "authority_id",
    "service_id",
    "applicant_id",
    "reference",
    "year",
    "number",
    "title",
    "applicant_name",
    "status",
    "phase",
    "team_id",
    "assignee_id",
    "submitted_at",
    "updated_at",
    "due_date",
    "decided_at",
    "decision",
)
RECENT_DAYS = 120  # younger cases are mostly open, older ones mostly closed


@dataclass
class _AuthorityPlan:
    authority: Authority
    services: list[tuple[int, str, int | None]]  # service id, name, the offering's team
    teams: list[int]
    staff: list[int]


@dataclass
class SeedSummary:
    created: int = 0
    per_authority: dict[str, int] = field(default_factory=dict)


def _plans(authorities: Sequence[Authority]) -> list[_AuthorityPlan]:
    plans = []
    for authority in authorities:
        services = [
            (o.service_id, o.service.name[:300], o.team_id)
            for o in ServiceOffering.objects.filter(authority=authority, enabled=True)
            .select_related("service")
            .order_by("service_id")
        ]
        if not services:
            continue
        plans.append(
            _AuthorityPlan(
                authority=authority,
                services=services,
                teams=list(
                    Team.objects.filter(authority=authority).order_by("pk").values_list("pk", flat=True)
                ),
                staff=sorted(
                    set(
                        Membership.objects.filter(authority=authority, user__is_active=True).values_list(
                            "user_id", flat=True
                        )
                    )
                ),
            )
        )
    return plans


def _applicants(count: int) -> list[int]:
    """Citizen accounts the seeded cases belong to (created once, without a usable password)."""
    existing = list(
        User.objects.filter(email__endswith=f"@{SEED_EMAIL_DOMAIN}")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(existing) < count:
        unusable = make_password(None)
        User.objects.bulk_create(
            [
                User(
                    username=f"buerger-{i:05d}@{SEED_EMAIL_DOMAIN}",
                    email=f"buerger-{i:05d}@{SEED_EMAIL_DOMAIN}",
                    kind=User.Kind.CITIZEN,
                    password=unusable,
                )
                for i in range(len(existing), count)
            ],
            batch_size=1000,
        )
        existing = list(
            User.objects.filter(email__endswith=f"@{SEED_EMAIL_DOMAIN}")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return existing


def _status_keys(service_ids: set[int]) -> Callable[[int, str], str]:
    """(service, phase) -> the first status key of that phase in the service's model."""
    by_service: dict[int | None, dict[str, str]] = {}
    for status in StatusDefinition.objects.filter(service_id__in=service_ids).order_by("order"):
        by_service.setdefault(status.service_id, {}).setdefault(status.phase, status.key)
    default: dict[str, str] = {}
    for status in ensure_default_status_model():
        default.setdefault(status.phase, status.key)
    missing = {p for p in Phase.values if p not in default}
    if missing:
        raise RuntimeError(f"the default status model has no status for the phases {sorted(missing)}")

    def key(service_id: int, phase: str) -> str:
        return by_service.get(service_id, default).get(phase, default[phase])

    return key


def cases_seed(
    *,
    count: int,
    authorities: Sequence[Authority] | None = None,
    years: int = 6,
    seed: int = 1,
    now: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> SeedSummary:
    """Create ``count`` synthetic cases over ``authorities`` (default: every one offering a service)."""
    rng = random.Random(seed)
    now = now or timezone.now()
    chosen = list(authorities) if authorities is not None else list(Authority.objects.order_by("ags"))
    plans = _plans(chosen)
    if not plans:
        raise RuntimeError(
            "No authority offers a service: load the demo first (`amtsweg load_demo`) or name an authority "
            "with offerings."
        )
    applicants = _applicants(min(5000, max(10, count // 200)))
    status_key = _status_keys({s for plan in plans for s, _, _ in plan.services})
    this_year = timezone.localdate(now).year
    first_year = this_year - years + 1
    # Later years have more cases (adoption grows); the current year only up to today.
    year_weights = {
        year: (1 + index) * (_year_share(year, now) if year == this_year else 1.0)
        for index, year in enumerate(range(first_year, this_year + 1))
    }
    total_weight = sum(year_weights.values()) * len(plans)
    summary = SeedSummary()
    remaining = count
    chunks = [(plan, year) for plan in plans for year in year_weights]
    for index, (plan, year) in enumerate(chunks):
        share = round(count * year_weights[year] / total_weight)
        size = remaining if index == len(chunks) - 1 else min(share, remaining)
        if size <= 0:
            continue
        remaining -= size
        _seed_chunk(plan, year, size, now=now, rng=rng, applicants=applicants, status_key=status_key)
        summary.created += size
        summary.per_authority[plan.authority.ags] = summary.per_authority.get(plan.authority.ags, 0) + size
        if progress:
            progress(f"{plan.authority.name} {year}: {size} Vorgänge ({summary.created}/{count})")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Case._meta.db_table}")
    return summary


def _year_share(year: int, now: datetime) -> float:
    start = datetime(year, 1, 1, tzinfo=UTC)
    return max(0.02, min(1.0, (now - start).total_seconds() / (365.25 * 86400)))


def _seed_chunk(
    plan: _AuthorityPlan,
    year: int,
    size: int,
    *,
    now: datetime,
    rng: random.Random,
    applicants: list[int],
    status_key: Callable[[int, str], str],
) -> None:
    with transaction.atomic():
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
            authority=plan.authority, year=year, defaults={"last": 0}
        )
        base = counter.last
        rows = _rows(plan, year, size, base, now=now, rng=rng, applicants=applicants, status_key=status_key)
        _write(rows)
        counter.last = base + size
        counter.save(update_fields=["last"])


def _rows(
    plan: _AuthorityPlan,
    year: int,
    size: int,
    base: int,
    *,
    now: datetime,
    rng: random.Random,
    applicants: list[int],
    status_key: Callable[[int, str], str],
) -> Iterator[tuple[Any, ...]]:
    start = datetime(year, 1, 1, 7, tzinfo=UTC)
    end = min(datetime(year + 1, 1, 1, tzinfo=UTC), now)
    span = (end - start).total_seconds()
    prefix = plan.authority.ags[-3:]
    recent = now - timedelta(days=RECENT_DAYS)
    ops = connection.ops
    for i in range(1, size + 1):
        number = base + i
        # Numbers follow the received order, as they do for real submissions.
        submitted = start + timedelta(seconds=span * (i - rng.random()) / size)
        service_id, title, offering_team = plan.services[int(rng.random() ** 2 * len(plan.services))]
        age_days = (now - submitted).days
        draw = rng.random()
        if submitted >= recent:
            phase = (
                Phase.NEW
                if draw < 0.3 - age_days / RECENT_DAYS * 0.25
                else Phase.IN_PROGRESS
                if draw < 0.62
                else Phase.WAITING
                if draw < 0.78
                else Phase.DECIDED
                if draw < 0.9
                else Phase.CLOSED
            )
        else:
            phase = (
                Phase.CLOSED
                if draw < 0.93
                else Phase.DECIDED
                if draw < 0.97
                else Phase.IN_PROGRESS
                if draw < 0.99
                else Phase.WAITING
            )
        team = offering_team or (plan.teams[i % len(plan.teams)] if plan.teams else None)
        assignee = (
            plan.staff[int(rng.random() * len(plan.staff))]
            if plan.staff and phase != Phase.NEW and rng.random() < 0.95
            else None
        )
        due = (
            (submitted + timedelta(days=rng.choice((14, 30, 30, 60, 90)))).date()
            if rng.random() < 0.8
            else None
        )
        decided_at = decision = None
        if phase in (Phase.DECIDED, Phase.CLOSED):
            decided_at = min(
                now, submitted + timedelta(days=1 + rng.random() * 40, seconds=rng.random() * 3600)
            )
            pick = rng.random()
            decision = "granted" if pick < 0.85 else "partially" if pick < 0.92 else "rejected"
        yield (
            plan.authority.pk,
            service_id,
            applicants[int(rng.random() * len(applicants))],
            f"{prefix}-{year}-{number:06d}",
            year,
            number,
            title,
            f"{rng.choice(FIRST_NAMES)} {_surname(rng)}",
            status_key(service_id, phase),
            str(phase),
            team,
            assignee,
            ops.adapt_datetimefield_value(submitted),
            ops.adapt_datetimefield_value(decided_at or submitted),
            ops.adapt_datefield_value(due),
            ops.adapt_datetimefield_value(decided_at),
            decision or "",
        )


def _surname(rng: random.Random) -> str:
    if rng.random() < COMMON_SHARE:
        return rng.choice(LAST_NAMES)
    return rng.choice(NAME_PARTS) + rng.choice(NAME_ENDINGS)


def _write(rows: Iterator[tuple[Any, ...]]) -> None:
    table = connection.ops.quote_name(Case._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor: COPY is the fastest way into PostgreSQL
            with raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 5000:
                cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)  # noqa: S608
                batch.clear()
        if batch:
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({placeholders})", batch)  # noqa: S608
