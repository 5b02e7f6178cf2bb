"""Demo applications: three services with real forms (one imported from an XDatenfelder file), their
notice templates, and demo cases in different states in Neuss and Dormagen.

Everything goes through the same services a person would use (publish, submit, claim, request
information, decide), so the demo data is exactly what the product produces.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from amtsweg.cases import services as case_services
from amtsweg.cases.models import Case
from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.forms import services as form_services
from amtsweg.forms.models import Draft, FormVersion
from amtsweg.forms.schema import FormSchema
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.tenancy.models import Authority, Team

DATA = Path(__file__).resolve().parent / "data"
CHANNEL = "cli"
# The demo applicants logged in with the identity simulator at the highest level.
DEMO_EID = Assurance(TrustLevel.HIGH, "demo")

# service → where its form comes from
DEMO_FORMS: dict[str, str] = {
    "99115004001000": "forms/melderegisterauskunft.json",  # Melderegisterauskunft Erteilung
    "99102013002000": "forms/hundesteuer.json",  # Hundesteuer Festsetzung
    "99042001012000": "forms/fischereischein.xdf3.xml",  # Fischereischein Ausstellung (XDatenfelder 3)
    "99115005104000": "forms/wohnsitzanmeldung.json",  # Anmeldung einer Wohnung (OZG 10124)
    "99003002022000": "forms/infektionsschutzbelehrung.json",  # Belehrung § 43 IfSG (filled by the ifsg flow)
    "99012004023000": "forms/baulastenauskunft.json",  # Baulastenverzeichnis Auskunft (online, with fee)
}
# Services whose cases go to a specialised team, not the Bürgerbüro (Kreis services opened by
# hand-overs or by the Kreis itself; the building supervision's Auskunft at every keeper) → that team
KREIS_TEAMS: dict[str, str] = {
    "99036008071000": "Zulassungsstelle",  # Adressänderung (vehicle part of a move)
    "99036009072003": "Zulassungsstelle",  # Wunschkennzeichen
    "99003002022000": "Gesundheitsamt – Infektionsschutz",  # Belehrung nach § 43 IfSG
    "99012004023000": "Bauaufsicht – Baulasten",  # Baulastenauskunft (team: baulasten.demo)
}


@dataclass
class ApplicationsSummary:
    forms: int = 0
    cases: int = 0


def _publish_forms(actor: User) -> int:
    """Publish each demo form; an unchanged file creates no new version when the demo is loaded again."""
    for leika, relative in DEMO_FORMS.items():
        service = Service.objects.get(leika_key=leika)
        path = DATA / relative
        if path.suffix == ".xml":  # imported exactly as an administrator would: amtsweg import_xdatenfelder
            form_services.form_import_xdatenfelder(
                service=service,
                authority=None,
                data=path.read_bytes(),
                filename=path.name,
                actor=actor,
                publish=True,
                channel=CHANNEL,
            )
            continue
        definition = form_services.form_definition_get_or_create(service=service, authority=None)
        schema = FormSchema.model_validate(json.loads(path.read_text(encoding="utf-8")))
        published = definition.versions.filter(status=FormVersion.Status.PUBLISHED).first()
        if published is None or published.parsed != schema:
            version = form_services.form_version_create(
                definition=definition, schema=schema, source=f"Demo {path.name}", actor=actor, channel=CHANNEL
            )
            form_services.form_version_publish(version=version, actor=actor, channel=CHANNEL)
    return len(DEMO_FORMS)


def _route_to_teams() -> None:
    """Applications for the demo services land in each town's Bürgerbüro inbox."""
    for offering in ServiceOffering.objects.filter(service__leika_key__in=DEMO_FORMS).select_related(
        "authority"
    ):
        team = Team.objects.filter(authority=offering.authority, name="Bürgerbüro").first()
        if team is not None and offering.team_id != team.pk:
            offering.team = team
            offering.maturity = max(offering.maturity, ServiceOffering.Maturity.ONLINE_APPLICATION)
            offering.save(update_fields=["team", "maturity", "updated_at"])
    for leika, team_name in KREIS_TEAMS.items():
        for offering in ServiceOffering.objects.filter(service__leika_key=leika).select_related("authority"):
            team = Team.objects.filter(authority=offering.authority, name=team_name).first()
            if team is not None and offering.team_id != team.pk:
                offering.team = team
                offering.save(update_fields=["team", "updated_at"])


