"""Demo of the online instruction under § 43 IfSG at the Rhein-Kreis Neuss health office.

``load_ifsg_demo()`` sets up what a health office configures once: the programme with its quiz
rules, version 1 of the instruction material in six languages (text, declaration, captions,
transcript and a leaflet rendered as PDF/A from the same text), the question pool, the fee and two
voucher codes, the certificate template. Then it lets about forty people go through the instruction
over the past months — through the real services (start, material, declaration, quiz with failures
and retries, fee or voucher, submission; the published process issues the certificate), so the staff
statistics show what the product would have recorded. One certificate is revoked.

It runs after the demo forms, payments and processes are loaded (the form, the Kreis team and the
reference process ``ifsg_belehrung.bpmn`` are published there). Loading twice changes nothing: what
exists is never overwritten (an administrator may have edited it), and the demo people are created
only once. The content lives in ``demo/data/ifsg`` (see docs/ifsg.md for its format).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from amtsweg.catalog.models import Service, ServiceOffering
from amtsweg.identity.assurance import Assurance
from amtsweg.identity.levels import TrustLevel
from amtsweg.identity.models import User
from amtsweg.notices.models import NoticeTemplate
from amtsweg.payments.models import Fee, Payment, PaymentEvent, Waiver
from amtsweg.tenancy.models import Authority, Office, Team

from . import languages
from .models import Certificate, Material, Programme, Question, QuizAttempt

DATA = Path(__file__).resolve().parents[1] / "demo" / "data" / "ifsg"
KREIS = "05162000"
LEIKA = "99003002022000"
OFFICE = "gesundheitsamt"
TEAM = "Gesundheitsamt – Infektionsschutz"
ADMIN = "admin.kreis@demo.amtsweg.de"
CHANNEL = "cli"
FEE_CENTS = 2000
FEE_LEGAL_BASIS = "Allgemeine Verwaltungsgebührenordnung NRW (AVerwGebO NRW), Allgemeiner Gebührentarif"
VOUCHERS = {
    "EHRENAMT-2026": "Ehrenamtskarte NRW",
    "SCHUELER-2026": "Schülerinnen und Schüler im Praktikum",
}
VOUCHER_USES = 1000
CERTIFICATE_SUBJECT = "Bescheinigung gemäß § 43 Abs. 1 Infektionsschutzgesetz (IfSG)"
# The certificate layout prints name, birth date, date and language of the instruction and the
# highlighted deadline itself (ifsg.certificates.certificate_pdf_context); the body states the rest.
CERTIFICATE_BODY = (
    "{{ data.vornamen }} {{ data.familienname }} wurde am {{ belehrt_am|date:'d.m.Y' }} in {{ sprache }} "
    "vom {{ authority.official_name }} – Gesundheitsamt – nach § 43 Abs. 1 Nr. 1 Infektionsschutzgesetz "
    "(IfSG) mündlich (per Video) und schriftlich über die Tätigkeitsverbote nach § 42 Abs. 1 IfSG und die "
    "Verpflichtungen nach § 43 Abs. 2, 4 und 5 IfSG belehrt. Das Verständnis der Belehrung wurde mit "
    "Verständnisfragen geprüft.\n\n"
    "Nach der Belehrung hat {{ data.vornamen }} {{ data.familienname }} schriftlich erklärt, dass "
    "keine Tatsachen für ein Tätigkeitsverbot bekannt sind (§ 43 Abs. 1 Nr. 2 IfSG).\n\n"
    "Die Bescheinigung darf bei Aufnahme der Tätigkeit nicht älter als drei Monate sein. Der Arbeitgeber "
    "bewahrt sie auf und belehrt nach Aufnahme der Tätigkeit und danach alle zwei Jahre "
    "(§ 43 Abs. 4 und 5 IfSG)."
)

# The demo people: synthetic citizens, inactive accounts at an undeliverable domain (RFC 2606), so the
# worker sends them nothing and nobody can log in as them.
PEOPLE = 40
PEOPLE_DOMAIN = "belehrung.demo.amtsweg.invalid"
SEED = 20_260_043
DAYS_BACK = 180
# Share of people per language, roughly what a health office in the Rhein-Kreis Neuss sees.
LANGUAGE_WEIGHTS = {"de": 40, "tr": 15, "ar": 13, "uk": 12, "en": 12, "de-x-ls": 8}
DEMO_EID = Assurance(TrustLevel.SUBSTANTIAL, "demo")
FIRST_NAMES = {
    "de": ("Anna", "Lukas", "Marie", "Jonas", "Sophie", "Felix", "Lea", "Paul"),
    "de-x-ls": ("Kevin", "Sabine", "Tim", "Nadine"),
    "en": ("Emily", "James", "Olivia", "Daniel"),
    "tr": ("Elif", "Emre", "Zeynep", "Mehmet", "Ayşe", "Can"),
    "ar": ("Ahmad", "Fatima", "Omar", "Lina", "Yusuf", "Rana"),
    "uk": ("Olena", "Andrii", "Iryna", "Mykola", "Daryna"),
}
LAST_NAMES = {
    "de": ("Schmitz", "Becker", "Hoffmann", "Jansen", "Esser", "Hermanns", "Lambertz"),
    "de-x-ls": ("Müller", "Krause", "Wolf"),
    "en": ("Smith", "Walker", "Brown", "Taylor"),
    "tr": ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik"),
    "ar": ("Al-Hassan", "Haddad", "Khalil", "Nasser", "Saleh"),
    "uk": ("Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko"),
}


@dataclass
class IfsgDemoSummary:
    programme_created: bool = False
    materials: int = 0  # material versions published by this load
    questions: int = 0  # questions added to the pool by this load
    waivers: int = 0
    instructions: int = 0  # demo instructions created by this load
    certificates: int = 0  # of them certified
    failed_attempts: int = 0


# --- content -------------------------------------------------------------------------------------


def material_texts() -> dict[str, dict[str, str]]:
    """Title, declaration, leaflet title and declaration heading per language (``material/texts.json``)."""
    data: dict[str, dict[str, str]] = json.loads(
        (DATA / "material" / "texts.json").read_text(encoding="utf-8")
    )
    return data


def material_markdown(code: str) -> str:
    return (DATA / "material" / f"{code}.md").read_text(encoding="utf-8")


def captions(code: str) -> str:
    return (DATA / "captions" / f"{code}.vtt").read_text(encoding="utf-8")


def question_pool() -> list[dict[str, Any]]:
    pool: list[dict[str, Any]] = json.loads((DATA / "questions.json").read_text(encoding="utf-8"))
    return pool


_TIMING = re.compile(r"^\S+ --> \S+")
COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def transcript_from_captions(vtt: str) -> str:
    """The video's transcript: the captions' text, one paragraph per cue, without numbers and timings."""
    blocks = re.split(r"\n\s*\n", vtt.replace("\r\n", "\n").strip())
    paragraphs: list[str] = []
    for block in blocks[1:]:  # the first block is the WEBVTT header
        lines = block.splitlines()
        while lines and not _TIMING.match(lines[0]):
            lines = lines[1:]  # the cue's identifier
        text = " ".join(line.strip() for line in lines[1:] if line.strip())
        if text:
            paragraphs.append(text)
    return "\n\n".join(paragraphs)


def leaflet_pdf(*, programme: Programme, code: str, version: int, issued_on: date) -> bytes:
    """The leaflet (Merkblatt) of ``code`` as PDF/A: the material's text and declaration, one document."""
    from amtsweg.notices.rendering import render_pdf
    from amtsweg.notices.services import Sender

    from .markdown import render_markdown

    texts = material_texts()[code]
    language = languages.get(code)
    authority = programme.authority
    office = programme.appointment_office
    sender = Sender(
        name=authority.official_name or authority.name,
        office_name=office.name if office else "",
        address_lines=(office.street, f"{office.postcode} {office.city}") if office else (),
        phone=authority.phone or (office.phone if office else ""),
        email=authority.email or (office.email if office else ""),
        website=authority.website,
        colour=authority.primary_colour
        if re.fullmatch(r"#[0-9a-fA-F]{6}", authority.primary_colour or "")
        else "",
    )
    return render_pdf(
        template_name="ifsg/pdf/leaflet.html",
        context={
            "sender": sender,
            "issued_on": issued_on,
            "version": version,
            "programme_title": texts["title"],
            "text": render_markdown(material_markdown(code), heading_offset=0),
            "declaration": texts["declaration"],
            "declaration_heading": texts["declaration_heading"],
            "direction": "rtl" if language.rtl else "ltr",
        },
        title=texts["leaflet"],
        lang=language.locale,
    )


