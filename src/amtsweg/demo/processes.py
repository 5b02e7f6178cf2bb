"""Demo processes: a reference process (BPMN, as Camunda Modeler saves it) for every demo service, two
deliberately different Hundesteuer variants in Neuss and Dormagen, a year of simulated historical
Hundesteuer cases on those variants, and handbook entries for the reference Hundesteuer process.

The models are imported and published through the same services an administrator uses. The history
is written directly (``bulk_create``): a walk along the sequence flows of each variant's model with
seeded-random waiting and processing times, so every trace is a valid path of its model — except
about 5 % of the cases, which skip or repeat a step on purpose, so that conformance checking has
something to find. Loading twice adds nothing; the same seed and clock give the same history.
"""

from __future__ import annotations

import hashlib
import math
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from amtsweg.cases.models import Case, Phase, ReferenceCounter
from amtsweg.cases.services import status_model_for
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.identity.models import User
from amtsweg.processes.handbook import handbook_entry_save
from amtsweg.processes.models import (
    HandbookEntry,
    Handover,
    ProcessDefinition,
    ProcessInstance,
    ProcessTask,
    ProcessVersion,
)
from amtsweg.processes.services import process_version_import, process_version_publish, task_kind
from amtsweg.processes.structure import Node, ProcessStructure
from amtsweg.tenancy.models import Authority, Team

DATA = Path(__file__).resolve().parent / "data" / "processes"
CHANNEL = "cli"
HUNDESTEUER = "99102013002000"
NEUSS, DORMAGEN, KREIS = "05162024", "05162004", "05162000"

# service → the alliance's reference model
REFERENCE_MODELS: dict[str, str] = {
    "99115004001000": "melderegisterauskunft.bpmn",  # Melderegisterauskunft
    HUNDESTEUER: "hundesteuer.bpmn",  # Hundesteuer An- und Abmeldung
    "99042001012000": "fischereischein.bpmn",  # Fischereischein
    "99115005104000": "wohnsitzanmeldung.bpmn",  # Anmeldung einer Wohnung, vehicles handed to the Kreis
    "99036008071000": "kfz_adressaenderung.bpmn",  # the Kreis' vehicle part of a move
    "99003002022000": "ifsg_belehrung.bpmn",  # Belehrung § 43 IfSG: certificate issued automatically
    "99012004023000": "baulastenauskunft.bpmn",  # Baulastenauskunft: interest checked, fee, extract
}
# (service, town) → the town's own variant
VARIANTS: dict[tuple[str, str], str] = {
    (HUNDESTEUER, NEUSS): "hundesteuer_neuss.bpmn",
    (HUNDESTEUER, DORMAGEN): "hundesteuer_dormagen.bpmn",
}
# Lanes of the demo models are teams of the towns; "Teamleitung" takes escalations and approvals.
LEAD_TEAM = "Teamleitung"
HANDOVER_REPLY = "Sachkunde, Zuverlässigkeit und Haftpflichtversicherung nachgewiesen; keine Bedenken."
HISTORY_DOMAIN = "historie.demo.amtsweg.invalid"
HISTORY_APPLICANTS = 60
HISTORY_DAYS = 365
SEED = 20_260_401
DEVIATION_SHARE = 0.05


@dataclass
class ProcessesSummary:
    models: int = 0  # process models published by this load (0 when all were up to date)
    historical_cases: int = 0
    historical_tasks: int = 0
    handbook_entries: int = 0


# --- timing and branching of the simulated history ----------------------------------------------


@dataclass(frozen=True)
class Timing:
    """Median hours a task lies in the inbox before someone starts it, and median hours of work."""

    wait: float
    work: float = 0.0
    spread: float = 0.7  # sigma of the log-normal distribution


@dataclass(frozen=True)
class Profile:
    """How a town works its variant: task timings, how often each way of a gateway is taken (on the
    first visit, and on later visits of a loop), and how fast citizens answer a request."""

    timings: dict[str, Timing]
    branches: dict[str, dict[str, float]]
    repeat_branches: dict[str, dict[str, float]] = field(default_factory=dict)
    answer_hours: float = 72.0
    default_timing: Timing = Timing(wait=24, work=0.5)


