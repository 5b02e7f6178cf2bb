"""Demo data of vehicles: the local vehicle register and a few desired-plate reservations.

``load_vehicles_demo()`` runs after the authorities and the demo people exist (``load_demo``):

* the demo citizen (the first ``"kind": "citizen"`` person of ``demo/data/alliance.json``, Clara
  Bürger, born 21 May 1988 as in ``demo_answers.json``, living at Bahnhofstraße 20, 41539 Dormagen)
  keeps three cars in the register: two of the district (``NE-CB 1988``, ``GV-CB 521E``) and one
  registered in Düsseldorf (``D-CB 2105``), which she can take along on the move
  (Kennzeichenmitnahme) — the journey "move from Dormagen to Neuss with the cars";
* about 2,000 further fictitious NE and GV plates are issued to invented holders in the Kreis's
  towns, so that the desired-plate check finds taken plates (the same every time: seeded);
* three active reservations of desired plates: one of the demo citizen's (``NE-CB 2026``) and two
  of two invented citizens' (``NE-AW 1``, ``GV-AW 10``), so "already reserved" can be seen.

Idempotent: a vehicle is identified by its VIN and never overwritten (a demo move or a plate taken
along stays as it is after the next load); a reservation is only made when its plate has no active
one and the holder is below ``VEHICLES_RESERVATIONS_PER_PERSON``. Plates already issued by someone
else (e.g. ``vehicles_seed_plates``) are skipped. All names and VINs are invented; VINs start with
``AWD`` (Amtsweg demo), which no manufacturer uses.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority

from .models import PlateReservation, RegisteredVehicle
from .plates import Plate, PlateInvalid, parse

ALLIANCE_FILE = Path(__file__).resolve().parents[1] / "demo" / "data" / "alliance.json"
ISSUED_PLATES = 2000
_SEED = "amtsweg-vehicles-demo-v1"
# VINs use the ISO 3779 alphabet (no I, O, Q).
_VIN_ALPHABET = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"

CITIZEN_BIRTH_DATE = dt.date(1988, 5, 21)
CITIZEN_ADDRESS = ("Bahnhofstraße 20", "41539", "Dormagen")
# (plate, district, make, model, holder's address: an outside car still has its old address)
CITIZEN_VEHICLES = [
    ("NE-CB 1988", "NE", "Volkswagen", "Golf", CITIZEN_ADDRESS),
    ("GV-CB 521E", "GV", "Renault", "Zoe", CITIZEN_ADDRESS),
    ("D-CB 2105", "D", "Ford", "Fiesta", ("Kölner Landstraße 8", "40591", "Düsseldorf")),
]
# Invented people who hold a reservation: (e-mail, given name, family name, plate, reserved days ago)
RESERVATION_HOLDERS = [
    ("wunschkennzeichen.1@demo.amtsweg.de", "Paula", "Peters", "NE-AW 1", 12),
    ("wunschkennzeichen.2@demo.amtsweg.de", "Hakan", "Kaya", "GV-AW 10", 40),
]
CITIZEN_RESERVATION = ("NE-CB 2026", 5)

TOWNS = [
    ("Neuss", ("41460", "41462", "41464", "41466", "41468", "41469", "41470", "41472")),
    ("Grevenbroich", ("41515", "41516", "41517")),
    ("Dormagen", ("41539", "41540", "41541", "41542")),
    ("Meerbusch", ("40667", "40668", "40670")),
    ("Kaarst", ("41564",)),
    ("Korschenbroich", ("41352",)),
    ("Jüchen", ("41363",)),
    ("Rommerskirchen", ("41569",)),
]
STREETS = [
    "Hauptstraße",
    "Bahnhofstraße",
    "Kirchstraße",
    "Schulstraße",
    "Gartenstraße",
    "Lindenstraße",
    "Am Markt",
    "Rheinstraße",
    "Feldweg",
    "Mühlenstraße",
]
GIVEN = ["Anna", "Jan", "Leonie", "Mehmet", "Sophie", "Lukas", "Fatma", "Tim", "Marie", "Elias", "Olga"]
FAMILY = ["Schmitz", "Becker", "Hoffmann", "Yilmaz", "Krüger", "Wagner", "Nowak", "Schulz", "Peters"]
MODELS = [
    ("Volkswagen", "Golf"),
    ("Volkswagen", "Polo"),
    ("Opel", "Corsa"),
    ("Opel", "Astra"),
    ("Ford", "Focus"),
    ("BMW", "3er"),
    ("Mercedes-Benz", "A-Klasse"),
    ("Skoda", "Octavia"),
    ("Toyota", "Yaris"),
    ("Tesla", "Model 3"),
]


@dataclass
class VehiclesDemo:
    citizen_vehicles: int = 0
    issued: int = 0
    reservations: int = 0


def demo_citizen_email() -> str | None:
    """The demo citizen's e-mail: the first citizen among the people of ``alliance.json``."""
    people = json.loads(ALLIANCE_FILE.read_text(encoding="utf-8")).get("people", [])
    return next((p["email"] for p in people if p.get("kind") == User.Kind.CITIZEN), None)


