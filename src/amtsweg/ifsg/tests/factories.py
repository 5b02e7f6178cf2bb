"""A health office that offers the online instruction, set up the way the demo sets it up: the service
with its form, fee and voucher, the programme with published material in German, English and Arabic,
a pool of ten questions, the certificate template and the reference process
(``demo/data/processes/ifsg_belehrung.bpmn``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.forms.models import FormVersion
from amtsweg.forms.schema import FormSchema
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.payments.models import Fee, Waiver
from amtsweg.processes.services import process_version_import, process_version_publish
from amtsweg.tenancy.models import Membership, Office, Team
from amtsweg.testing import World, make_user

from ..models import Material, Programme, Question

DEMO = Path(__file__).resolve().parents[2] / "demo" / "data"
BPMN = DEMO / "processes" / "ifsg_belehrung.bpmn"
FORM = DEMO / "forms" / "infektionsschutzbelehrung.json"
LEIKA = "99003002022000"
VOUCHER = "EHRENAMT-2026"
FEE_CENTS = 2000
CERTIFICATE_BODY = (
    "{{ data.vornamen }} {{ data.familienname }}, geboren am {{ data.geburtsdatum|date:'d.m.Y' }}, "
    "wurde am {{ belehrt_am|date:'d.m.Y' }} in {{ sprache }} nach § 43 Abs. 1 Nr. 1 IfSG belehrt und hat "
    "schriftlich erklärt, dass keine Tatsachen für ein Tätigkeitsverbot bekannt sind."
)

# Ten questions; option 0 is not always right, so shuffling and scoring are really exercised.
QUESTIONS: list[tuple[str, list[str], int]] = [
    (
        "Wann dürfen Sie nicht mit Lebensmitteln arbeiten?",
        ["Bei Durchfall mit Fieber", "Bei Müdigkeit", "Am Wochenende"],
        0,
    ),
    (
        "Was tun Sie vor Arbeitsbeginn?",
        ["Nichts", "Hände waschen", "Essen"],
        1,
    ),
    (
        "Wem melden Sie Krankheitszeichen?",
        ["Niemandem", "Den Kunden", "Dem Arbeitgeber"],
        2,
    ),
    (
        "Was gilt bei eitrigen Wunden an den Händen?",
        ["Nicht mit Lebensmitteln arbeiten", "Pflaster reicht immer", "Egal"],
        0,
    ),
    (
        "Wie lange gilt die Bescheinigung bis zum Beginn der Tätigkeit?",
        ["1 Woche", "3 Monate", "10 Jahre"],
        1,
    ),
    (
        "Wer belehrt danach alle zwei Jahre?",
        ["Die Polizei", "Niemand", "Der Arbeitgeber"],
        2,
    ),
    (
        "Was ist bei Typhus?",
        ["Tätigkeitsverbot", "Weiterarbeiten", "Nur Handschuhe"],
        0,
    ),
    (
        "Was tragen Sie bei der Arbeit?",
        ["Straßenkleidung", "Saubere Arbeitskleidung", "Schmuck"],
        1,
    ),
    (
        "Wie oft Hände waschen?",
        ["Einmal am Tag", "Nie", "Nach jedem Toilettengang"],
        2,
    ),
    (
        "Was tun bei Hepatitis A?",
        ["Arzt und Arbeitgeber informieren", "Verschweigen", "Urlaub nehmen"],
        0,
    ),
]


@dataclass
class IfsgSetup:
    service: Service
    programme: Programme
    office: Office
    caseworker: User  # health office staff (Kreis), team "Gesundheitsamt – Infektionsschutz"
    materials: dict[str, Material]
    questions: list[Question]
    fee: Fee
    waiver: Waiver


def _texts(text: str, options: list[str]) -> dict[str, dict[str, Any]]:
    # German, plus an English and an Arabic text that name the German one, enough for flow tests.
    return {
        "de": {"text": text, "options": options, "explanation": "Siehe Belehrungstext."},
        "en": {
            "text": f"EN: {text}",
            "options": [f"EN: {o}" for o in options],
            "explanation": "See the text.",
        },
        "ar": {"text": f"؟ {text}", "options": [f"ع {o}" for o in options], "explanation": "انظر النص."},
    }


def publish_form(service: Service, actor: User | None = None) -> FormVersion:
    from amtsweg.forms import services as form_services

    definition = form_services.form_definition_get_or_create(service=service, authority=None)
    schema = FormSchema.model_validate(json.loads(FORM.read_text(encoding="utf-8")))
    version = form_services.form_version_create(
        definition=definition, schema=schema, source="Test", actor=actor, channel="web"
    )
    form_services.form_version_publish(version=version, actor=actor, channel="web")
    return version


def ifsg_setup(world: World, *, languages: tuple[str, ...] = ("de", "en", "ar")) -> IfsgSetup:
    service = Service.objects.create(
        leika_key=LEIKA,
        name="Belehrung nach § 43 Infektionsschutzgesetz",
        responsible_level=Service.Level.KREIS,
        required_trust_level="substantiell",
    )
    office = Office.objects.create(
        authority=world.kreis,
        name="Gesundheitsamt",
        slug="gesundheitsamt",
        street="Am Palast 1",
        postcode="41515",
        city="Grevenbroich",
    )
    team = Team.objects.create(authority=world.kreis, name="Gesundheitsamt – Infektionsschutz")
    ServiceOffering.objects.create(service=service, authority=world.kreis, maturity=4, team=team)
    caseworker = make_user("gesa@kreis.example", first="Gesa", last="Gesundheit")
    Membership.objects.create(user=caseworker, authority=world.kreis)
    team.members.add(caseworker)
    programme = Programme.objects.create(
        authority=world.kreis,
        service=service,
        appointment_office=office,
        pass_mark=7,
        questions_per_attempt=8,
    )
    materials = {
        language: Material.objects.create(
            programme=programme,
            language=language,
            version=1,
            status=Material.Status.PUBLISHED,
            title=f"Belehrung ({language})",
            text=(
                "# Tätigkeitsverbote\n\n"
                "Wer an Durchfall mit Fieber erkrankt ist, darf nicht mit Lebensmitteln arbeiten."
            ),
            declaration="Mir sind keine Tatsachen für ein Tätigkeitsverbot bekannt.",
            transcript="Transkript des Videos.",
        )
        for language in languages
    }
    questions = [
        Question.objects.create(programme=programme, number=n, correct=correct, texts=_texts(text, options))
        for n, (text, options, correct) in enumerate(QUESTIONS, start=1)
    ]
    fee = Fee.objects.create(
        service=service,
        authority=world.kreis,
        title="Gebühr für die Belehrung",
        amount_cents=FEE_CENTS,
        timing=Fee.Timing.BEFORE_SUBMISSION,
        legal_basis="Allgemeine Verwaltungsgebührenordnung NRW, Tarifstelle 10.8",
    )
    waiver = Waiver.objects.create(
        authority=world.kreis, service=service, code=VOUCHER, reason="Ehrenamt", uses_left=100
    )
    publish_form(service)
    NoticeTemplate.objects.create(
        service=service,
        authority=None,
        decision="granted",
        subject="Bescheinigung gemäß § 43 Abs. 1 Infektionsschutzgesetz",
        body=CERTIFICATE_BODY,
        legal_remedy="",
        layout=NoticeTemplate.Layout.CERTIFICATE,
    )
    version = process_version_import(
        service=service, authority=None, xml=BPMN.read_bytes(), filename=BPMN.name, actor=None
    )
    assert version.executable, version.execution_problems
    process_version_publish(version=version, actor=None)
    return IfsgSetup(
        service=service,
        programme=programme,
        office=office,
        caseworker=caseworker,
        materials=materials,
        questions=questions,
        fee=fee,
        waiver=waiver,
    )