PROFILES: dict[str, Profile] = {
    NEUSS: Profile(
        timings={
            "Activity_Antrag_pruefen": Timing(wait=20, work=0.4),
            "Activity_Bearbeitung_nachhalten": Timing(wait=4, work=0.3),
        },
        branches={
            "Gateway_Vollstaendig": {"Flow_Vollstaendig_nein": 0.15},
            "Gateway_Warten": {"Flow_Keine_Antwort": 0.15},
        },
        repeat_branches={
            "Gateway_Vollstaendig": {"Flow_Vollstaendig_nein": 0.03},
            "Gateway_Warten": {"Flow_Keine_Antwort": 0.05},
        },
        answer_hours=60,
    ),
    DORMAGEN: Profile(
        timings={
            "Activity_Nachweis_pruefen": Timing(wait=40, work=0.5),
            "Activity_Antrag_pruefen": Timing(wait=70, work=0.8, spread=0.8),
            "Activity_Uebergabe_Kreis": Timing(wait=150, spread=0.5),  # until the Kreis answers
            "Activity_Bescheid_vorbereiten": Timing(wait=30, work=1.0),
            "Activity_Freigeben": Timing(wait=45, work=0.3),
            "Activity_Unterschreiben": Timing(wait=60, work=0.2, spread=0.6),  # the signature folder
            "Activity_Postversand": Timing(wait=26, work=0.2, spread=0.5),  # the outgoing mail run
            "Activity_Bearbeitung_nachhalten": Timing(wait=24, work=0.5),
        },
        branches={
            "Gateway_Pruefung_noetig": {"Flow_Pruefung_ja": 0.12},
            "Gateway_Gefaehrlich": {"Flow_Gefaehrlich_ja": 0.05},
            "Gateway_Vollstaendig": {"Flow_Vollstaendig_nein": 0.25},
            "Gateway_Warten": {"Flow_Keine_Antwort": 0.25},
        },
        repeat_branches={
            "Gateway_Pruefung_noetig": {"Flow_Pruefung_ja": 0.0},
            "Gateway_Gefaehrlich": {"Flow_Gefaehrlich_ja": 0.0},
            "Gateway_Vollstaendig": {"Flow_Vollstaendig_nein": 0.05},
            "Gateway_Warten": {"Flow_Keine_Antwort": 0.1},
        },
        answer_hours=96,
    ),
}


@dataclass
class SimulatedTask:
    bpmn_id: str
    created_at: datetime
    claimed_at: datetime | None
    completed_at: datetime


@dataclass
class SimulatedCase:
    submitted_at: datetime
    tasks: list[SimulatedTask]
    deviation: str = ""  # "", "skip:<bpmn_id>" or "repeat:<bpmn_id>"

    @property
    def completed_at(self) -> datetime:
        return max(t.completed_at for t in self.tasks)


def _duration_hours(expression: str) -> float:
    """Hours of a simple ISO 8601 duration (PnD, PTnH, PnDTnH); 0 for anything else."""
    text = expression.strip().upper()
    if not text.startswith("P"):
        return 0.0
    days, _, clock = text[1:].partition("T")
    hours = 0.0
    if days.endswith("D") and days[:-1].isdigit():
        hours += 24 * int(days[:-1])
    if clock.endswith("H") and clock[:-1].isdigit():
        hours += int(clock[:-1])
    return hours