def _vin(key: str) -> str:
    digest = hashlib.sha256(f"{_SEED}:{key}".encode()).digest()
    return "AWD" + "".join(_VIN_ALPHABET[byte % len(_VIN_ALPHABET)] for byte in digest[:14])


def _citizen_rows(citizen: User) -> list[RegisteredVehicle]:
    return [
        RegisteredVehicle(
            plate=parse(plate).text,
            vin=_vin(f"citizen:{plate}"),
            make=make,
            model=model,
            district_prefix=district,
            holder_family_name=citizen.last_name,
            holder_given_names=citizen.first_name,
            holder_birth_date=CITIZEN_BIRTH_DATE,
            holder_street=street,
            holder_postcode=postcode,
            holder_city=city,
        )
        for plate, district, make, model, (street, postcode, city) in CITIZEN_VEHICLES
    ]


def _issued_rows(reserved: set[str]) -> list[RegisteredVehicle]:
    """``ISSUED_PLATES`` invented vehicles of the district, the same on every run."""
    rng = random.Random(_SEED)
    prefixes = [p.upper() for p in settings.VEHICLES_PREFIXES] or ["NE"]
    letters_alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ"  # I, O and Q are not handed out in the Kreis
    rows: list[RegisteredVehicle] = []
    seen = set(reserved)
    while len(rows) < ISSUED_PLATES:
        prefix = rng.choice(prefixes)
        letters = "".join(rng.choice(letters_alphabet) for _ in range(rng.choice((1, 2, 2))))
        digits = str(rng.randint(1, 9999 if len(prefix) + len(letters) <= 4 else 999))
        suffix = "E" if rng.random() < 0.06 else ""
        try:
            plate = Plate(prefix, letters, digits, suffix).text
        except PlateInvalid:
            continue  # a forbidden combination or too long: the Zulassungsstelle would not issue it
        if plate in seen:
            continue
        seen.add(plate)
        make, model = rng.choice(MODELS)
        city, postcodes = rng.choice(TOWNS)
        rows.append(
            RegisteredVehicle(
                plate=plate,
                vin=_vin(f"issued:{len(rows)}"),
                make=make,
                model=model,
                district_prefix=prefix,
                holder_family_name=rng.choice(FAMILY),
                holder_given_names=rng.choice(GIVEN),
                holder_birth_date=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 23000)),
                holder_street=f"{rng.choice(STREETS)} {rng.randint(1, 120)}",
                holder_postcode=rng.choice(postcodes),
                holder_city=city,
            )
        )
    return rows


def _insert_missing(rows: list[RegisteredVehicle]) -> int:
    """Create the rows whose VIN is new and whose plate is not issued yet; the number created."""
    existing_vins: set[str] = set()
    taken_plates: set[str] = set()
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        existing_vins |= set(
            RegisteredVehicle.objects.filter(vin__in=[r.vin for r in chunk]).values_list("vin", flat=True)
        )
        taken_plates |= set(
            RegisteredVehicle.objects.filter(plate__in=[r.plate for r in chunk]).values_list(
                "plate", flat=True
            )
        )
    new = [r for r in rows if r.vin not in existing_vins and r.plate not in taken_plates]
    RegisteredVehicle.objects.bulk_create(new, batch_size=500, ignore_conflicts=True)
    return len(new)


def _holder(email: str, given: str, family: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=None, kind=User.Kind.CITIZEN, first_name=given, last_name=family
        )
    return user


def _reserve(authority: Authority, holder: User, plate: str, days_ago: int, now: dt.datetime) -> bool:
    active = PlateReservation.objects.filter(status=PlateReservation.Status.ACTIVE)
    if active.filter(plate=plate).exists() or RegisteredVehicle.objects.filter(plate=plate).exists():
        return False
    if active.filter(holder=holder).count() >= int(settings.VEHICLES_RESERVATIONS_PER_PERSON):
        return False
    reserved_at = now - dt.timedelta(days=days_ago)
    PlateReservation.objects.create(
        authority=authority,
        plate=plate,
        holder=holder,
        reserved_at=reserved_at,
        expires_at=reserved_at + dt.timedelta(days=int(settings.VEHICLES_RESERVATION_DAYS)),
    )
    return True