# --- configuration -------------------------------------------------------------------------------


def _programme(kreis: Authority, service: Service, office: Office) -> tuple[Programme, bool]:
    return Programme.objects.get_or_create(
        authority=kreis,
        defaults={
            "service": service,
            "appointment_office": office,
            "questions_per_attempt": 8,
            "pass_mark": 7,
            "attempts_per_round": 3,
            "retry_wait_hours": 24,
            "review_material_after_failure": True,
            "work_start_months": 3,
        },
    )


def _materials(programme: Programme, admin: User, now: datetime) -> int:
    """Version 1 of each language, published; a language that has any version already is left alone."""
    texts = material_texts()
    existing = set(Material.objects.filter(programme=programme).values_list("language", flat=True))
    published = 0
    for language in languages.LANGUAGES:
        code = language.code
        if code in existing:
            continue
        vtt = captions(code)
        material = Material(
            programme=programme,
            language=code,
            version=1,
            status=Material.Status.PUBLISHED,
            title=texts[code]["title"],
            text=material_markdown(code),
            declaration=texts[code]["declaration"],
            transcript=transcript_from_captions(vtt),
            created_by=admin,
            published_at=now,
            published_by=admin,
        )
        material.captions.save(f"untertitel-{code}.vtt", ContentFile(vtt.encode("utf-8")), save=False)
        pdf = leaflet_pdf(programme=programme, code=code, version=1, issued_on=timezone.localdate(now))
        material.leaflet.save(f"merkblatt-{code}.pdf", ContentFile(pdf), save=False)
        material.save()
        published += 1
    return published