class _Walker:
    """One case's walk through a model: follows the sequence flows from the start event, takes the
    ways of gateways by the profile's shares, and lets a non-interrupting boundary timer fire when its
    task lies longer than the timer."""

    MAX_STEPS = 300

    def __init__(self, structure: ProcessStructure, profile: Profile, rng: random.Random) -> None:
        self.structure = structure
        self.profile = profile
        self.rng = rng
        self.nodes = structure.by_id()
        self.outgoing: dict[str, list[str]] = defaultdict(list)
        self.flow_target: dict[str, str] = {}
        for flow in structure.flows:
            self.outgoing[flow.source].append(flow.id)
            self.flow_target[flow.id] = flow.target
        self.boundaries: dict[str, list[Node]] = defaultdict(list)
        for node in structure.nodes:
            if node.attached_to:
                self.boundaries[node.attached_to].append(node)
        self.visits: Counter[str] = Counter()
        self.tasks: list[SimulatedTask] = []
        self.pending_catch: dict[str, float] = {}

    def hours(self, timing_median: float, spread: float) -> float:
        if timing_median <= 0:
            return 0.0
        return timing_median * math.exp(self.rng.gauss(0, spread))

    def walk(self, node_id: str, at: datetime) -> None:
        for _ in range(self.MAX_STEPS):
            node = self.nodes[node_id]
            self.visits[node_id] += 1
            done = self.step(node, at)
            if node.type == "endEvent":
                return
            choice = self.choose(node)
            if choice is None:
                return
            node_id, at = self.flow_target[choice], done
        raise RuntimeError(f"the walk through {self.structure.process_id} does not end")

    def step(self, node: Node, at: datetime) -> datetime:
        kind = task_kind(node)
        claimed: datetime | None = None
        if kind in (ProcessTask.Kind.USER, ProcessTask.Kind.MANUAL, ProcessTask.Kind.EXTERNAL):
            timing = self.profile.timings.get(node.id, self.profile.default_timing)
            claimed = at + timedelta(hours=self.hours(timing.wait, timing.spread))
            done = claimed + timedelta(hours=self.hours(timing.work, 0.5), minutes=2)
        elif kind == ProcessTask.Kind.HANDOVER:
            timing = self.profile.timings.get(node.id, self.profile.default_timing)
            done = at + timedelta(hours=self.hours(timing.wait, timing.spread))
        elif node.category == "event" and node.id in self.pending_catch:
            done = at + timedelta(hours=self.pending_catch.pop(node.id))
        else:  # automatic: platform actions, gateways, start and end events
            done = at + timedelta(seconds=1 + self.rng.random() * 3)
        self.tasks.append(SimulatedTask(node.id, at, claimed, done))
        for boundary in self.boundaries.get(node.id, []):
            limit = _duration_hours(boundary.timer)
            if boundary.interrupting or not limit or done - at <= timedelta(hours=limit):
                continue
            fired = at + timedelta(hours=limit)
            self.tasks.append(SimulatedTask(boundary.id, fired, None, fired))
            side = self.outgoing.get(boundary.id, [])
            if side:
                self.walk(self.flow_target[side[0]], fired)
        return done

    def choose(self, node: Node) -> str | None:
        flows = self.outgoing.get(node.id, [])
        if len(flows) <= 1:
            return flows[0] if flows else None
        if node.type == "eventBasedGateway":
            return self.wait_for_event(node, flows)
        shares = (
            self.profile.repeat_branches.get(node.id) if self.visits[node.id] > 1 else None
        ) or self.profile.branches.get(node.id, {})
        draw = self.rng.random()
        for flow_id in flows:
            share = shares.get(flow_id, 0.0)
            if draw < share:
                return flow_id
            draw -= share
        # The rest of the cases take the ways the profile does not name (the default flow first).
        rest = [f for f in flows if f not in shares]
        defaults = {f.id for f in self.structure.flows if f.source == node.id and f.default}
        rest.sort(key=lambda f: f not in defaults)
        return rest[0] if rest else flows[-1]

    def wait_for_event(self, node: Node, flows: list[str]) -> str:
        """The citizen answers before the timer, or the timer fires first (shares of the profile)."""
        shares = (
            self.profile.repeat_branches.get(node.id) if self.visits[node.id] > 1 else None
        ) or self.profile.branches.get(node.id, {})
        timer_flows = [f for f in flows if self.nodes[self.flow_target[f]].timer]
        message_flows = [f for f in flows if f not in timer_flows]
        timer_share = sum(shares.get(f, 0.0) for f in timer_flows)
        if timer_flows and (not message_flows or self.rng.random() < timer_share):
            flow = timer_flows[0]
            self.pending_catch[self.flow_target[flow]] = _duration_hours(
                self.nodes[self.flow_target[flow]].timer
            )
            return flow
        flow = message_flows[0]
        limit = min(
            (_duration_hours(self.nodes[self.flow_target[f]].timer) for f in timer_flows), default=0.0
        )
        answer = self.hours(self.profile.answer_hours, 0.8)
        self.pending_catch[self.flow_target[flow]] = min(answer, limit - 1) if limit else answer
        return flow