def load_vehicles_demo(*, now: dt.datetime | None = None) -> VehiclesDemo:
    """Fill the local register and make the demo reservations (idempotent, see the module docstring)."""
    now = now or timezone.now()
    summary = VehiclesDemo()
    email = demo_citizen_email()
    citizen = User.objects.filter(email=email).first() if email else None
    reserved = {CITIZEN_RESERVATION[0], *(row[3] for row in RESERVATION_HOLDERS)}
    with transaction.atomic():
        if citizen is not None:
            summary.citizen_vehicles = _insert_missing(_citizen_rows(citizen))
        summary.issued = _insert_missing(_issued_rows(reserved | {row[0] for row in CITIZEN_VEHICLES}))
        authority = Authority.objects.filter(ags=settings.VEHICLES_AUTHORITY_AGS).first()
        if authority is not None:
            if citizen is not None:
                plate, days_ago = CITIZEN_RESERVATION
                summary.reservations += _reserve(authority, citizen, plate, days_ago, now)
            for holder_email, given, family, plate, days_ago in RESERVATION_HOLDERS:
                holder = _holder(holder_email, given, family)
                summary.reservations += _reserve(authority, holder, plate, days_ago, now)
    return summary


# The demo move (Dormagen → Neuss with all three cars) as Neuss has confirmed it: the vehicle part is
# waiting in the Kreis' inbox, the label is to be handed out at the Neuss Bürgerbüro.
MOVE_SERVICE = "99115005104000"
MOVE_TOWN = "05162024"
MOVE_CASEWORKER = "sachbearbeitung.neuss@demo.amtsweg.de"
NEW_ADDRESS = ("Büchel", "12", "41460", "Neuss")


def load_move_demo() -> bool:
    """Submit and confirm the demo citizen's move once (after the process models are published);
    the Kreis' part is opened at once, as the worker would. Whether it was created now."""
    from amtsweg.cases.models import Case
    from amtsweg.cases.services import submission_submit
    from amtsweg.catalog.models import Service
    from amtsweg.forms.models import Draft, FormVersion
    from amtsweg.identity.assurance import Assurance
    from amtsweg.identity.levels import TrustLevel
    from amtsweg.processes.models import Handover, ProcessTask
    from amtsweg.processes.services import handover_deliver, process_task_complete

    email = demo_citizen_email()
    citizen = User.objects.filter(email=email).first() if email else None
    service = Service.objects.filter(leika_key=MOVE_SERVICE).first()
    town = Authority.objects.filter(ags=MOVE_TOWN).first()
    caseworker = User.objects.filter(email=MOVE_CASEWORKER).first()
    version = FormVersion.objects.filter(
        definition__service=service, definition__authority=None, status=FormVersion.Status.PUBLISHED
    ).first()
    if None in (citizen, service, town, caseworker, version):
        return False
    assert citizen is not None and service is not None and town is not None and caseworker is not None
    assert version is not None
    if Case.objects.filter(applicant=citizen, service=service).exists():
        return False
    street, number, postcode, city = NEW_ADDRESS
    old_street, old_postcode, old_city = CITIZEN_ADDRESS
    answers = {
        "familienname": citizen.last_name,
        "vornamen": citizen.first_name,
        "geburtsdatum": "1988-05-21",
        "einzugsdatum": (timezone.localdate() - dt.timedelta(days=4)).isoformat(),
        "neue_strasse": street,
        "neue_hausnummer": number,
        "neue_plz": postcode,
        "neuer_ort": city,
        "bisherige_strasse": old_street.rsplit(" ", 1)[0],
        "bisherige_hausnummer": old_street.rsplit(" ", 1)[1],
        "bisherige_plz": old_postcode,
        "bisheriger_ort": old_city,
        "fahrzeuge": [{"kennzeichen": row[0]} for row in CITIZEN_VEHICLES],
        "aufkleber_zustellung": "buergerbuero",
    }
    with transaction.atomic():
        draft = Draft.objects.create(
            form_version=version,
            service=service,
            authority=town,
            applicant=citizen,
            data=answers,
            completed_steps=[step.key for step in version.parsed.steps],
        )
        case = submission_submit(
            draft=draft, actor=citizen, channel="cli", assurance=Assurance(TrustLevel.HIGH, "demo")
        ).case
        task = ProcessTask.objects.filter(case=case, state=ProcessTask.State.OPEN, kind="user").first()
        if task is None:  # a process model without the confirmation step: leave the case to staff
            return True
        process_task_complete(task=task, data={"vollstaendig": True}, actor=caseworker, channel="cli")
        for handover_id in Handover.objects.filter(case=case).values_list("pk", flat=True):
            handover_deliver(handover_id=handover_id)
    return True
