"""Isolation-matrix rows of the health office's pages and staff API of the instruction, and the small
builders the staff tests share: a programme at any authority (the matrix's target, Neuss, stands in
for the Kreis), certificates with their notice, quiz attempts and item results as the flow leaves them.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.utils import timezone

from amtsweg.identity.models import User
from amtsweg.tenancy.models import Authority
from amtsweg.testing import NEUSS_ADMINS, NEUSS_READERS, Route, World, page_admin, page_read, staff_read

from ..models import Certificate, Instruction, ItemResult, Material, Programme, Question, QuizAttempt

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def programme_at(w: World, a: Authority) -> Programme:
    """A programme at ``a`` with published German material (and a leaflet), eight questions, one
    certificate; created once per test database."""
    cache: dict[int, Programme] = w.__dict__.setdefault("_ifsg_programmes", {})
    if a.pk in cache:
        return cache[a.pk]
    programme = Programme.objects.create(
        authority=a, service=w.town_service, questions_per_attempt=4, pass_mark=3
    )
    material = Material.objects.create(
        programme=programme,
        language="de",
        version=1,
        status=Material.Status.PUBLISHED,
        title="Belehrung",
        text="# Tätigkeitsverbote\n\nText.",
        declaration="Mir sind keine Tatsachen bekannt.",
        published_at=timezone.now(),
    )
    material.leaflet.save("merkblatt.pdf", ContentFile(PDF), save=True)
    for number in range(1, 9):
        Question.objects.create(
            programme=programme,
            number=number,
            correct=0,
            texts={"de": {"text": f"Frage {number}?", "options": ["richtig", "falsch"], "explanation": ""}},
        )
    certificate_for(programme, w.citizen, language="de", issued_at=timezone.now())
    cache[a.pk] = programme
    return programme


def instruction_for(programme: Programme, applicant: User, *, language: str, at: datetime) -> Instruction:
    material = Material.objects.filter(programme=programme, language=language).order_by("-version").first()
    assert material is not None, f"no material in {language}"
    return Instruction.objects.create(
        authority_id=programme.authority_id,
        programme=programme,
        applicant=applicant,
        language=language,
        material=material,
        instructed_at=at - timedelta(minutes=30),
        declared_at=at - timedelta(minutes=20),
    )


def attempts_for(instruction: Instruction, outcomes: list[bool], *, at: datetime) -> list[QuizAttempt]:
    """Submitted attempts with the given outcomes (numbered 1, 2, …); a pass marks the instruction passed."""
    rows = []
    for number, passed in enumerate(outcomes, start=1):
        rows.append(
            QuizAttempt.objects.create(
                instruction=instruction,
                number=number,
                items=[],
                answers={},
                correct_count=8 if passed else 3,
                passed=passed,
                submitted_at=at,
            )
        )
        if passed:
            Instruction.objects.filter(pk=instruction.pk).update(
                passed_at=at, status=Instruction.Status.PASSED
            )
    return rows


def item_results(
    attempt: QuizAttempt, question: Question, *, correct: int, wrong: int, language: str, at: datetime
) -> None:
    """``correct`` + ``wrong`` answers of ``question`` (all booked on ``attempt``, enough for statistics)."""
    ItemResult.objects.bulk_create(
        ItemResult(
            attempt=attempt,
            question=question,
            authority_id=attempt.instruction.authority_id,
            language=language,
            correct=is_correct,
            answered_at=at,
        )
        for is_correct in [True] * correct + [False] * wrong
    )


def certificate_for(
    programme: Programme,
    applicant: User,
    *,
    language: str,
    issued_at: datetime,
    name: str = "Layla Haddad",
    revoked: bool = False,
    instruction: Instruction | None = None,
) -> Certificate:
    """A certificate as ``ifsg.certificates.certificate_issue`` leaves it: a case, an issued notice."""
    from amtsweg.cases.services import case_open
    from amtsweg.cases.tests.factories import ensure_default_status_model
    from amtsweg.notices.models import Notice
    from amtsweg.notices.verification import new_code

    ensure_default_status_model()
    instruction = instruction or instruction_for(programme, applicant, language=language, at=issued_at)
    case = case_open(
        authority=programme.authority,
        service=programme.service,
        applicant=applicant,
        title="Belehrung nach § 43 IfSG",
        channel="web",
        actor=None,
    )
    Instruction.objects.filter(pk=instruction.pk).update(case=case, status=Instruction.Status.CERTIFIED)
    instruction.refresh_from_db()
    notice = Notice.objects.create(
        case=case,
        authority=programme.authority,
        code=new_code(),
        subject="Bescheinigung gemäß § 43 Abs. 1 Infektionsschutzgesetz",
        decision="granted",
        body="…",
        legal_remedy="",
        issued_at=issued_at,
        status=Notice.Status.REVOKED if revoked else Notice.Status.ISSUED,
        revoked_at=issued_at if revoked else None,
        holder={"name": name, "birth_year": 1990},
    )
    day = timezone.localtime(issued_at).date()
    return Certificate.objects.create(
        authority=programme.authority,
        instruction=instruction,
        notice=notice,
        holder_name=name,
        birth_date=date(1990, 7, 14),
        language=language,
        instructed_on=day,
        work_begin_by=day + timedelta(days=90),
        issued_at=issued_at,
    )


# --- the matrix ------------------------------------------------------------------------------------


def page_post(role: str, target: str) -> set[int]:
    """A form post of a reading page (revoke): readers are sent on (302), others as for reading."""
    if role in NEUSS_READERS:
        return {302}
    return page_read(role, target)


def page_admin_post(role: str, target: str) -> set[int]:
    if role in NEUSS_ADMINS:
        return {302}
    return page_admin(role, target)


def staff_post(role: str, target: str) -> set[int]:
    return {200} if role in NEUSS_READERS else staff_read(role, target)


def _base(w: World, a: Authority) -> str:
    programme_at(w, a)
    return f"/backoffice/{a.ags}/infektionsschutz/"


def _material(w: World, a: Authority) -> int:
    return Material.objects.filter(programme=programme_at(w, a), language="de").values_list("pk", flat=True)[
        0
    ]


def _question(w: World, a: Authority) -> int:
    return Question.objects.filter(programme=programme_at(w, a), number=1).values_list("pk", flat=True)[0]


def _certificate(w: World, a: Authority) -> int:
    """A fresh certificate for each call: a revoking row must not find it revoked by another role."""
    programme = programme_at(w, a)
    return certificate_for(programme, w.citizen, language="de", issued_at=timezone.now()).pk


def _api(w: World, a: Authority, suffix: str) -> str:
    programme_at(w, a)
    return f"/api/v1/ifsg/staff/{a.ags}/{suffix}"


QUESTION_POST: dict[str, Any] = {
    "topic": "",
    "correct": "1",
    "active": "on",
    "text_de": "Frage 1?",
    "options_de": "richtig\nfalsch",
}
SETTINGS_POST: dict[str, Any] = {
    "enabled": "on",
    "questions_per_attempt": "4",
    "pass_mark": "3",
    "attempts_per_round": "3",
    "retry_wait_hours": "24",
    "work_start_months": "3",
}

ROUTES: list[Route] = [
    Route("backoffice:ifsg_overview", _base, page_read),
    Route(
        "backoffice:ifsg_statistics_csv", lambda w, a: _base(w, a) + "statistik.csv?monat=2026-01", page_read
    ),
    Route("backoffice:ifsg_materials", lambda w, a: _base(w, a) + "material/", page_read),
    Route("backoffice:ifsg_material", lambda w, a: _base(w, a) + f"material/{_material(w, a)}/", page_read),
    Route(
        "backoffice:ifsg_material_file",
        lambda w, a: _base(w, a) + f"material/{_material(w, a)}/datei/leaflet/",
        page_read,
    ),
    Route("backoffice:ifsg_material_new", lambda w, a: _base(w, a) + "material/neu/en/", page_admin),
    # Published versions are not edited: the administration is sent to the version (302).
    Route(
        "backoffice:ifsg_material_edit",
        lambda w, a: _base(w, a) + f"material/{_material(w, a)}/bearbeiten/",
        page_admin_post,
    ),
    # Publishing a published version is refused with a message on the version page (302).
    Route(
        "backoffice:ifsg_material_publish",
        lambda w, a: _base(w, a) + f"material/{_material(w, a)}/veroeffentlichen/",
        page_admin_post,
        method="post",
    ),
    Route("backoffice:ifsg_questions", lambda w, a: _base(w, a) + "fragen/", page_read),
    Route("backoffice:ifsg_question_new", lambda w, a: _base(w, a) + "fragen/neu/", page_admin),
    Route("backoffice:ifsg_question", lambda w, a: _base(w, a) + f"fragen/{_question(w, a)}/", page_admin),
    Route(
        "backoffice:ifsg_question",
        lambda w, a: _base(w, a) + f"fragen/{_question(w, a)}/",
        page_admin_post,
        method="post",
        data=QUESTION_POST,
    ),
    Route("backoffice:ifsg_settings", lambda w, a: _base(w, a) + "einstellungen/", page_admin),
    Route(
        "backoffice:ifsg_settings",
        lambda w, a: _base(w, a) + "einstellungen/",
        page_admin_post,
        method="post",
        data=SETTINGS_POST,
    ),
    Route("backoffice:ifsg_certificates", lambda w, a: _base(w, a) + "bescheinigungen/?q=Haddad", page_read),
    Route(
        "backoffice:ifsg_certificate",
        lambda w, a: _base(w, a) + f"bescheinigungen/{_certificate(w, a)}/",
        page_read,
    ),
    Route(
        "backoffice:ifsg_certificate_revoke",
        lambda w, a: _base(w, a) + f"bescheinigungen/{_certificate(w, a)}/widerrufen/",
        page_read,
    ),
    Route(
        "backoffice:ifsg_certificate_revoke",
        lambda w, a: _base(w, a) + f"bescheinigungen/{_certificate(w, a)}/widerrufen/",
        page_post,
        method="post",
        data={"reason": "Matrix"},
    ),
    Route("api-ifsg-staff-statistics", lambda w, a: _api(w, a, "statistics/?language=de"), staff_read),
    Route(
        "api-ifsg-staff-certificate-list", lambda w, a: _api(w, a, "certificates/?status=valid"), staff_read
    ),
    Route(
        "api-ifsg-staff-certificate-revoke",
        lambda w, a: _api(w, a, f"certificates/{_certificate(w, a)}/revoke/"),
        staff_post,
        method="post",
        data={"reason": "Matrix"},
    ),
    Route("api-ifsg-staff-material-list", lambda w, a: _api(w, a, "materials/"), staff_read),
    Route("api-ifsg-staff-question-list", lambda w, a: _api(w, a, "questions/"), staff_read),
]