def _deviate(case: SimulatedCase, structure: ProcessStructure, rng: random.Random) -> None:
    """Skip or repeat one inbox task of the case (the few cases that did not follow the model)."""
    nodes = structure.by_id()
    candidates = [
        i
        for i, task in enumerate(case.tasks)
        if nodes[task.bpmn_id].type in ("userTask", "manualTask") and task.claimed_at is not None
    ]
    if not candidates:
        return
    index = rng.choice(candidates)
    task = case.tasks[index]
    assert task.claimed_at is not None  # candidates are claimed tasks
    if rng.random() < 0.5:
        del case.tasks[index]
        case.deviation = f"skip:{task.bpmn_id}"
        return
    took = task.completed_at - task.created_at
    repeat = SimulatedTask(
        task.bpmn_id,
        task.completed_at,
        task.completed_at + (task.claimed_at - task.created_at),
        task.completed_at + took,
    )
    for later in case.tasks[index + 1 :]:
        if later.created_at >= task.completed_at:
            later.created_at += took
            later.claimed_at = later.claimed_at + took if later.claimed_at else None
            later.completed_at += took
    case.tasks.insert(index + 1, repeat)
    case.deviation = f"repeat:{task.bpmn_id}"


def simulate_history(
    *, structure: ProcessStructure, profile: Profile, count: int, seed: int, now: datetime
) -> list[SimulatedCase]:
    """``count`` completed cases on ``structure`` submitted over the last year before ``now``, in
    submission order; a pure function of its arguments."""
    rng = random.Random(seed)
    start = next(n for n in structure.nodes if n.type == "startEvent" and not n.parent and not n.attached_to)
    earliest = now - timedelta(days=HISTORY_DAYS)
    cases: list[SimulatedCase] = []
    for _ in range(count):
        # Office hours on working days, when most online applications arrive too.
        day = earliest + timedelta(days=rng.randrange(HISTORY_DAYS - 20))
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        submitted = day.replace(hour=7, minute=0, second=0, microsecond=0) + timedelta(
            minutes=rng.randrange(11 * 60), seconds=rng.randrange(60)
        )
        walker = _Walker(structure, profile, rng)
        walker.walk(start.id, submitted)
        case = SimulatedCase(submitted, walker.tasks)
        if rng.random() < DEVIATION_SHARE:
            _deviate(case, structure, rng)
        late = case.completed_at - (now - timedelta(hours=1))
        if late > timedelta(0):  # still running today: it was submitted earlier
            shift = late + timedelta(days=1)
            case.submitted_at -= shift
            for task in case.tasks:
                task.created_at -= shift
                task.completed_at -= shift
                task.claimed_at = task.claimed_at - shift if task.claimed_at else None
        cases.append(case)
    cases.sort(key=lambda c: c.submitted_at)
    return cases


# --- loading ------------------------------------------------------------------------------------


def _publish(service: Service, authority: Authority | None, filename: str, actor: User) -> bool:
    """Import and publish a model unless the published version is this very file."""
    xml = (DATA / filename).read_bytes()
    published = ProcessVersion.objects.filter(
        definition__service=service, definition__authority=authority, status=ProcessVersion.Status.PUBLISHED
    ).first()
    if published is not None and published.sha256 == hashlib.sha256(xml).hexdigest():
        return False
    version = process_version_import(
        service=service, authority=authority, xml=xml, filename=filename, actor=actor, channel=CHANNEL
    )
    process_version_publish(version=version, actor=actor, channel=CHANNEL)
    return True


def _lead_teams() -> None:
    """Every town offering a demo service gets a Teamleitung team (lane of escalations and approvals)."""
    towns = Authority.objects.filter(
        offerings__service__leika_key__in=REFERENCE_MODELS,
        kind__in=[Authority.Kind.STADT, Authority.Kind.GEMEINDE],
    ).distinct()
    for town in towns:
        Team.objects.get_or_create(authority=town, name=LEAD_TEAM)
    admin = User.objects.filter(email="admin.neuss@demo.amtsweg.de").first()
    team = Team.objects.filter(authority__ags=NEUSS, name=LEAD_TEAM).first()
    if admin is not None and team is not None:
        team.members.add(admin)