def _questions(programme: Programme) -> int:
    """The pool from ``questions.json``; a number that exists already is never overwritten."""
    existing = set(Question.objects.filter(programme=programme).values_list("number", flat=True))
    created = [
        Question(
            programme=programme,
            number=entry["number"],
            topic=entry["topic"],
            correct=entry["correct"],
            texts=entry["texts"],
        )
        for entry in question_pool()
        if entry["number"] not in existing
    ]
    Question.objects.bulk_create(created)
    return len(created)


def _fee_and_vouchers(kreis: Authority, service: Service) -> int:
    Fee.objects.get_or_create(
        service=service,
        authority=kreis,
        key="gebuehr",
        defaults={
            "title": "Gebühr für die Belehrung nach § 43 IfSG",
            "kind": Fee.Kind.FIXED,
            "amount_cents": FEE_CENTS,
            "timing": Fee.Timing.BEFORE_SUBMISSION,
            "legal_basis": FEE_LEGAL_BASIS,
        },
    )
    created = 0
    for code, reason in VOUCHERS.items():
        _, new = Waiver.objects.get_or_create(
            authority=kreis,
            code=code,
            defaults={"service": service, "reason": reason, "uses_left": VOUCHER_USES},
        )
        created += int(new)
    return created


def _certificate_template(service: Service) -> None:
    NoticeTemplate.objects.get_or_create(
        service=service,
        authority=None,
        decision="granted",
        defaults={
            "subject": CERTIFICATE_SUBJECT,
            "body": CERTIFICATE_BODY,
            "legal_remedy": "",  # a certificate burdens nobody: no Rechtsbehelfsbelehrung
            "layout": NoticeTemplate.Layout.CERTIFICATE,
        },
    )