def _notice_templates() -> None:
    spec: list[dict[str, Any]] = json.loads((DATA / "notice_templates.json").read_text(encoding="utf-8"))
    legal_remedy = (DATA / "legal_remedy.txt").read_text(encoding="utf-8").strip()
    for entry in spec:
        NoticeTemplate.objects.update_or_create(
            service=Service.objects.get(leika_key=entry["service"]),
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


# (service, town AGS, answers, what the caseworker has done so far)
DEMO_CASES: list[tuple[str, str, str, str]] = [
    ("99115004001000", "05162024", "melderegister_1", "new"),
    ("99115004001000", "05162024", "melderegister_2", "claimed"),
    ("99102013002000", "05162024", "hund_1", "waiting"),
    ("99102013002000", "05162024", "hund_2", "decided"),
    ("99115004001000", "05162004", "melderegister_3", "new"),
    ("99102013002000", "05162004", "hund_3", "claimed"),
    ("99042001012000", "05162004", "fischerei_1", "decided"),
    ("99042001012000", "05162024", "fischerei_2", "new"),
]


def _demo_cases(citizen: User) -> int:
    if Case.objects.filter(applicant=citizen).exists():
        return 0  # the demo cases exist already; loading the demo again keeps them
    answers: dict[str, dict[str, Any]] = json.loads((DATA / "demo_answers.json").read_text(encoding="utf-8"))
    caseworkers = {
        "05162024": User.objects.get(email="sachbearbeitung.neuss@demo.amtsweg.de"),
        "05162004": User.objects.get(email="sachbearbeitung.dormagen@demo.amtsweg.de"),
    }
    created = 0
    for leika, ags, answer_key, state in DEMO_CASES:
        service = Service.objects.get(leika_key=leika)
        authority = Authority.objects.get(ags=ags)
        version = FormVersion.objects.get(
            definition__service=service, definition__authority=None, status=FormVersion.Status.PUBLISHED
        )
        draft = Draft.objects.create(
            form_version=version,
            service=service,
            authority=authority,
            applicant=citizen,
            data=answers[answer_key],
            completed_steps=[step.key for step in version.parsed.steps],
        )
        case = case_services.submission_submit(
            draft=draft, actor=citizen, channel=CHANNEL, assurance=DEMO_EID
        ).case
        worker = caseworkers[ags]
        if state in {"claimed", "waiting", "decided"}:
            case = case_services.case_claim(case=case, actor=worker, channel=CHANNEL)
        if state == "waiting":
            case_services.case_request_information(
                case=case,
                message="Bitte teilen Sie uns die Chipnummer Ihres Hundes mit und laden Sie eine Kopie des "
                "Impfausweises hoch.",
                due_date=timezone.localdate() + timedelta(days=14),
                actor=worker,
                channel=CHANNEL,
            )
        if state == "decided":
            case_services.case_decide(case=case, decision="granted", actor=worker, channel=CHANNEL)
        created += 1
    return created


@transaction.atomic
def demo_applications_load() -> ApplicationsSummary:
    alliance_admin = User.objects.get(email="admin.kreis@demo.amtsweg.de")
    citizen = User.objects.get(email="buerger@demo.amtsweg.de")
    summary = ApplicationsSummary()
    summary.forms = _publish_forms(alliance_admin)
    _route_to_teams()
    _notice_templates()
    summary.cases = _demo_cases(citizen)
    return summary