def _history_applicants() -> list[int]:
    existing = list(
        User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}").order_by("pk").values_list("pk", flat=True)
    )
    if len(existing) < HISTORY_APPLICANTS:
        unusable = make_password(None)
        User.objects.bulk_create(
            User(
                username=f"verlauf-{i:03d}@{HISTORY_DOMAIN}",
                email=f"verlauf-{i:03d}@{HISTORY_DOMAIN}",
                kind=User.Kind.CITIZEN,
                password=unusable,
            )
            for i in range(len(existing), HISTORY_APPLICANTS)
        )
        existing = list(
            User.objects.filter(email__endswith=f"@{HISTORY_DOMAIN}")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return existing


FIRST_NAMES = (
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Elif",
    "Felix",
    "Greta",
    "Hannah",
    "Jonas",
    "Lea",
    "Marie",
    "Paul",
)
LAST_NAMES = (
    "Müller",
    "Schmitz",
    "Becker",
    "Hoffmann",
    "Jansen",
    "Esser",
    "Lambertz",
    "Kaya",
    "Nowak",
    "Hermanns",
)
BREEDS = ("Labrador Retriever", "Mischling", "Dackel", "Border Collie", "Beagle", "Schäferhund", "Pudel")
DANGEROUS_BREEDS = ("American Staffordshire Terrier", "Staffordshire Bullterrier", "Bullterrier")


def _handover_data(rng: random.Random, name: tuple[str, str], town: Authority) -> dict[str, Any]:
    """What the Dormagen model hands to the Kreis (``fields`` of its hand-over step), nothing else."""
    return {
        "familienname": name[1],
        "vorname": name[0],
        "anschrift": {
            "street": rng.choice(("Kölner Straße", "Bahnhofstraße", "Weilerstraße", "Römerstraße")),
            "house_number": str(rng.randrange(1, 120)),
            "postcode": "41539",
            "city": town.name,
        },
        "hund": [
            {
                "name": rng.choice(("Rocky", "Kira", "Bruno", "Luna", "Aron")),
                "rasse": rng.choice(DANGEROUS_BREEDS),
                "gefaehrlich": True,
                "seit": "",
                "chip": "".join(str(rng.randrange(10)) for _ in range(15)),
            }
        ],
    }


def _numbered(authority: Authority, cases: list[SimulatedCase]) -> Iterator[tuple[SimulatedCase, int]]:
    """Reference numbers continue each year's number range of ``authority`` without gaps."""
    by_year: dict[int, list[SimulatedCase]] = defaultdict(list)
    for case in cases:
        by_year[timezone.localtime(case.submitted_at).year].append(case)
    for year, group in sorted(by_year.items()):
        counter, _ = ReferenceCounter.objects.select_for_update().get_or_create(
            authority=authority, year=year, defaults={"last": 0}
        )
        base = counter.last
        counter.last = base + len(group)
        counter.save(update_fields=["last"])
        for offset, case in enumerate(group, start=1):
            yield case, base + offset


def _load_history(
    service: Service, authority: Authority, *, seed: int, count: int, now: datetime
) -> tuple[int, int]:
    """Write ``count`` simulated completed cases of ``authority``'s variant; nothing if they exist."""
    if Case.objects.filter(
        service=service, authority=authority, applicant__email__endswith=f"@{HISTORY_DOMAIN}"
    ).exists():
        return 0, 0
    version = ProcessVersion.objects.get(
        definition__service=service, definition__authority=authority, status=ProcessVersion.Status.PUBLISHED
    )
    structure = version.parsed
    nodes = structure.by_id()
    profile = PROFILES[authority.ags]
    simulated = simulate_history(structure=structure, profile=profile, count=count, seed=seed, now=now)
    rng = random.Random(seed + 1)
    applicants = _history_applicants()
    closed = next(s.key for s in status_model_for(service) if s.phase == Phase.CLOSED)
    teams = {t.name: t for t in Team.objects.filter(authority=authority)}
    worker = (
        ServiceOffering.objects.filter(service=service, authority=authority)
        .values_list("team_id", flat=True)
        .first()
    )
    caseworker = (
        User.objects.filter(memberships__authority=authority, memberships__role="caseworker")
        .order_by("pk")
        .first()
    )
    lead = teams[LEAD_TEAM].members.order_by("pk").first() if LEAD_TEAM in teams else None
    kreis = Authority.objects.filter(ags=KREIS).first()

    cases: list[Case] = []
    names: list[tuple[str, str]] = []
    for sim, number in _numbered(authority, simulated):
        year = timezone.localtime(sim.submitted_at).year
        decided = next(
            (t.completed_at for t in sim.tasks if t.bpmn_id == "Activity_Bescheid"), sim.completed_at
        )
        name = (rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES))
        names.append(name)
        cases.append(
            Case(
                authority=authority,
                service=service,
                applicant_id=rng.choice(applicants),
                reference=f"{authority.ags[-3:]}-{year}-{number:06d}",
                year=year,
                number=number,
                title=service.name[:300],
                applicant_name=f"{name[0]} {name[1]}",
                status=closed,
                phase=Phase.CLOSED,
                team_id=worker,
                assignee=caseworker,
                submitted_at=sim.submitted_at,
                decided_at=decided,
                decision="granted",
            )
        )
    by_reference = {c.reference: c for c in Case.objects.bulk_create(cases)}
    # SQLite before 3.35 returns no keys from bulk_create; read them back by reference then.
    if any(c.pk is None for c in by_reference.values()):
        by_reference = {
            c.reference: c for c in Case.objects.filter(reference__in=list(by_reference), authority=authority)
        }
    saved = [by_reference[c.reference] for c in cases]
    ProcessInstance.objects.bulk_create(
        ProcessInstance(
            case=case,
            version=version,
            status=ProcessInstance.Status.COMPLETED,
            started_at=sim.submitted_at,
            completed_at=sim.completed_at,
        )
        for case, sim in zip(saved, simulated, strict=True)
    )
    rows: list[ProcessTask] = []
    handovers: list[Handover] = []
    for case, sim, name in zip(saved, simulated, names, strict=True):
        for task in sim.tasks:
            node = nodes[task.bpmn_id]
            kind = task_kind(node)
            team = teams.get(node.lane) if kind in (ProcessTask.Kind.USER, ProcessTask.Kind.MANUAL) else None
            person = (lead if node.lane == LEAD_TEAM else caseworker) if task.claimed_at else None
            row = ProcessTask(
                id=uuid.UUID(int=rng.getrandbits(128), version=4),
                case=case,
                authority=authority,
                service=service,
                bpmn_id=node.id,
                name=node.name[:300],
                kind=kind,
                lane=node.lane[:200],
                state=ProcessTask.State.COMPLETED,
                team=team,
                assignee=person,
                created_at=task.created_at,
                claimed_at=task.claimed_at,
                completed_at=task.completed_at,
                completed_by=person,
            )
            rows.append(row)
            if kind == ProcessTask.Kind.HANDOVER and kreis is not None:
                handovers.append(
                    Handover(
                        id=uuid.UUID(int=rng.getrandbits(128), version=4),
                        case=case,
                        task=row,
                        from_authority=authority,
                        to_authority=kreis,
                        subject="Prüfung gefährlicher Hund (§ 3 LHundG NRW)",
                        data=_handover_data(rng, name, authority),
                        status=Handover.Status.COMPLETED,
                        reply=HANDOVER_REPLY,
                        created_at=task.created_at,
                        answered_at=task.completed_at,
                    )
                )
    ProcessTask.objects.bulk_create(rows, batch_size=2000)
    Handover.objects.bulk_create(handovers)
    return len(saved), len(rows)


