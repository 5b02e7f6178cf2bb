"""The move of issue 10 for tests: the town service "Anmeldung einer Wohnung" with the demo form and
process, the Kreis service "Adressänderung in der Zulassungsbescheinigung", and valid answers."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.utils import timezone

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.forms.models import FormDefinition, FormVersion
from amtsweg.notices.models import NoticeTemplate
from amtsweg.processes.models import ProcessVersion
from amtsweg.processes.services import process_version_import, process_version_publish
from amtsweg.processes.tests.test_handover_case import RECEIVER
from amtsweg.tenancy.models import Team
from amtsweg.testing import World

from . import factories

DEMO = Path(__file__).resolve().parents[2] / "demo" / "data"
MOVE_SERVICE = "99115005104000"
VEHICLE_SERVICE = "99036008071000"
# The Kreis part as the simplest model: one user task, then close (the real one is H-KREIS's); the
# caseworker decides the case by hand before completing the task.
SIMPLE_KREIS_MODEL = RECEIVER


def _publish_process(service: Service, xml: bytes, filename: str) -> ProcessVersion:
    version = process_version_import(
        service=service, authority=None, xml=xml, filename=filename, actor=None, supporting=[]
    )
    assert version.executable, version.execution_problems
    return process_version_publish(version=version, actor=None)


def _templates(service: Service, name: str) -> None:
    for decision, verb in (("granted", "erteilt"), ("rejected", "abgelehnt")):
        NoticeTemplate.objects.get_or_create(
            service=service,
            authority=None,
            decision=decision,
            defaults={
                "subject": f"{name} – {verb}",
                "body": f"Ihr Antrag {{{{ case.reference }}}}: {name} {verb}.",
                "legal_remedy": "Gegen diesen Bescheid kann innerhalb eines Monats Klage erhoben werden.",
                "fee_lines": [],
            },
        )


def move_services(world: World, *, kreis_model: bytes | None = SIMPLE_KREIS_MODEL) -> tuple[Service, Service]:
    """The town's registration (trust level "hoch", Neuss and Dormagen, demo form and process) and the
    Kreis vehicle part (``kreis_model``; ``None``: the caller publishes one)."""
    factories.ensure_default_status_model()
    move = Service.objects.create(
        leika_key=MOVE_SERVICE,
        name="Anmeldung einer Wohnung",
        responsible_level=Service.Level.TOWN,
        required_trust_level="hoch",
    )
    vehicles = Service.objects.create(
        leika_key=VEHICLE_SERVICE,
        name="Adressänderung in der Zulassungsbescheinigung",
        responsible_level=Service.Level.KREIS,
    )
    for town in (world.neuss, world.dormagen):
        office_team = Team.objects.create(authority=town, name="Bürgerbüro")
        Team.objects.create(authority=town, name="Teamleitung")
        reader = world.caseworker_neuss if town == world.neuss else world.caseworker_dormagen
        office_team.members.add(reader)
        ServiceOffering.objects.create(service=move, authority=town, maturity=3, team=office_team)
    ServiceOffering.objects.create(
        service=vehicles,
        authority=world.kreis,
        maturity=3,
        team=Team.objects.get(authority=world.kreis, name="Zulassungsstelle"),
    )
    definition = FormDefinition.objects.create(service=move, authority=None, name="Wohnsitz anmelden")
    FormVersion.objects.create(
        definition=definition,
        number=1,
        status=FormVersion.Status.PUBLISHED,
        schema=json.loads((DEMO / "forms" / "wohnsitzanmeldung.json").read_text()),
        published_at=timezone.now(),
    )
    _publish_process(
        move, (DEMO / "processes" / "wohnsitzanmeldung.bpmn").read_bytes(), "wohnsitzanmeldung.bpmn"
    )
    if kreis_model is not None:
        _publish_process(vehicles, kreis_model, "kfz.bpmn")
    _templates(move, "Meldebestätigung")
    _templates(vehicles, "Adressänderung")
    return move, vehicles


def move_answers(*, plates: list[str] | None = None, label: str = "post", **changes: Any) -> dict[str, Any]:
    """Valid answers of the registration form: a move from Dormagen to Neuss, with ``plates``."""
    moved_in = (timezone.localdate() - timedelta(days=3)).isoformat()
    answers: dict[str, Any] = {
        "familienname": "Citizen",
        "vornamen": "Clara Maria",
        "geburtsdatum": "1990-04-01",
        "einzugsdatum": moved_in,
        "neue_strasse": "Markt",
        "neue_hausnummer": "2",
        "neue_plz": "41460",
        "neuer_ort": "Neuss",
        "bisherige_strasse": "Kölner Straße",
        "bisherige_hausnummer": "10",
        "bisherige_plz": "41539",
        "bisheriger_ort": "Dormagen",
        "haushaltsmitglieder": [
            {"familienname": "Citizen", "vornamen": "Paul", "geburtsdatum": "2015-06-01"}
        ],
    }
    if plates:
        answers["fahrzeuge"] = [{"kennzeichen": plate} for plate in plates]
        answers["aufkleber_zustellung"] = label
    answers.update(changes)
    return answers