def _offering_team(kreis: Authority, service: Service) -> None:
    team = Team.objects.filter(authority=kreis, name=TEAM).first()
    offering = ServiceOffering.objects.filter(service=service, authority=kreis).first()
    if team is not None and offering is not None and offering.team_id is None:
        offering.team = team
        offering.save(update_fields=["team", "updated_at"])


# --- demo people ---------------------------------------------------------------------------------


@contextmanager
def _clock(at: datetime) -> Iterator[None]:
    """Run the services as if it were ``at``: every ``timezone.now()`` (and the ``auto_now`` fields)
    answers ``at``. The history is then what the product records, dates and deadlines included, rather
    than rows written by hand and shifted afterwards. Only for this single-threaded demo load."""
    with mock.patch("django.utils.timezone.now", return_value=at):
        yield


def _people(rng: random.Random, count: int) -> list[tuple[User, str]]:
    codes = list(LANGUAGE_WEIGHTS)
    weights = list(LANGUAGE_WEIGHTS.values())
    people: list[tuple[User, str]] = []
    unusable = make_password(None)
    for i in range(1, count + 1):
        code = rng.choices(codes, weights)[0]
        address = f"belehrung-{i:03d}@{PEOPLE_DOMAIN}"
        user = User.objects.create(
            username=address,
            email=address,
            is_active=False,  # never logs in; the worker sends inactive accounts no e-mail
            kind=User.Kind.CITIZEN,
            first_name=rng.choice(FIRST_NAMES[code]),
            last_name=rng.choice(LAST_NAMES[code]),
            password=unusable,
        )
        people.append((user, code))
    return people


def _answers(
    attempt: QuizAttempt, correct: dict[int, int], skill: float, rng: random.Random
) -> dict[int, int]:
    """Positions as shown: the right one with probability ``skill``, else another one."""
    answers: dict[int, int] = {}
    for item in attempt.items:
        question = int(item["question"])
        order = [int(index) for index in item["order"]]
        right = order.index(correct[question])
        if rng.random() < skill:
            answers[question] = right
        else:
            answers[question] = rng.choice([pos for pos in range(len(order)) if pos != right])
    return answers


def _pay_with_simulator(payment: Payment, at: datetime) -> None:
    """The payer paid with the demo payment simulator (what its pay page applies as the return)."""
    from amtsweg.payments.services import payment_transition

    Payment.objects.filter(pk=payment.pk).update(provider="simulator", provider_reference=f"sim-{payment.pk}")
    payment_transition(
        payment=payment,
        to=Payment.Status.PAID,
        source=PaymentEvent.Source.RETURN,
        external_id=f"sim-{payment.pk}",
        actor=payment.payer,
        detail={"demo": True},
    )