# Know-how for the reference Hundesteuer process (bpmn_id → instructions, legal basis, templates, contact).
HANDBOOK: dict[str, tuple[str, str, str, str]] = {
    "Activity_Nachweis_pruefen": (
        "Assistenzhund: Kopie des Ausweises für Assistenzhunde oder eine ärztliche Bescheinigung über die "
        "Notwendigkeit.\nTierheimhund: Abgabevertrag des Tierheims; die Ermäßigung gilt für die ersten zwölf "
        "Monate.\nFehlt der Nachweis, nicht ablehnen, sondern nachfordern.",
        "Hundesteuersatzung der Stadt, §§ 4 und 5 (Steuerbefreiung, Steuerermäßigung)",
        "Prüfvermerk Ermäßigung (DMS: Steuern/Hundesteuer/Vorlagen)",
        "Team Steuern, Tel. 02131 90-2255",
    ),
    "Activity_Antrag_pruefen": (
        "1. Halterin oder Halter im Melderegister abgleichen (Hauptwohnsitz in der Stadt?).\n"
        "2. Je Hund: Rasse, Datum der Aufnahme, Chipnummer (15 Ziffern).\n"
        "3. Gefährliche Hunde (§ 3 LHundG NRW): erhöhter Steuersatz, Erlaubnis beim Ordnungsamt prüfen.\n"
        "4. Steuer ab dem Monat der Aufnahme anteilig festsetzen.",
        "Kommunalabgabengesetz NRW § 3; Hundesteuersatzung der Stadt; Landeshundegesetz NRW § 3",
        "Steuerberechnung Hundesteuer (Tabelle)\nBescheidvorlage Hundesteuer",
        "Team Steuern, Tel. 02131 90-2255",
    ),
    "Activity_Nachfordern": (
        "Konkret benennen, was fehlt (z. B. Chipnummer, Nachweis). Die Frist beträgt 14 Tage; danach "
        "erinnert der Prozess automatisch.",
        "Verwaltungsverfahrensgesetz NRW § 26 (Beweismittel), § 24 (Untersuchungsgrundsatz)",
        "",
        "",
    ),
    "Activity_Bearbeitung_nachhalten": (
        "Die Prüfung liegt seit fünf Tagen. Mit der Sachbearbeitung klären, was fehlt; bei Abwesenheit die "
        "Aufgabe im Team neu zuweisen.",
        "",
        "",
        "Teamleitung Bürgerbüro",
    ),
    "Activity_Bescheid": (
        "Der Bescheid wird aus der Vorlage der Leistung erstellt und in das Postfach zugestellt. Betrag und "
        "Fälligkeiten vor dem Erlass noch einmal prüfen.",
        "Abgabenordnung § 155 (Steuerfestsetzung) i. V. m. KAG NRW § 12",
        "Bescheidvorlage Hundesteuer (Verbund)",
        "",
    ),
}


