"""The online Auskunft set up as the demo sets it up, for every test that files one end to end.

``auskunft_setup(world, setup)`` publishes (alliance-wide, for service 99012004023000) the form
``demo/data/forms/baulastenauskunft.json``, the reference process ``baulastenauskunft.bpmn`` and the
notice templates of ``demo/data/notice_templates.json``; it gives each keeping authority a treasury
account, so the fee request carries bank details and a Kassenzeichen, and routes the service for
Jüchen to the Kreis (``ResponsibilityOverride``, as the register area says). ``auskunft_file`` submits an
Auskunft as a citizen through the real draft and submission services (portal channel by default).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from amtsweg.cases.models import Case
from amtsweg.cases.services import ensure_default_status_model, submission_submit
from amtsweg.catalog.models import ResponsibilityOverride
from amtsweg.forms import services as form_services
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.forms.schema import FormSchema
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.payments.models import PaymentAccount
from amtsweg.processes.models import ProcessTask, ProcessVersion
from amtsweg.processes.services import process_version_import, process_version_publish
from amtsweg.tenancy.models import Authority
from amtsweg.testing import EID_LOGIN, World

from ..models import AuskunftRequest
from .factories import LEIKA_AUSKUNFT, BaulastenSetup

DEMO = Path(__file__).resolve().parents[2] / "demo" / "data"
FORM = DEMO / "forms" / "baulastenauskunft.json"
BPMN = DEMO / "processes" / "baulastenauskunft.bpmn"
TEMPLATES = DEMO / "notice_templates.json"
LEGAL_REMEDY = DEMO / "legal_remedy.txt"
DECISION_TASK = "Activity_Interesse_pruefen"

# (Gemarkung key, Flur, Flurstücksnummer) of the parcels of baulasten_setup
NEUSS_119_2 = ("053359", 3, "119/2")  # two entries (setback, parking)
NEUSS_200 = ("053359", 7, "200")  # no entry
DORMAGEN_45 = ("053347", 2, "45")  # one entry, Dormagen's register
JUECHEN_8 = ("053224", 4, "8/1")  # one entry, the Kreis' register
GRIMLINGHAUSEN_12 = ("053351", 1, "12/1")  # only a deleted entry → no entry


@dataclass
class AuskunftSetup:
    base: BaulastenSetup
    form: FormVersion
    process: ProcessVersion
    granted: NoticeTemplate
    rejected: NoticeTemplate


def _publish_form() -> FormVersion:
    from amtsweg.catalog.models import Service

    service = Service.objects.get(leika_key=LEIKA_AUSKUNFT)
    definition = form_services.form_definition_get_or_create(service=service, authority=None)
    schema = FormSchema.model_validate(json.loads(FORM.read_text(encoding="utf-8")))
    version = form_services.form_version_create(
        definition=definition, schema=schema, source="Test", actor=None, channel="web"
    )
    form_services.form_version_publish(version=version, actor=None, channel="web")
    return version


def _templates(setup: BaulastenSetup) -> dict[str, NoticeTemplate]:
    legal_remedy = LEGAL_REMEDY.read_text(encoding="utf-8").strip()
    spec: list[dict[str, Any]] = json.loads(TEMPLATES.read_text(encoding="utf-8"))
    made: dict[str, NoticeTemplate] = {}
    for entry in spec:
        if entry["service"] != LEIKA_AUSKUNFT:
            continue
        made[entry["decision"]], _ = NoticeTemplate.objects.update_or_create(
            service=setup.service,
            authority=None,
            decision=entry["decision"],
            defaults={
                "subject": entry["subject"],
                "body": entry["body"],
                "legal_remedy": legal_remedy,
                "fee_lines": entry.get("fee_lines", []),
                "is_active": True,
            },
        )
    return made


def auskunft_setup(world: World, setup: BaulastenSetup) -> AuskunftSetup:
    ensure_default_status_model()
    form = _publish_form()
    templates = _templates(setup)
    process = process_version_import(
        service=setup.service, authority=None, xml=BPMN.read_bytes(), filename=BPMN.name, actor=None
    )
    assert process.executable, process.execution_problems
    process_version_publish(version=process, actor=None)
    # The platform's routing follows the register areas: applying for Jüchen goes to the Kreis.
    ResponsibilityOverride.objects.get_or_create(
        service=setup.service, area=setup.juechen, defaults={"responsible": world.kreis}
    )
    for authority, prefix in ((world.neuss, "NE"), (world.dormagen, "DO"), (world.kreis, "RK")):
        PaymentAccount.objects.get_or_create(
            authority=authority,
            defaults={
                "recipient": f"Kasse {authority.name}",
                "iban": "DE02305500000000012345",
                "bic": "WELADEDNXXX",
                "kassenzeichen_prefix": prefix,
            },
        )
    return AuskunftSetup(
        base=setup, form=form, process=process, granted=templates["granted"], rejected=templates["rejected"]
    )


def auskunft_answers(
    parcels: list[tuple[str, int | None, str]],
    *,
    interest: str = "eigentuemer",
    reason: str = "Ich bin Eigentümerin laut Grundbuch von Neuss Blatt 1234.",
    location: str = "",
) -> dict[str, Any]:
    """Form answers (the keys of baulastenauskunft.json) for ``parcels`` as (Gemarkung key, Flur, number)."""
    return {
        "flurstuecke": [
            {"gemarkung": key, "flur": str(flur) if flur is not None else "", "flurstueck": number}
            for key, flur, number in parcels
        ],
        "lage": location,
        "interesse": interest,
        "begruendung": reason,
        "nachweis": [],
    }


def auskunft_draft(
    *,
    citizen: User,
    authority: Authority,
    parcels: list[tuple[str, int | None, str]],
    **answers: Any,
) -> Draft:
    """A draft with every step saved through the form service (so the answers are validated)."""
    from amtsweg.catalog.models import Service

    service = Service.objects.get(leika_key=LEIKA_AUSKUNFT)
    draft = form_services.draft_start(service=service, authority=authority, applicant=citizen)
    data = auskunft_answers(parcels, **answers)
    steps = {
        "flurstuecke_schritt": {"flurstuecke": data["flurstuecke"], "lage": data["lage"]},
        "interesse_schritt": {k: data[k] for k in ("interesse", "begruendung", "nachweis")},
    }
    for step, raw in steps.items():
        saved = form_services.draft_step_save(draft=draft, step_key=step, raw=raw, actor=citizen)
        assert not saved.errors, saved.errors
        draft = saved.draft
    return draft


def auskunft_file(
    *,
    citizen: User,
    authority: Authority,
    parcels: list[tuple[str, int | None, str]],
    channel: str = "web",
    **answers: Any,
) -> Case:
    """Submit an Auskunft as ``citizen`` at the keeper ``authority`` (portal by default); the process
    runs the intake at once, so the case has its ``AuskunftRequest``."""
    draft = auskunft_draft(citizen=citizen, authority=authority, parcels=parcels, **answers)
    submission = submission_submit(draft=draft, actor=citizen, channel=channel, assurance=EID_LOGIN)
    return Case.objects.select_related("authority", "service").get(submission=submission)


def auskunft_of(case: Case) -> AuskunftRequest:
    return AuskunftRequest.objects.select_related("register", "case").get(case=case)


def decision_task(case: Case) -> ProcessTask | None:
    return ProcessTask.objects.filter(case=case, bpmn_id=DECISION_TASK, state=ProcessTask.State.OPEN).first()
