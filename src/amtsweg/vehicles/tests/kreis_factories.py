"""Kreis cases with a handed-over vehicle part, made the way the platform makes them: a town case
hands over (a ``Handover`` row with the message), ``processes.services.handover_deliver`` opens the
Kreis case and starts its process (``demo/data/processes/kfz_adressaenderung.bpmn``)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.utils import timezone

from amtsweg.cases.models import Case
from amtsweg.cases.tests.factories import ensure_default_status_model, submit_case
from amtsweg.notices.models import NoticeTemplate
from amtsweg.processes.models import Handover, ProcessTask
from amtsweg.processes.services import handover_deliver, process_version_import, process_version_publish
from amtsweg.tenancy.models import Membership, Team
from amtsweg.testing import World, make_user

from ..models import RegisteredVehicle

BPMN = Path(__file__).resolve().parents[2] / "demo" / "data" / "processes" / "kfz_adressaenderung.bpmn"


def kreis_caseworker(world: World) -> Any:
    user = make_user("karla@kreis.example", first="Karla", last="Kreis")
    Membership.objects.create(user=user, authority=world.kreis)
    Team.objects.get(authority=world.kreis, name="Zulassungsstelle").members.add(user)
    return user


def publish_kreis_model(world: World) -> None:
    version = process_version_import(
        service=world.kreis_service,
        authority=None,
        xml=BPMN.read_bytes(),
        filename="kfz_adressaenderung.bpmn",
        actor=None,
    )
    assert version.executable, version.execution_problems
    process_version_publish(version=version, actor=None)
    for decision, subject in (
        ("granted", "Adressänderung eingetragen"),
        ("partially", "Adressänderung teilweise eingetragen"),
        ("rejected", "Adressänderung abgelehnt"),
    ):
        NoticeTemplate.objects.get_or_create(
            service=world.kreis_service,
            authority=None,
            decision=decision,
            defaults={
                "subject": subject,
                "body": f"{subject}: {{{{ case.reference }}}}.",
                "legal_remedy": "Klage",
                "fee_lines": [],
            },
        )


def register(plate: str, *, prefix: str = "", vin: str = "", **holder: Any) -> RegisteredVehicle:
    defaults: dict[str, Any] = {
        "holder_family_name": "Citizen",
        "holder_given_names": "Clara",
        "holder_birth_date": dt.date(1990, 4, 1),
        "holder_street": "Schulstraße 3",
        "holder_postcode": "41539",
        "holder_city": "Dormagen",
    }
    defaults.update(holder)
    return RegisteredVehicle.objects.create(
        plate=plate,
        vin=vin or f"WVW{abs(hash(plate)) % 10**14:014d}",
        make="VW",
        model="Golf",
        district_prefix=prefix or plate.split("-", 1)[0],
        **defaults,
    )


def message(*plates: str, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "familienname": "Citizen",
        "vornamen": "Clara",
        "geburtsdatum": "1990-04-01",
        "einzugsdatum": (timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        "neue_strasse": "Markt",
        "neue_hausnummer": "2",
        "neue_plz": "41460",
        "neuer_ort": "Neuss",
        "bisherige_plz": "41539",
        "bisheriger_ort": "Dormagen",
        "fahrzeuge": [{"kennzeichen": p} for p in plates],
        "aufkleber_zustellung": "buergerbuero",
        "origin": {
            "authority_ags": "05162024",
            "authority_name": "Neuss",
            "reference": "024-2026-000001",
            "decision": "granted",
            "decided_at": timezone.now().isoformat(),
        },
    }
    data.update(changes)
    return data


def hand_over(world: World, data: dict[str, Any]) -> Case:
    """A Neuss case hands ``data`` to the Kreis; the delivery opens and starts the Kreis case."""
    ensure_default_status_model()
    town_case = submit_case(world)
    now = timezone.now()
    task = ProcessTask.objects.create(
        case=town_case,
        authority=world.neuss,
        service=world.town_service,
        bpmn_id="fahrzeuge_uebergeben",
        name="Fahrzeuge an die Zulassungsstelle",
        kind=ProcessTask.Kind.HANDOVER,
        state=ProcessTask.State.WAITING,
        created_at=now,
    )
    handover = Handover.objects.create(
        case=town_case,
        task=task,
        from_authority=world.neuss,
        to_authority=world.kreis,
        to_team=Team.objects.get(authority=world.kreis, name="Zulassungsstelle"),
        subject="Adressänderung Fahrzeuge",
        data=data,
        service=world.kreis_service,
        created_at=now,
    )
    case = handover_deliver(handover_id=handover.pk)
    assert case is not None
    return case