def _handbook(actor: User) -> int:
    definition = ProcessDefinition.objects.filter(
        service__leika_key=HUNDESTEUER, authority__isnull=True
    ).first()
    if definition is None:
        return 0
    existing = set(HandbookEntry.objects.filter(definition=definition).values_list("bpmn_id", flat=True))
    created = 0
    for bpmn_id, (instructions, legal_basis, templates, contact) in HANDBOOK.items():
        if bpmn_id in existing:
            continue  # an entry edited by someone is never overwritten by the demo
        handbook_entry_save(
            definition=definition,
            bpmn_id=bpmn_id,
            instructions=instructions,
            legal_basis=legal_basis,
            templates=templates,
            contact=contact,
            actor=actor,
            channel=CHANNEL,
        )
        created += 1
    return created


@transaction.atomic
def demo_processes_load(
    *, now: datetime | None = None, cases_per_variant: int = 300, seed: int = SEED
) -> ProcessesSummary:
    """Publish the demo process models and write the simulated history (after the applications demo)."""
    now = now or timezone.now()
    actor = User.objects.get(email="admin.kreis@demo.amtsweg.de")
    summary = ProcessesSummary()
    _lead_teams()
    for leika, filename in REFERENCE_MODELS.items():
        summary.models += _publish(Service.objects.get(leika_key=leika), None, filename, actor)
    for (leika, ags), filename in VARIANTS.items():
        summary.models += _publish(
            Service.objects.get(leika_key=leika), Authority.objects.get(ags=ags), filename, actor
        )
    for index, (leika, ags) in enumerate(sorted(VARIANTS)):
        cases, tasks = _load_history(
            Service.objects.get(leika_key=leika),
            Authority.objects.get(ags=ags),
            seed=seed + index,
            count=cases_per_variant,
            now=now,
        )
        summary.historical_cases += cases
        summary.historical_tasks += tasks
    summary.handbook_entries = _handbook(actor)
    return summary