def _one_person(
    *,
    programme: Programme,
    person: User,
    code: str,
    start: datetime,
    rng: random.Random,
    summary: IfsgDemoSummary,
) -> None:
    from . import services

    at = start
    skill = rng.uniform(0.72, 0.98)
    outcome = rng.random()  # a few people stop half-way, as people do

    def later(minutes: float) -> datetime:
        nonlocal at
        at = at + timedelta(minutes=minutes)
        return at

    correct = dict(Question.objects.filter(programme=programme).values_list("pk", "correct"))
    with _clock(at):
        instruction = services.instruction_start(
            programme=programme, applicant=person, language=code, channel=CHANNEL
        )
    summary.instructions += 1
    if outcome < 0.05:
        return  # started, never read the material
    with _clock(later(rng.uniform(6, 25))):
        instruction = services.instruction_material_confirm(instruction=instruction, actor=person)
    birth = date(rng.randrange(1962, 2009), rng.randrange(1, 13), rng.randrange(1, 29))
    with _clock(later(rng.uniform(1, 4))):
        instruction = services.instruction_declare(
            instruction=instruction,
            actor=person,
            familienname=person.last_name,
            vornamen=person.first_name,
            geburtsdatum=birth,
            declared=True,
        )
    for _round_attempt in range(programme.attempts_per_round):
        with _clock(later(rng.uniform(1, 3))):
            attempt = services.quiz_start(instruction=instruction, actor=person)
        with _clock(later(rng.uniform(3, 9))):
            attempt = services.quiz_submit(
                attempt=attempt, actor=person, answers=_answers(attempt, correct, skill, rng)
            )
        if attempt.passed:
            break
        summary.failed_attempts += 1
        skill = min(0.99, skill + 0.1)  # the material read again helps
        instruction.refresh_from_db()
        if instruction.blocked_until is not None:
            return  # blocked after a full round of failures: the in-person appointment is their way
        if instruction.instructed_at is None:
            with _clock(later(rng.uniform(5, 15))):
                instruction = services.instruction_material_confirm(instruction=instruction, actor=person)
    else:
        return
    if outcome < 0.10:
        return  # passed, never paid
    with _clock(later(rng.uniform(1, 3))):
        if rng.random() < 0.2:
            voucher = "EHRENAMT-2026" if rng.random() < 0.5 else "SCHUELER-2026"
            services.instruction_waive(instruction=instruction, actor=person, code=voucher)
        else:
            payment = services.instruction_pay(instruction=instruction, actor=person)
            if payment is not None:
                _pay_with_simulator(payment, at)
    with _clock(later(rng.uniform(0.5, 2))):
        services.instruction_submit(
            instruction=instruction, actor=person, assurance=DEMO_EID, channel=CHANNEL
        )
    if Certificate.objects.filter(instruction=instruction).exists():
        summary.certificates += 1


def _revoke_one(admin: User, now: datetime) -> None:
    """One certificate revoked, so the staff list and the verification show the case."""
    from amtsweg.notices.models import Notice
    from amtsweg.notices.services import notice_revoke

    certificate = (
        Certificate.objects.filter(instruction__applicant__username__endswith=f"@{PEOPLE_DOMAIN}")
        .select_related("notice")
        .order_by("issued_at")
        .first()
    )
    if certificate is None or certificate.notice.status == Notice.Status.REVOKED:
        return
    with _clock(now - timedelta(days=2)):
        notice_revoke(
            notice=certificate.notice,
            actor=admin,
            reason="Die Erklärung war unrichtig: Zum Zeitpunkt der Belehrung lag eine Salmonellose vor.",
            channel=CHANNEL,
        )


def _demo_people(
    programme: Programme, admin: User, now: datetime, summary: IfsgDemoSummary, count: int
) -> None:
    if User.objects.filter(username__endswith=f"@{PEOPLE_DOMAIN}").exists():
        return  # the demo people went through once; loading again adds nobody
    rng = random.Random(SEED)
    people = _people(rng, count)
    starts = sorted(now - timedelta(days=rng.uniform(1, DAYS_BACK), hours=rng.uniform(0, 9)) for _ in people)
    for (person, code), start in zip(people, starts, strict=True):
        # Office hours of the person's day: between 7 and 21 o'clock local time.
        local = timezone.localtime(start)
        start = local.replace(hour=7 + rng.randrange(14), minute=rng.randrange(60))
        _one_person(programme=programme, person=person, code=code, start=start, rng=rng, summary=summary)
    _revoke_one(admin, now)


@transaction.atomic
def load_ifsg_demo(*, now: datetime | None = None, people: int = PEOPLE) -> IfsgDemoSummary:
    """Set up the Kreis' online instruction and its demo history (after forms, payments and processes)."""
    now = now or timezone.now()
    summary = IfsgDemoSummary()
    kreis = Authority.objects.get(ags=KREIS)
    service = Service.objects.get(leika_key=LEIKA)
    office = Office.objects.get(authority=kreis, slug=OFFICE)
    admin = User.objects.get(email=ADMIN)
    programme, summary.programme_created = _programme(kreis, service, office)
    _offering_team(kreis, service)
    summary.materials = _materials(programme, admin, now)
    summary.questions = _questions(programme)
    summary.waivers = _fee_and_vouchers(kreis, service)
    _certificate_template(service)
    if people:
        _demo_people(programme, admin, now, summary, min(people, PEOPLE))
    return summary
